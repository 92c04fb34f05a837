"""Recovery after a crash: a pure function of the journal and the chains.

- last tick ``planned`` (the crash came before its blocks were sealed): roll every rollup back
  to the tick's base height. Its transactions are still pending and go into the next tick.
- last tick ``sealed`` (the crash came after every final block was mined and recorded, before
  commit): make sure every rollup holds exactly the sealed block, replaying it from the journal
  where one does not (same transactions in order, same timestamp and base fee), then commit.
- otherwise: every rollup must stand at the committed height; a chain below it lost its state.
"""

from __future__ import annotations

import logging

from svs.builder import RollupChain, mine_block, roll_back_to
from svs.journal import COMMITTED, PLANNED, ROLLED_BACK, SEALED, Journal

log = logging.getLogger(__name__)


class RecoveryError(RuntimeError):
    """The chains and the journal cannot be reconciled."""


def committed_heights(journal: Journal) -> dict[int, int] | None:
    last = journal.last_tick()
    if last is None:
        return None
    if last.phase == COMMITTED:
        return {c: h + 1 for c, h in last.base_heights.items()}
    return dict(last.base_heights)


def recover(journal: Journal, chains: dict[int, RollupChain]) -> str:
    """Bring the chains to the journal's last consistent state; say what was done."""
    last = journal.last_tick()
    if last is None:
        return "fresh state directory"
    if last.phase == PLANNED:
        for chain_id, chain in chains.items():
            roll_back_to(chain.rpc, last.base_heights[chain_id])
        journal.roll_back_tick(last.tick)
        return f"rolled back interrupted tick {last.tick} to heights {last.base_heights}"
    if last.phase == SEALED:
        replayed = [c for c, chain in chains.items() if _replay_if_needed(journal, chain, last.base_heights[c], last.plan)]
        journal.commit_tick(last.tick, last.plan)
        return f"completed sealed tick {last.tick}" + (f" (replayed on chains {replayed})" if replayed else "")
    if last.phase in (COMMITTED, ROLLED_BACK):
        expected = committed_heights(journal)
        for chain_id, chain in chains.items():
            height = int(chain.rpc.call("eth_blockNumber"), 16)
            if height < expected[chain_id]:
                raise RecoveryError(f"chain {chain_id} is at block {height}, below the journal's committed block "
                                    f"{expected[chain_id]}: the node lost its state; use a new --state-dir")
            if height > expected[chain_id]:
                log.warning("chain %d holds %d blocks past the journal; rolling back", chain_id, height - expected[chain_id])
                roll_back_to(chain.rpc, expected[chain_id])
        return f"clean after tick {last.tick}"
    raise RecoveryError(f"unknown phase {last.phase!r} for tick {last.tick}")


def _replay_if_needed(journal: Journal, chain: RollupChain, base: int, plan: dict) -> bool:
    block_plan = plan["blocks"][str(chain.chain_id)]
    wanted = [entry["hash"] for entry in block_plan["txs"]]
    height = int(chain.rpc.call("eth_blockNumber"), 16)
    if height == base + 1:
        block = chain.rpc.call("eth_getBlockByNumber", hex(base + 1), False)
        if [h.lower() for h in block["transactions"]] == wanted:
            return False
    roll_back_to(chain.rpc, base)
    raws = []
    for entry in block_plan["txs"]:
        if entry["origin"] == "sequencer":
            raws.append(entry["raw"])
        else:
            record = journal.get(entry["hash"])
            if record is None:
                raise RecoveryError(f"sealed transaction {entry['hash']} is missing from the journal")
            raws.append("0x" + record.raw.hex())
    for result in chain.rpc.send_in_order([bytes.fromhex(raw[2:]) for raw in raws]):
        if isinstance(result, Exception):
            raise RecoveryError(f"replaying sealed block {base + 1} on chain {chain.chain_id}: the node refused a "
                                f"transaction: {result}")
    mine_block(chain.rpc, plan["timestamp"], plan.get("baseFees", {}).get(str(chain.chain_id)))
    block = chain.rpc.call("eth_getBlockByNumber", hex(base + 1), False)
    if [h.lower() for h in block["transactions"]] != wanted:
        raise RecoveryError(f"replaying sealed block {base + 1} on chain {chain.chain_id} gave different transactions")
    return True
