"""The shared test system: what more than one test folder stands on.

- ``system``: a live system per test (L1 and rollups on anvil, the suite deployed, the real
  sequencer and its ingress in-process), with the ``make_system``, ``system`` and ``users``
  fixtures the sequencer, adversarial and property tests share.
- ``hostile``: deploying hostile contracts and funding fresh accounts through the sequencer.
- ``harness``: one live system reused by many hypothesis examples, and the hooks
  (svs.pipeline.hooks) through which the state machine crashes the sequencer or makes it lie.
"""
