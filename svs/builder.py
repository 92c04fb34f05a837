"""Block building: the next block of every rollup, built together, both legs or neither.

One call to ``Builder.build`` makes one tick. Every rollup starts at its base height ``h``:

1. Execute. Send the candidate user transactions of each rollup (and, from the second attempt
   on, the destination legs signed for them) and mine block ``h + 1`` on every rollup.
2. Read. Each block's transaction list and the system contracts' leg events (``eth_getLogs``;
   no receipts, whose cost grows quadratically with block size in anvil).
3. Judge. A user transaction that emitted ``BurnLeg``/``TriggerLeg`` (directly or from a nested
   call) needs its destination legs. A destination leg that emitted no ``MintLeg``/``ActionLeg``
   failed: its source transaction is excluded, with the decoded revert as the reason, and so are
   later transactions of the same sender on that rollup (their nonces no longer follow).
4. If nothing was excluded and the block already holds exactly the destination legs its source
   transactions ask for, the blocks on the chains *are* the tick. Otherwise roll every rollup
   back to ``h`` (``anvil_rollback``), sign the destination legs the surviving sources ask for,
   and go to 1. Later transactions so see the state without the excluded ones.

Sources never depend on destination legs of the same block (legs come after every user
transaction), so the legs asked for depend only on the set of sources; each attempt either
ends the loop, excludes a transaction, or adds the legs, so it ends within 2 * exclusions + 2
attempts. Ordering within a block: user transactions by global sequence number, then destination
legs by (source sequence number, log index).

Nested legs: a destination leg that itself emits a burn or trigger (an action calling
``MintBurn.burn``) fails with a stated reason and its source is excluded; ``trigger`` cannot be
reached from an action at all (the General contract's re-entrancy guard).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from svs.errors import describe_revert
from svs.faults import Liar
from svs.legs import (
    INBOUND_TOPICS,
    OUTBOUND_TOPICS,
    ALL_LEG_TOPICS,
    Leg,
    TransferLeg,
    decode_outbound_log,
    destination_calldata,
    destination_gas,
    inbound_leg_hash,
)
from svs.mempool import PendingTx
from svs.rpc import RpcClient, RpcError
from svs.signer import LegacySigner

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 64
# anvil handles the calls of one JSON-RPC batch concurrently: past ~64 of them, transactions
# reach its pool (and so the block) out of order. Sequential batches of 32 keep the order at
# full speed (measured: ~3,000-3,700 tx/s either way); the order is checked after every mine.
SEND_CHUNK = 32


class BuildError(RuntimeError):
    """The tick could not be built (a node misbehaved or the sequencer has a bug)."""


@dataclass
class RollupChain:
    """A rollup the sequencer builds blocks for."""

    chain_id: int
    rpc: RpcClient
    mint_burn: str
    general: str
    signer: LegacySigner


@dataclass
class DestinationLeg:
    leg: Leg
    source_hash: str
    raw: bytes
    hash: str
    nonce: int


@dataclass
class _Attempt:
    """What one execution showed."""

    blocks: dict[int, dict] = field(default_factory=dict)  # chain -> eth_getBlockByNumber
    mined: dict[int, list[str]] = field(default_factory=dict)  # chain -> tx hashes in order
    legs: dict[str, list[Leg]] = field(default_factory=lambda: defaultdict(list))  # source -> legs asked for
    succeeded: set[str] = field(default_factory=set)  # destination-leg tx hashes that appended their leaf
    nested: set[str] = field(default_factory=set)  # destination-leg tx hashes that emitted further legs


class Builder:
    def __init__(self, chains: list[RollupChain], sequencer_address: str,
                 crash_point: Callable[[str], None] = lambda name: None, liar: "Liar | None" = None):
        self.chains = {c.chain_id: c for c in chains}
        self.sequencer_address = sequencer_address
        self._crash_point = crash_point
        self.liar = liar  # fault injection (svs.faults): signs other legs than the sources ask for
        # Each rollup is its own node process: talk to them at the same time.
        self._pool = ThreadPoolExecutor(max_workers=len(self.chains), thread_name_prefix="builder")

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def _each(self, work) -> dict:
        """Run ``work(chain_id, chain)`` for every rollup concurrently; results by chain id."""
        futures = {chain_id: self._pool.submit(work, chain_id, chain) for chain_id, chain in self.chains.items()}
        return {chain_id: future.result() for chain_id, future in futures.items()}

    # --- the loop --------------------------------------------------------------------------

    def build(self, bases: dict[int, int], candidates: dict[int, list[PendingTx]]) -> dict:
        """Build and mine one tick; return its plan (what each new block holds, its timestamp,
        and why each candidate left out was left out)."""
        selected = {chain_id: list(candidates.get(chain_id, [])) for chain_id in self.chains}
        excluded: dict[str, str] = {}
        timestamp, fees = self._timestamp_and_fees(bases)
        # First guess of the legs from a simulation (no block mined): usually the first real
        # execution is then already the final one. Any difference shows up in the checks below.
        guess = self._simulate(bases, selected, timestamp)
        dests = self._sign(self._wanted_legs(selected, guess, bases), bases, fees) if guess else \
            {chain_id: [] for chain_id in self.chains}
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self._roll_back(bases)
            send_errors, seen = self._execute(bases, selected, dests, timestamp, SEND_CHUNK)
            if not self._in_order(selected, dests, seen):
                log.warning("a node reordered the transactions of tick attempt %d; resending one by one", attempt)
                self._roll_back(bases)
                send_errors, seen = self._execute(bases, selected, dests, timestamp, 1)
                if not self._in_order(selected, dests, seen):
                    raise BuildError("a rollup node did not keep the order of the transactions it was sent, or "
                                     "mined foreign ones: run anvil with --order fifo and no other block producer")
            newly = {h: f"rejected by the node: {msg}" for h, msg in send_errors.items()}
            newly.update(self._judge(selected, dests, seen, newly))
            if newly:
                self._exclude(selected, excluded, newly)
            wanted = self._wanted_legs(selected, seen, bases)
            if not newly and self._same_legs(wanted, dests):
                return self._plan(bases, timestamp, selected, dests, excluded, seen, attempt + 1)
            dests = self._sign(wanted, bases, fees)
        raise BuildError(f"tick did not settle after {MAX_ATTEMPTS} attempts")

    # --- steps ---------------------------------------------------------------------------

    def _simulate(self, bases: dict[int, int], selected, timestamp: int) -> _Attempt | None:
        """The legs the sources ask for, from eth_simulateV1 on each rollup's base state; None
        if a node cannot simulate them (the loop then learns the legs from a real execution)."""

        def simulate(chain_id: int, chain: RollupChain) -> list | None:
            txs = selected[chain_id]
            if not txs:
                return []
            calls = [{"from": t.sender, "to": t.tx.to, "data": "0x" + t.tx.data.hex(), "gas": hex(t.tx.gas),
                      "gasPrice": hex(t.tx.max_fee_per_gas), "nonce": hex(t.nonce), "value": hex(t.tx.value)}
                     for t in txs]
            try:
                result = chain.rpc.call("eth_simulateV1", {"blockStateCalls": [{
                    "blockOverrides": {"number": hex(bases[chain_id] + 1), "time": hex(timestamp)},
                    "calls": calls}], "validation": True}, hex(bases[chain_id]))
            except RpcError as err:
                log.debug("simulation on chain %d failed (%s); learning legs by execution", chain_id, err.message)
                return None
            return result[0]["calls"]

        guess = _Attempt()
        for chain_id, results in self._each(simulate).items():
            if results is None:
                return None
            chain = self.chains[chain_id]
            systems = {chain.mint_burn.lower(), chain.general.lower()}
            for tx, result in zip(selected[chain_id], results):
                if int(result.get("status", "0x0"), 16) != 1:
                    continue
                for entry in result.get("logs", []):
                    if entry["address"].lower() in systems and entry["topics"] and entry["topics"][0] in OUTBOUND_TOPICS:
                        try:
                            guess.legs[tx.hash].append(decode_outbound_log(entry, chain_id))
                        except ValueError:
                            return None
        return guess

    def _timestamp_and_fees(self, bases: dict[int, int]) -> tuple[int, dict[int, int]]:
        """From each rollup's parent block, fetched once: one timestamp for every new block
        (now, and past every parent), and the gas price of the sequencer's legs per rollup
        (twice the parent's base fee covers any rise)."""
        parents = self._each(lambda chain_id, chain: chain.rpc.call("eth_getBlockByNumber", hex(bases[chain_id]), False))
        timestamp = max(int(time.time()), max(int(p["timestamp"], 16) for p in parents.values()) + 1)
        fees = {c: max(2 * int(p.get("baseFeePerGas", "0x0"), 16), 1_000_000_000) for c, p in parents.items()}
        return timestamp, fees

    def _roll_back(self, bases: dict[int, int]) -> None:
        for chain_id, chain in self.chains.items():
            roll_back_to(chain.rpc, bases[chain_id])

    def _execute(self, bases, selected, dests, timestamp: int, chunk: int) -> tuple[dict[str, str], _Attempt]:
        send_errors = self._send(selected, dests, chunk)
        self._mine(timestamp, crash_between=any(dests.values()))
        return send_errors, self._read(bases, dests)

    def _send(self, selected: dict[int, list[PendingTx]], dests: dict[int, list[DestinationLeg]],
              chunk: int) -> dict[str, str]:
        """Send every transaction of the attempt; return {user tx hash: node's error}."""

        def send(chain_id: int, chain: RollupChain) -> dict[str, str]:
            raws = [t.raw for t in selected[chain_id]] + [d.raw for d in dests[chain_id]]
            results = chain.rpc.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws], chunk=chunk)
            users = len(selected[chain_id])
            errors = {}
            for i, result in enumerate(results):
                if isinstance(result, RpcError):
                    if i >= users:
                        raise BuildError(f"chain {chain_id} refused the sequencer's own leg: {result.message}")
                    errors[selected[chain_id][i].hash] = result.message
            return errors

        return {h: m for errors in self._each(send).values() for h, m in errors.items()}

    def _mine(self, timestamp: int, crash_between: bool) -> None:
        """Mine the attempt's block: the first rollup, then (the crash point between two rollups
        for the kill -9 tests) the others at once."""
        first, *rest = self.chains.values()
        first.rpc.call("evm_mine", {"timestamp": timestamp})
        if crash_between and rest:
            self._crash_point("between-chains")
        futures = [self._pool.submit(chain.rpc.call, "evm_mine", {"timestamp": timestamp}) for chain in rest]
        for future in futures:
            future.result()

    def _read(self, bases: dict[int, int], dests: dict[int, list[DestinationLeg]]) -> _Attempt:
        def fetch(chain_id: int, chain: RollupChain) -> tuple[dict, list]:
            number = hex(bases[chain_id] + 1)
            block, logs, _ = chain.rpc.batch_strict([
                ("eth_getBlockByNumber", [number, False]),
                ("eth_getLogs", [{"fromBlock": number, "toBlock": number, "address": [chain.mint_burn, chain.general],
                                  "topics": [list(ALL_LEG_TOPICS)]}]),
                ("anvil_dropAllTransactions", []),  # anything left unmined must not leak into later blocks
            ])
            if block is None:
                raise BuildError(f"chain {chain_id} mined no block {number}")
            return block, logs

        seen = _Attempt()
        dest_hashes = {d.hash for ds in dests.values() for d in ds}
        expected_hash = {d.hash: d.leg.leg_hash() for ds in dests.values() for d in ds}
        for chain_id, (block, logs) in self._each(fetch).items():
            seen.blocks[chain_id] = block
            seen.mined[chain_id] = [h.lower() for h in block["transactions"]]
            for entry in logs:
                tx_hash, topic = entry["transactionHash"].lower(), entry["topics"][0]
                if topic in OUTBOUND_TOPICS:
                    if tx_hash in dest_hashes:
                        seen.nested.add(tx_hash)
                    else:
                        try:
                            seen.legs[tx_hash].append(decode_outbound_log(entry, chain_id))
                        except ValueError as err:
                            raise BuildError(f"chain {chain_id}: {err}") from err
                elif topic in INBOUND_TOPICS and inbound_leg_hash(entry) == expected_hash.get(tx_hash):
                    seen.succeeded.add(tx_hash)
        return seen

    def _in_order(self, selected, dests, seen: _Attempt) -> bool:
        """Each block holds only what was sent, in the order sent (some left out is fine)."""
        for chain_id in self.chains:
            sent = [t.hash for t in selected[chain_id]] + [d.hash for d in dests[chain_id]]
            mined = seen.mined[chain_id]
            kept = set(mined)
            if [h for h in sent if h in kept] != mined:
                return False
        return True

    def _judge(self, selected, dests, seen: _Attempt, already: dict[str, str]) -> dict[str, str]:
        """New exclusions: user transactions the node did not execute, and sources whose
        destination leg failed or goes to a rollup this sequencer does not serve."""
        newly: dict[str, str] = {}
        for chain_id, txs in selected.items():
            mined = set(seen.mined[chain_id])
            for tx in txs:
                if tx.hash not in mined and tx.hash not in already:
                    newly[tx.hash] = "not executed by the node at its turn (nonce, balance or fee no longer valid)"
        # Legs to one destination from one source form a stream with consecutive nonces: once a
        # leg fails, the later ones fail on their nonce alone. Charge only the first failure of
        # each stream, and only if its source still asks for that very leg in this attempt (a
        # stale leg, signed from an earlier attempt, is simply signed again).
        emitted = {leg.leg_hash() for legs in seen.legs.values() for leg in legs}
        streams: dict[tuple[int, int, str], list[DestinationLeg]] = defaultdict(list)
        for chain_id, ds in dests.items():
            for d in ds:
                streams[(chain_id, d.leg.source, type(d.leg).__name__)].append(d)
        for (chain_id, _, _), stream in streams.items():
            for d in sorted(stream, key=lambda d: d.leg.nonce):
                if d.hash in seen.succeeded and d.hash not in seen.nested:
                    continue
                if d.leg.leg_hash() in emitted:
                    if d.hash in seen.nested:
                        why = "it emitted a further cross-chain leg (nested legs are not supported)"
                    else:
                        why = self._revert_reason(chain_id, d.hash)
                    newly.setdefault(d.source_hash, f"destination leg {_describe(d.leg)} on chain {chain_id} failed: {why}")
                break
        for source_hash, legs in seen.legs.items():
            for leg in legs:
                if leg.destination not in self.chains:
                    newly.setdefault(source_hash, f"destination chain {leg.destination} is not served by this sequencer")
        return newly

    def _revert_reason(self, chain_id: int, tx_hash: str) -> str:
        try:
            trace = self.chains[chain_id].rpc.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
        except RpcError as err:
            return f"reverted (no trace: {err.message})"
        return describe_revert(trace.get("output"), trace.get("error"))

    @staticmethod
    def _exclude(selected, excluded: dict[str, str], newly: dict[str, str]) -> None:
        """Drop the new exclusions and, per sender and rollup, every later nonce."""
        for chain_id, txs in selected.items():
            cut: dict[str, tuple[int, str]] = {}  # sender -> (lowest excluded nonce, its hash)
            for tx in txs:
                if tx.hash in newly and (tx.sender not in cut or tx.nonce < cut[tx.sender][0]):
                    cut[tx.sender] = (tx.nonce, tx.hash)
            kept = []
            for tx in txs:
                if tx.hash in newly:
                    excluded[tx.hash] = newly[tx.hash]
                elif tx.sender in cut and tx.nonce > cut[tx.sender][0]:
                    excluded[tx.hash] = f"follows excluded transaction {cut[tx.sender][1]} from the same sender"
                else:
                    kept.append(tx)
            selected[chain_id] = kept

    def _wanted_legs(self, selected, seen: _Attempt, bases: dict[int, int]) -> dict[int, list[tuple[str, Leg]]]:
        """Destination legs the surviving sources ask for, per destination, in block order (a
        liar's instead, under fault injection)."""
        wanted: dict[int, list[tuple[str, Leg]]] = {chain_id: [] for chain_id in self.chains}
        ordered = sorted((t for txs in selected.values() for t in txs), key=lambda t: t.seq)
        for tx in ordered:
            for leg in seen.legs.get(tx.hash, []):
                if leg.destination in wanted:  # others are judged (and their source excluded) after execution
                    wanted[leg.destination].append((tx.hash, leg))
        return self.liar.rewrite(wanted, bases) if self.liar else wanted

    @staticmethod
    def _same_legs(wanted, dests) -> bool:
        return all([leg.leg_hash() for _, leg in wanted[c]] == [d.leg.leg_hash() for d in dests[c]] for c in dests)

    def _sign(self, wanted, bases: dict[int, int], fees: dict[int, int]) -> dict[int, list[DestinationLeg]]:
        dests: dict[int, list[DestinationLeg]] = {}
        for chain_id, legs in wanted.items():
            chain = self.chains[chain_id]
            nonce = int(chain.rpc.call("eth_getTransactionCount", self.sequencer_address, hex(bases[chain_id])), 16)
            signed = []
            for i, (source_hash, leg) in enumerate(legs):
                to = chain.mint_burn if isinstance(leg, TransferLeg) else chain.general
                raw, tx_hash = chain.signer.sign(nonce + i, fees[chain_id], destination_gas(leg),
                                                 bytes.fromhex(to[2:]), 0, destination_calldata(leg))
                signed.append(DestinationLeg(leg, source_hash, raw, tx_hash, nonce + i))
            dests[chain_id] = signed
        return dests

    def _plan(self, bases, timestamp, selected, dests, excluded, seen: _Attempt, attempts: int) -> dict:
        """The sealed record of the tick: every block's transactions in order, with legs."""
        dest_by_hash = {d.hash: (chain_id, d) for chain_id, ds in dests.items() for d in ds}
        user_legs: dict[str, list[dict]] = defaultdict(list)
        for chain_id, ds in dests.items():
            for d in ds:
                user_legs[d.source_hash].append(_leg_entry(d.leg, counterpart=d.hash))
        blocks = {}
        for chain_id in self.chains:
            entries = []
            for tx_hash in seen.mined[chain_id]:
                if tx_hash in dest_by_hash:
                    _, d = dest_by_hash[tx_hash]
                    entries.append({"hash": tx_hash, "origin": "sequencer", "raw": "0x" + d.raw.hex(),
                                    "sender": self.sequencer_address, "nonce": d.nonce,
                                    "legs": [_leg_entry(d.leg, counterpart=d.source_hash)]})
                else:
                    entries.append({"hash": tx_hash, "origin": "user", "legs": user_legs.get(tx_hash, [])})
            block = seen.blocks[chain_id]
            blocks[str(chain_id)] = {"number": bases[chain_id] + 1, "hash": block["hash"], "txs": entries}
        return {"timestamp": timestamp, "blocks": blocks, "excluded": excluded, "attempts": attempts,
                "pairs": sum(len(ds) for ds in dests.values())}


def roll_back_to(rpc: RpcClient, height: int) -> None:
    """Return a chain to ``height`` (drop newer blocks and anything pending)."""
    current = int(rpc.call("eth_blockNumber"), 16)
    if current > height:
        rpc.call("anvil_rollback", current - height)
    rpc.call("anvil_dropAllTransactions")
    after = int(rpc.call("eth_blockNumber"), 16)
    if after != height:
        raise BuildError(f"{rpc.url} is at block {after} after rolling back to {height}")


def _leg_entry(leg: Leg, counterpart: str) -> dict:
    return {"kind": "transfer" if isinstance(leg, TransferLeg) else "call", "legHash": "0x" + leg.leg_hash().hex(),
            "source": leg.source, "destination": leg.destination, "nonce": leg.nonce, "counterpart": counterpart}


def _describe(leg: Leg) -> str:
    if isinstance(leg, TransferLeg):
        return f"mint #{leg.nonce} from {leg.source}"
    return f"action #{leg.nonce} from {leg.source}"
