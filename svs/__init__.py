"""The Shared Validity Sequencer, as a pipeline (each stage a subpackage):

1. ``pipeline.ingress`` takes JSON-RPC from users; ``pipeline.admission`` checks each raw
   transaction (``codec.transactions`` decodes it) and ``pipeline.journal`` records it before its
   hash is returned; ``pipeline.mempool`` holds it until a tick.
2. ``pipeline.sequencer`` runs ticks: ``pipeline.builder`` simulates, signs the destination legs
   (``codec.legs``, ``codec.signer``), executes every rollup's next block together and keeps only
   sources whose legs all succeed, on every ``node.rollup.Rollup``; it hands back a
   ``pipeline.plan.TickPlan``, which the journal seals; ``pipeline.selfcheck`` compares every
   pair's tree roots; the journal commits the tick. ``pipeline.recovery`` brings the chains back to the
   journal after a crash; ``node.checkpoints`` lets a dead rollup node start again.
3. ``l1.batcher`` posts each rollup's blocks (``codec.batches``) with storage proofs
   (``l1.proofs``) to the L1 ``BatchInbox`` (``l1.inbox``); ``l1.verifier`` re-checks posted
   batches against the nodes and challenges false ones.

Around it: ``node`` reaches the chains (JSON-RPC, anvil processes), ``deploy`` puts the contract
suite on them, ``run`` is the service behind ``ape run sequencer`` (clock, signals, attach mode,
demo), ``measure`` the benchmark and gas tables, ``testing`` the fault injection, invariants and
chaos run the tests use. Fault injection reaches the sequencer only through
``pipeline.hooks.TickHooks``, which production leaves empty.
"""
