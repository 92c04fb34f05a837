"""Recovery after a crash: a pure function of the journal and the chains.

First every rollup is brought to the journal's committed height:

- a node *below* it lost blocks (it was restarted from an older persisted state, see
  ``svs.node.checkpoints``): the committed ticks it lacks are replayed from the journal, block by block
  (same transactions in the same order, same timestamp and base fee), and each replayed block must
  have the hash the journal recorded when it was sealed. The node's own top block must be the
  journal's too: a loaded state cannot be rolled back (anvil then computes wrong state roots).
- a node *above* it holds blocks of a tick that was never committed: they are rolled back.

Then the last tick is finished:

- ``planned`` (the crash came before its blocks were sealed): it is marked rolled back; its
  transactions are still pending and go into the next tick.
- ``sealed`` (the crash came after every final block was mined and recorded, before commit): every
  rollup must hold exactly the sealed block, replayed from the journal where it does not; then the
  tick is committed.
"""

from __future__ import annotations

import logging

from svs.errors import SvsError
from svs.node.rollup import Rollup
from svs.pipeline.builder import mine_block, roll_back_to
from svs.pipeline.journal import COMMITTED, PLANNED, ROLLED_BACK, SEALED, Journal
from svs.pipeline.plan import SEQUENCER, TickPlan

log = logging.getLogger(__name__)


class RecoveryError(SvsError, RuntimeError):
    """The chains and the journal cannot be reconciled."""


def committed_heights(journal: Journal) -> dict[int, int] | None:
    last = journal.last_tick()
    if last is None:
        return None
    if last.phase == COMMITTED:
        return {c: h + 1 for c, h in last.base_heights.items()}
    return dict(last.base_heights)


def recover(journal: Journal, chains: dict[int, Rollup]) -> str:
    """Bring the chains to the journal's last consistent state; say what was done."""
    last = journal.last_tick()
    if last is None:
        return "fresh state directory"
    if last.phase not in (PLANNED, SEALED, COMMITTED, ROLLED_BACK):
        raise RecoveryError(f"unknown phase {last.phase!r} for tick {last.tick}")
    committed = committed_heights(journal)
    notes = []
    for chain_id, chain in chains.items():
        keep_sealed = last.phase == SEALED
        note = catch_up(journal, chain, committed[chain_id], keep_sealed)
        if note:
            notes.append(note)
    if last.phase == PLANNED:
        journal.roll_back_tick(last.tick)
        notes.insert(0, f"rolled back interrupted tick {last.tick} to heights {last.base_heights}")
    elif last.phase == SEALED:
        replayed = [c for c, chain in chains.items() if _complete_sealed(journal, chain, last.plan)]
        journal.commit_tick(last.tick, last.plan)
        notes.insert(0, f"completed sealed tick {last.tick}" + (f" (replayed on chains {replayed})" if replayed else ""))
    else:
        notes.insert(0, f"clean after tick {last.tick}")
    return "; ".join(notes)


def catch_up(journal: Journal, chain: Rollup, height: int, keep_sealed: bool = False) -> str | None:
    """Bring ``chain`` to the committed ``height``: replay the committed blocks it lacks, roll
    back blocks past it (all but one if ``keep_sealed``: the sealed block is checked after)."""
    current = int(chain.rpc.call("eth_blockNumber"), 16)
    if current > height + int(keep_sealed):
        log.warning("chain %d holds %d blocks past the journal; rolling back", chain.chain_id, current - height)
        roll_back_to(chain.rpc, height)
        return None
    if current >= height:  # a crash before mining can leave the tick's transactions in the pool
        chain.rpc.call("anvil_dropAllTransactions")
        return None
    first_base = journal.first_tick_base(chain.chain_id)
    if first_base is None or current < first_base:
        raise RecoveryError(f"chain {chain.chain_id} is at block {current}, below the first block the journal "
                            f"holds ({first_base}); its blocks cannot be replayed: use a new --state-dir")
    ticks = journal.committed_ticks(chain.chain_id, current, height)
    if current > first_base:  # the node's top block must be the one the journal committed
        if not ticks or ticks[0].base_heights[chain.chain_id] + 1 != current:
            raise RecoveryError(f"chain {chain.chain_id} is at block {current}, which no committed tick made")
        _expect_block(chain, ticks.pop(0).plan, "restarted node's top block")
    if [t.base_heights[chain.chain_id] + 1 for t in ticks] != list(range(current + 1, height + 1)):
        raise RecoveryError(f"the journal does not hold every committed block of chain {chain.chain_id} "
                            f"between {current + 1} and {height}")
    chain.rpc.call("anvil_dropAllTransactions")
    for tick in ticks:
        replay_block(journal, chain, tick.plan)
    log.warning("chain %d was at block %d, behind the journal: replayed %d committed blocks to %d",
                chain.chain_id, current, len(ticks), height)
    return f"replayed blocks {current + 1}-{height} on chain {chain.chain_id}"


def replay_block(journal: Journal, chain: Rollup, plan: TickPlan) -> None:
    """Mine a tick's block again from the journal: its transactions in order, its timestamp and
    base fee; the block must come out with the hash recorded when the tick was sealed."""
    block_plan = plan.blocks[chain.chain_id]
    raws = []
    for tx in block_plan.txs:
        if tx.origin == SEQUENCER:
            raws.append(tx.raw)
            continue
        record = journal.get(tx.hash)
        if record is None:
            raise RecoveryError(f"transaction {tx.hash} of block {block_plan.number} is missing from the journal")
        raws.append(record.raw)
    for result in chain.rpc.send_in_order(raws):
        if isinstance(result, Exception):
            raise RecoveryError(f"replaying block {block_plan.number} on chain {chain.chain_id}: the node refused "
                                f"a transaction: {result}")
    # A node started from a checkpoint refuses timestamps below its start time ("lower than
    # previous block's timestamp"); put its clock back to the parent's.
    parent = chain.rpc.call("eth_getBlockByNumber", hex(block_plan.number - 1), False)
    chain.rpc.call("evm_setTime", int(parent["timestamp"], 16))
    mine_block(chain.rpc, plan.timestamp, plan.base_fees.get(chain.chain_id))
    _expect_block(chain, plan, "replayed block")


def _expect_block(chain: Rollup, plan: TickPlan, what: str) -> None:
    block_plan = plan.blocks[chain.chain_id]
    block = chain.rpc.call("eth_getBlockByNumber", hex(block_plan.number), False)
    if block is None or [h.lower() for h in block["transactions"]] != block_plan.hashes:
        raise RecoveryError(f"{what} {block_plan.number} on chain {chain.chain_id} holds other transactions "
                            "than the journal's")
    if block_plan.hash is not None and block["hash"] != block_plan.hash:
        raise RecoveryError(f"{what} {block_plan.number} on chain {chain.chain_id} has hash {block['hash']}, "
                            f"the journal sealed {block_plan.hash}")


def _complete_sealed(journal: Journal, chain: Rollup, plan: TickPlan) -> bool:
    """Make sure ``chain`` holds the sealed block; replay it if not. True if replayed."""
    number = plan.blocks[chain.chain_id].number
    if int(chain.rpc.call("eth_blockNumber"), 16) == number:
        try:
            _expect_block(chain, plan, "sealed block")
            return False
        except RecoveryError:
            pass
    roll_back_to(chain.rpc, number - 1)
    replay_block(journal, chain, plan)
    return True
