"""Block building: the next block of every rollup, built together, both legs or neither.

One call to ``Builder.build`` makes one tick. Every rollup starts at its base height ``h``.

**Block environment.** Everything a transaction can observe of its block is the same in every
execution of one tick: one timestamp for all rollups, and per rollup the base fee (EIP-1559 from
the parent, with a floor; set with ``anvil_setNextBlockBaseFeePerGas`` before every mine, since
``anvil_rollback`` does not restore it). Coinbase, gas limit and prevrandao do not change when a
height is mined again. So the legs the sources ask for depend only on the set of sources.

**Plan by simulation** (at most ``MAX_SIMULATIONS`` passes, no block mined). First it defers the
candidates that cannot fit even at their estimated costs (svs.pipeline.costs: the least their
kind of transaction last used; limits 10% larger, the oldest source always kept, so an estimate
never keeps a transaction out for good). Each pass simulates the user transactions of every
rollup (``eth_simulateV1``); defers the sources that cannot fit even with their legs at the
least gas a leg to that rollup last used (the same rule); then
simulates every remaining destination leg of each rollup as the transaction it will be, after
that rollup's user transactions (exact gas: each leg pays its own cold accesses and storage
writes). If a leg fails, the legs are simulated again in
one call to ``LegSimulator`` (placed at the sequencer's address by a state override), which gives
each leg the nonce its tree expects at that moment: a failed leg does not hide whether the later
legs of its stream succeed, so one pass finds every failure. The pass excludes the sources whose
legs fail and measures again. The first pass without failures ends the planning: it defers to
the next tick what does not fit the block (gas limit, transaction bytes), in global sequence
order; the execution checks that the rest still behaves as simulated.

**Execute** (at most ``MAX_EXECUTIONS``). Send every rollup its user transactions, then the
destination legs signed for it, mine ``h + 1`` everywhere, read the blocks and the leg events
(no receipts), and judge: a destination leg that failed excludes its source (and the sender's
later transactions, whose nonces no longer follow); what the node left out waits for the next
tick. If nothing changed and the blocks hold exactly the legs their sources ask for, the blocks
*are* the tick; otherwise roll back (``anvil_rollback``), sign the legs asked for, and again.

If the first execution does not settle, the simulation missed something; the one field it could
not know is prevrandao (anvil picks it per height and keeps it when the height is mined again),
so planning runs again with the block's real prevrandao before the next execution.

**Fallback.** If the executions do not settle, every source that asked for legs is deferred as
*unsettled* and the blocks are executed once without them; if that still asks for legs or leaves
something out, the tick is empty blocks. The sequencer builds unsettled transactions alone in
later ticks, in halves, until the one that keeps a tick from settling is alone; it is excluded.

**Bound.** A tick takes at most 2 * MAX_SIMULATIONS simulation passes and MAX_EXECUTIONS + 2 real
executions (8 and 6), whatever the transactions do. Honest transactions are deferred only when a
hostile one keeps a tick from settling after planning, and are never excluded for it.

Ordering within a block: user transactions by global sequence number, then destination legs by
(source sequence number, log index). Nested legs: a destination leg that itself emits a burn or
trigger (an action calling ``MintBurn.burn``) fails with a stated reason and its source is
excluded; ``trigger`` cannot be reached from an action at all (the General contract's
re-entrancy guard).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache

from svs.codec.legs import (
    ACTION_COUNT_SELECTOR,
    ALL_LEG_TOPICS,
    INBOUND_TOPICS,
    MINT_COUNT_SELECTOR,
    OUTBOUND_TOPICS,
    Leg,
    TransferLeg,
    decode_leg_outcomes,
    decode_outbound_log,
    destination_calldata,
    destination_gas,
    inbound_leg_hash,
    leg_simulation_calldata,
)
from svs.codec.reverts import describe_revert
from svs.errors import SvsError
from svs.l1.deposits import Deposit, L1Legs
from svs.node.rollup import Rollup
from svs.node.rpc import SEND_CHUNK, RpcClient, RpcError
from svs.pipeline.costs import LegCosts, Estimates, calldata_gas, measured_leg_costs, not_fitting
from svs.pipeline.hooks import NO_HOOKS, TickHooks
from svs.pipeline.limits import (
    BLOCK_GAS_LIMIT,
    COLD_SLOAD_GAS,
    INTRINSIC_GAS,
    WARM_READ_GAS,
    block_bytes_cap,
    next_base_fee,
)
from svs.pipeline.mempool import PendingTx
from svs.pipeline.plan import SEQUENCER, USER, BlockPlan, PlannedLeg, PlannedTx, TickPlan

log = logging.getLogger(__name__)

MAX_SIMULATIONS = 4
MAX_EXECUTIONS = 4

class BuildError(SvsError, RuntimeError):
    """The tick could not be built (a node misbehaved or the sequencer has a bug)."""


@dataclass
class DestinationLeg:
    leg: Leg
    source_hash: str
    raw: bytes
    hash: str
    nonce: int


@dataclass(frozen=True)
class BlockEnv:
    """What every execution of one tick's blocks sees (see module notes)."""

    timestamp: int
    base_fees: dict[int, int]  # chain -> base fee of its new block
    coinbases: dict[int, str]  # chain -> its blocks' fee recipient
    prev_randao: dict[int, str] | None = None  # chain -> the block's prevrandao, once an execution showed it


@dataclass
class _Attempt:
    """What one execution (or simulation) showed."""

    blocks: dict[int, dict] = field(default_factory=dict)  # chain -> eth_getBlockByNumber
    mined: dict[int, list[str]] = field(default_factory=dict)  # chain -> tx hashes in order
    legs: dict[str, list[Leg]] = field(default_factory=lambda: defaultdict(list))  # source -> legs asked for
    succeeded: set[str] = field(default_factory=set)  # destination-leg tx hashes that appended their leaf
    nested: set[str] = field(default_factory=set)  # destination-leg tx hashes that emitted further legs
    gas_used: dict[str, int] = field(default_factory=dict)  # user tx hash -> gas used (simulations)


@dataclass
class _Selection:
    """The tick's candidates as building narrows them down."""

    selected: dict[int, list[PendingTx]]
    excluded: dict[str, str] = field(default_factory=dict)  # tx hash -> reason; final
    deferred: dict[str, str] = field(default_factory=dict)  # tx hash -> reason; back to the mempool
    unsettled: set[str] = field(default_factory=set)  # deferred because the tick did not settle

    def drop(self, newly: dict[str, str], defer: bool) -> None:
        """Exclude (or defer) ``newly`` and, per sender and rollup, every later nonce."""
        if not newly:
            return
        into = self.deferred if defer else self.excluded
        word = "deferred" if defer else "excluded"
        for chain_id, txs in self.selected.items():
            cut: dict[str, tuple[int, str]] = {}  # sender -> (lowest dropped nonce, its hash)
            for tx in txs:
                if tx.hash in newly and (tx.sender not in cut or tx.nonce < cut[tx.sender][0]):
                    cut[tx.sender] = (tx.nonce, tx.hash)
            kept = []
            for tx in txs:
                if tx.hash in newly:
                    into[tx.hash] = newly[tx.hash]
                elif tx.sender in cut and tx.nonce > cut[tx.sender][0]:
                    into[tx.hash] = f"follows {word} transaction {cut[tx.sender][1]} from the same sender"
                else:
                    kept.append(tx)
            self.selected[chain_id] = kept

    def defer_unsettled(self, hashes: set[str], reason: str) -> None:
        before = set(self.deferred)
        self.drop({h: reason for h in hashes}, defer=True)
        self.unsettled |= set(self.deferred) - before

    def ordered(self) -> list[PendingTx]:
        return sorted((t for txs in self.selected.values() for t in txs), key=lambda t: t.seq)


class Builder:
    def __init__(self, chains: list[Rollup], sequencer_address: str, hooks: TickHooks = NO_HOOKS,
                 block_gas_limit: int = BLOCK_GAS_LIMIT, l1: L1Legs | None = None):
        """``hooks``: fault injection (svs.pipeline.hooks): ``at("between-chains")``, and the legs
        to sign instead of those the sources ask for. ``l1``: L1 as a counterpart (exits of its
        token go through; without it, a burn to L1 is excluded like any unserved destination)."""
        self.chains = {c.chain_id: c for c in chains}
        self.l1 = l1
        self._deposits: dict[int, list[Deposit]] = {}  # this tick's deposits still to mint
        self.sequencer_address = sequencer_address
        self.hooks = hooks
        self.block_gas_limit = block_gas_limit
        self.block_bytes = block_bytes_cap(len(chains))
        self.estimates = Estimates()  # costs for the cuts before the simulations (svs.pipeline.costs)
        # Each rollup is its own node process: talk to them at the same time.
        self._pool = ThreadPoolExecutor(max_workers=len(self.chains), thread_name_prefix="builder")

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def _each(self, work) -> dict:
        """Run ``work(chain_id, chain)`` for every rollup concurrently; results by chain id."""
        futures = {chain_id: self._pool.submit(work, chain_id, chain) for chain_id, chain in self.chains.items()}
        return {chain_id: future.result() for chain_id, future in futures.items()}

    # --- the loop --------------------------------------------------------------------------

    def build(self, bases: dict[int, int], candidates: dict[int, list[PendingTx]],
              deposits: dict[int, list[Deposit]] | None = None) -> TickPlan:
        """Build and mine one tick; return its plan (what each new block holds, its block
        environment, and why each candidate left out was excluded or deferred). ``deposits``:
        per rollup, the L1 deposits to mint first (svs.l1.deposits); one whose mint fails or
        does not fit leaves the tick, with the later ones to its rollup, and waits for the next."""
        self._deposits = {c: list(ds) for c, ds in (deposits or {}).items() if c in self.chains and ds}
        selection = _Selection({chain_id: list(candidates.get(chain_id, [])) for chain_id in self.chains})
        env = self._block_env(bases)
        selection.drop(self._underpriced(selection, env), defer=True)
        selection.drop(self._over_bytes(selection), defer=True)  # also bounds the simulations' requests
        guess, simulations = self._plan_by_simulation(bases, selection, env)
        dests = self._sign(self._wanted_legs(selection.selected, guess, bases), bases, env) if guess else \
            {chain_id: [] for chain_id in self.chains}
        seen = _Attempt()
        for execution in range(MAX_EXECUTIONS):
            if execution:
                self._roll_back(bases)
            send_errors, seen = self._execute(bases, selection.selected, dests, env)
            excluded, deferred = self._judge(selection.selected, dests, seen, send_errors)
            self._drop_failed_deposits({**deferred, **excluded})
            selection.drop(excluded, defer=False)
            selection.drop(deferred, defer=True)
            wanted = self._wanted_legs(selection.selected, seen, bases)
            if not excluded and not deferred and self._same_legs(wanted, dests):
                return self._plan(bases, env, selection, dests, seen, execution + 1, simulations)
            if env.prev_randao is None and guess is not None:
                # The simulation missed something. The one block field it could not know is
                # prevrandao, which a re-mined height keeps: plan again with the real one.
                env = replace(env, prev_randao={c: b["mixHash"] for c, b in seen.blocks.items()})
                self._roll_back(bases)
                replanned, passes = self._plan_by_simulation(bases, selection, env)
                simulations += passes
                if replanned is not None:
                    wanted = self._wanted_legs(selection.selected, replanned, bases)
            dests = self._sign(wanted, bases, env)
        return self._settle_without_legs(bases, selection, env, seen, simulations)

    def _settle_without_legs(self, bases, selection: _Selection, env: BlockEnv, seen: _Attempt,
                             simulations: int) -> TickPlan:
        """The fallback (see module notes): defer every source, then, if need be, everything."""
        reason = f"the tick did not settle within {MAX_EXECUTIONS} executions; sources wait for the next tick"
        selection.defer_unsettled({h for h, legs in seen.legs.items() if legs}, reason)
        no_legs = {chain_id: [] for chain_id in self.chains}
        for extra in (1, 2):
            if extra == 2:
                everything = {t.hash for t in selection.ordered()}
                selection.defer_unsettled(everything, "the tick did not settle even without cross-chain legs")
            self._roll_back(bases)
            send_errors, seen = self._execute(bases, selection.selected, no_legs, env)
            excluded, deferred = self._judge(selection.selected, no_legs, seen, send_errors)
            asking = {h for h, legs in seen.legs.items() if legs}
            if not excluded and not deferred and not asking:
                log.warning("tick settled by the fallback: %d source(s) deferred as unsettled", len(selection.unsettled))
                return self._plan(bases, env, selection, no_legs, seen, MAX_EXECUTIONS + extra, simulations)
            selection.drop(excluded, defer=False)
            selection.drop(deferred, defer=True)
        raise BuildError("even empty blocks did not settle: a rollup node mined foreign transactions")

    # --- planning by simulation ------------------------------------------------------------

    def _plan_by_simulation(self, bases, selection: _Selection, env: BlockEnv) -> tuple[_Attempt | None, int]:
        """Narrow the selection by simulation (see module notes). Returns the last simulation of
        the sources (the first guess of the legs) and the number of passes; None when a node
        cannot simulate (the executions then learn the legs)."""
        guess, last = None, None  # last: (wanted, outcomes, failed) of a pass with failing legs
        # Simulate only the sources that can fit: a full mempool offers a block size's worth of
        # candidates (transactions), of which the gas limit lets far fewer in.
        selection.drop(self._not_fitting(selection, *self.estimates.sources(selection.ordered()), estimated=True),
                       defer=True)
        for simulation in range(1, MAX_SIMULATIONS + 1):
            sources = self._simulate_sources(bases, selection.selected, env)
            if sources is None:
                return guess, simulation
            guess = sources
            wanted = self._wanted_legs(selection.selected, sources, bases, honest=True)
            outcomes = _outcomes_without_failed(last, wanted)
            if outcomes is None:
                # Simulate only the legs of what can fit: a full block's worth of candidates
                # (block size counts transactions, the gas limit decides) would otherwise have
                # every leg simulated, most of them for sources that wait for the next tick.
                selection.drop(self._not_fitting(selection, sources.gas_used, self.estimates.legs(wanted),
                                                 estimated=True), defer=True)
                wanted = self._wanted_legs(selection.selected, sources, bases, honest=True)
                outcomes = self._simulate_destinations(bases, selection.selected, wanted, env)
            if outcomes is None:
                return guess, simulation
            self.estimates.learn_legs(outcomes)
            failed = self._failed_legs(wanted, outcomes, bases)
            failed.update(self._unserved(sources))
            self._drop_failed_deposits(failed)
            selection.drop(failed, defer=False)
            if failed and simulation < MAX_SIMULATIONS:
                last = (wanted, outcomes, failed)
                continue
            # Deferring what does not fit needs no new pass: a kept transaction that relied on a
            # deferred one is rare, and the execution judges it like any surprise.
            measured = measured_leg_costs(wanted, outcomes)
            self.estimates.learn_sources(selection.ordered(), sources.gas_used, measured)
            selection.drop(self._not_fitting(selection, sources.gas_used, measured), defer=True)
            return guess, simulation
        return guess, MAX_SIMULATIONS

    def _sim_overrides(self, chain_id: int, bases, env: BlockEnv) -> dict:
        overrides = {"number": hex(bases[chain_id] + 1), "time": hex(env.timestamp),
                     "baseFeePerGas": hex(env.base_fees[chain_id]), "gasLimit": hex(self.block_gas_limit),
                     "feeRecipient": env.coinbases[chain_id]}
        if env.prev_randao is not None:
            overrides["prevRandao"] = env.prev_randao[chain_id]
        return overrides

    @staticmethod
    def _user_calls(txs: list[PendingTx]) -> list[dict]:
        return [{"from": t.sender, "to": t.tx.to, "data": "0x" + t.tx.data.hex(), "gas": hex(t.tx.gas),
                 "gasPrice": hex(t.tx.max_fee_per_gas), "nonce": hex(t.nonce), "value": hex(t.tx.value)}
                for t in txs]

    def _simulate_sources(self, bases, selected, env: BlockEnv) -> _Attempt | None:
        """The legs the user transactions ask for and the gas they use, from eth_simulateV1 on
        each rollup's base state; None if a node cannot simulate them."""

        def simulate(chain_id: int, chain: Rollup) -> list | None:
            txs = selected[chain_id]
            if not txs:
                return []
            try:
                result = chain.rpc.call("eth_simulateV1", {"blockStateCalls": [{
                    "blockOverrides": self._sim_overrides(chain_id, bases, env),
                    "calls": self._user_calls(txs)}], "validation": True}, hex(bases[chain_id]))
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
                guess.gas_used[tx.hash] = int(result.get("gasUsed", hex(tx.tx.gas)), 16)
                if int(result.get("status", "0x0"), 16) != 1:
                    continue
                for entry in result.get("logs", []):
                    if entry["address"].lower() in systems and entry["topics"] and entry["topics"][0] in OUTBOUND_TOPICS:
                        try:
                            guess.legs[tx.hash].append(decode_outbound_log(entry, chain_id))
                        except ValueError:
                            return None
        return guess

    def _simulate_destinations(self, bases, selected, wanted, env: BlockEnv) -> dict[int, list[tuple[bool, int]]] | None:
        """Per destination rollup, (succeeded, gas its transaction uses) of each wanted leg, in
        order, after the rollup's user transactions, in one simulated block. Each leg is its own
        call to ``LegSimulator`` (placed at the sequencer's address by a state override), which
        gives the leg the nonce its tree expects at that moment: a failed leg does not hide
        whether the later legs of its stream succeed. Being its own transaction, each leg pays its
        own cold accesses and storage writes, as in the block; see ``_leg_transaction_gas``."""

        def simulate(chain_id: int, chain: Rollup) -> list[tuple[bool, int]] | None:
            legs = [leg for _, leg in wanted[chain_id]]
            if not legs:
                return []
            user_calls = self._user_calls(selected[chain_id])
            entries = [(self._system(chain, leg), MINT_COUNT_SELECTOR if isinstance(leg, TransferLeg) else ACTION_COUNT_SELECTOR,
                        destination_gas(leg), destination_calldata(leg)) for leg in legs]
            leg_calls = [{"from": chain.general, "to": self.sequencer_address, "gas": hex(2 * entry[2] + 100_000),
                          "data": "0x" + leg_simulation_calldata(*entry).hex()} for entry in entries]
            gas = sum(2 * entry[2] + 100_000 for entry in entries)
            overrides = {**self._sim_overrides(chain_id, bases, env), "gasLimit": hex(self.block_gas_limit + gas)}
            try:
                result = chain.rpc.call("eth_simulateV1", {"blockStateCalls": [{
                    "blockOverrides": overrides, "calls": user_calls + leg_calls,
                    "stateOverrides": {self.sequencer_address: {"code": "0x" + _leg_simulator_code().hex()}}}],
                    "validation": False}, hex(bases[chain_id]))
                outcomes = []
                for call, entry in zip(result[0]["calls"][len(user_calls):], entries, strict=True):
                    ((ok, used),) = decode_leg_outcomes(bytes.fromhex(call["returnData"][2:]))
                    outcomes.append((bool(ok), _leg_transaction_gas(int(used), entry[3])))
            except (RpcError, ValueError, KeyError, IndexError, TypeError) as err:
                log.debug("leg simulation on chain %d failed (%s); judging legs by execution", chain_id, err)
                return None
            return outcomes

        results = self._each(simulate)
        return None if any(r is None for r in results.values()) else results

    @staticmethod
    def _system(chain: Rollup, leg: Leg) -> str:
        """The system contract a destination leg calls."""
        return chain.mint_burn if isinstance(leg, TransferLeg) else chain.general

    def _failed_legs(self, wanted, outcomes, bases) -> dict[str, str]:
        failing: dict[int, list[tuple[str, Leg]]] = defaultdict(list)
        for chain_id, legs in wanted.items():
            for (source_hash, leg), (ok, _) in zip(legs, outcomes[chain_id]):
                if not ok:
                    failing[chain_id].append((source_hash, leg))
        reasons = self._each(lambda chain_id, chain: self._simulated_reasons(chain_id, failing.get(chain_id, []),
                                                                               bases[chain_id]))
        failed: dict[str, str] = {}
        for chain_id, legs in failing.items():
            for (source_hash, leg), reason in zip(legs, reasons[chain_id]):
                failed.setdefault(source_hash, f"destination leg {_describe(leg)} on chain {chain_id} failed: {reason}")
        return failed

    def _simulated_reasons(self, chain_id: int, legs: list[tuple[str, Leg]], base: int) -> list[str]:
        """The revert of each failing leg, from eth_call as the sequencer on the base state with
        the nonce its tree expects there (a best effort: the tick's other transactions are not
        applied). Two batched requests, however many legs fail."""
        if not legs:
            return []
        chain = self.chains[chain_id]
        streams = sorted({(self._system(chain, leg), isinstance(leg, TransferLeg), leg.source) for _, leg in legs})
        counts = chain.rpc.batch([("eth_call", [{"to": to, "data": "0x" + (
            (MINT_COUNT_SELECTOR if transfer else ACTION_COUNT_SELECTOR) + source.to_bytes(32, "big")).hex()}, hex(base)])
            for to, transfer, source in streams], chunk=SEND_CHUNK)
        count_of = dict(zip(streams, counts))
        calls = []
        for _, leg in legs:
            to = self._system(chain, leg)
            count = count_of[(to, isinstance(leg, TransferLeg), leg.source)]
            data = bytearray(destination_calldata(leg))
            if isinstance(count, str):
                data[36:68] = bytes.fromhex(count[2:].rjust(64, "0"))
            calls.append(("eth_call", [{"from": self.sequencer_address, "to": to, "data": "0x" + data.hex(),
                                        "gas": hex(destination_gas(leg))}, hex(base)]))
        return [describe_revert(r.data if isinstance(r.data, str) else None, r.message) if isinstance(r, RpcError)
                else "reverted" for r in chain.rpc.batch(calls, chunk=SEND_CHUNK)]

    def _unserved(self, seen: _Attempt) -> dict[str, str]:
        """Sources with a leg no rollup of this sequencer serves: to an unknown chain, or to L1
        with anything but an exit of the bridge's token (svs.l1.deposits)."""
        unserved: dict[str, str] = {}
        for source_hash, legs in seen.legs.items():
            for leg in legs:
                reason = unserved_reason(leg, self.chains, self.l1)
                if reason is not None:
                    unserved[source_hash] = reason
        return unserved

    def _drop_failed_deposits(self, failed: dict[str, str]) -> None:
        """Deposits named in ``failed`` leave this tick, with the later ones to their rollup (a
        rollup mints L1's deposits in nonce order); they wait for the next tick."""
        for chain_id, deposits in self._deposits.items():
            for i, deposit in enumerate(deposits):
                if deposit.key in failed:
                    log.warning("deposit %s to chain %d waits for the next tick (with %d later ones): %s",
                                deposit.key, chain_id, len(deposits) - i - 1, failed[deposit.key])
                    del deposits[i:]
                    break

    def _not_fitting(self, selection: _Selection, gas_used: dict[str, int], costs: LegCosts,
                     estimated: bool = False) -> dict[str, str]:
        """What does not fit this tick's blocks (svs.pipeline.costs.not_fitting), this tick's
        deposits first; ``estimated``: the costs are estimates."""
        deposits = [d.key for ds in self._deposits.values() for d in ds]
        return not_fitting(selection.ordered(), self.chains, gas_used, costs, deposits,
                           self.block_gas_limit, self.block_bytes, estimated)

    # --- steps ---------------------------------------------------------------------------

    def _block_env(self, bases: dict[int, int]) -> BlockEnv:
        """From each rollup's parent block, fetched once: one timestamp for every new block (now,
        and past every parent) and each new block's base fee."""
        parents = self._each(lambda chain_id, chain: chain.rpc.call("eth_getBlockByNumber", hex(bases[chain_id]), False))
        timestamp = max(int(time.time()), max(int(p["timestamp"], 16) for p in parents.values()) + 1)
        fees = {c: next_base_fee(int(p.get("baseFeePerGas", "0x0"), 16), int(p["gasUsed"], 16), int(p["gasLimit"], 16))
                for c, p in parents.items()}
        return BlockEnv(timestamp, fees, {c: p["miner"] for c, p in parents.items()})

    def _over_bytes(self, selection: _Selection) -> dict[str, str]:
        """User transactions past the block's byte cap, in sequence order (their legs' bytes are
        counted once the simulation shows them)."""
        size = {c: 0 for c in self.chains}
        over: dict[str, str] = {}
        for tx in selection.ordered():
            if size[tx.chain_id] + len(tx.raw) > self.block_bytes:
                over[tx.hash] = (f"does not fit this tick's block on chain {tx.chain_id} ({self.block_bytes:,} "
                                 "transaction bytes); waits for the next")
            else:
                size[tx.chain_id] += len(tx.raw)
        return over

    @staticmethod
    def _underpriced(selection: _Selection, env: BlockEnv) -> dict[str, str]:
        return {t.hash: (f"fee cap {t.tx.max_fee_per_gas:,} wei is below the block's base fee "
                         f"{env.base_fees[c]:,} wei; waits until the base fee falls")
                for c, txs in selection.selected.items() for t in txs if t.tx.max_fee_per_gas < env.base_fees[c]}

    def _roll_back(self, bases: dict[int, int]) -> None:
        for chain_id, chain in self.chains.items():
            roll_back_to(chain.rpc, bases[chain_id])

    def _execute(self, bases, selected, dests, env: BlockEnv) -> tuple[dict[str, str], _Attempt]:
        # anvil checks fees on arrival against its own next base fee: pin it before sending too.
        self._each(lambda chain_id, chain: chain.rpc.call("anvil_setNextBlockBaseFeePerGas", hex(env.base_fees[chain_id])))
        send_errors = self._send(selected, dests)
        self._mine(env, crash_between=any(dests.values()))
        seen = self._read(bases, dests)
        if not self._in_order(selected, dests, seen):
            raise BuildError("a rollup node did not keep the order of the transactions it was sent, or "
                             "mined foreign ones: run anvil with --order fifo and no other block producer")
        return send_errors, seen

    def _send(self, selected: dict[int, list[PendingTx]], dests: dict[int, list[DestinationLeg]]) -> dict[str, str]:
        """Send every transaction of the attempt; return {user tx hash: node's error}."""

        def send(chain_id: int, chain: Rollup) -> dict[str, str]:
            raws = [t.raw for t in selected[chain_id]] + [d.raw for d in dests[chain_id]]
            results = chain.rpc.send_in_order(raws)
            users = len(selected[chain_id])
            errors = {}
            for i, result in enumerate(results):
                if isinstance(result, RpcError):
                    if i >= users:
                        raise BuildError(f"chain {chain_id} refused the sequencer's own leg: {result.message}")
                    errors[selected[chain_id][i].hash] = result.message
            return errors

        return {h: m for errors in self._each(send).values() for h, m in errors.items()}

    def _mine(self, env: BlockEnv, crash_between: bool) -> None:
        """Mine the attempt's block with the tick's environment: the first rollup, then (the
        crash point between two rollups for the kill -9 tests) the others at once."""
        first, *rest = self.chains.values()
        mine_block(first.rpc, env.timestamp, env.base_fees[first.chain_id])
        if crash_between and rest:
            self.hooks.at("between-chains")
        futures = [self._pool.submit(mine_block, chain.rpc, env.timestamp, env.base_fees[chain.chain_id])
                   for chain in rest]
        for future in futures:
            future.result()

    def _read(self, bases: dict[int, int], dests: dict[int, list[DestinationLeg]]) -> _Attempt:
        def fetch(chain_id: int, chain: Rollup) -> tuple[dict, list]:
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

    def _judge(self, selected, dests, seen: _Attempt, send_errors: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """What this execution shows: (exclusions, deferrals). Excluded: user transactions the
        node refused, sources whose destination leg failed or goes to a rollup this sequencer
        does not serve. Deferred: user transactions the node left out of the block, and sources
        whose destination leg it left out (neither fitted)."""
        excluded = {h: f"rejected by the node: {msg}" for h, msg in send_errors.items()}
        deferred: dict[str, str] = {}
        for chain_id, txs in selected.items():
            mined = set(seen.mined[chain_id])
            block = seen.blocks[chain_id]
            room = int(block["gasLimit"], 16) - int(block["gasUsed"], 16)
            for tx in txs:
                if tx.hash in mined or tx.hash in excluded:
                    continue
                if tx.tx.gas <= room:  # it fitted even at the end of the block: the node refused it
                    excluded[tx.hash] = (f"dropped by the node at its turn although the block had room "
                                         f"({room:,} gas left, it asks for {tx.tx.gas:,})")
                else:
                    deferred[tx.hash] = "not executed by the node at its turn (it did not fit the block); waits for the next"
        # Legs to one destination from one source form a stream with consecutive nonces: once a
        # leg fails, the later ones fail on their nonce alone. Charge only the first failure of
        # each stream, and only if its source still asks for that very leg in this attempt (a
        # stale leg, signed from an earlier attempt, is simply signed again).
        emitted = {leg.leg_hash() for legs in seen.legs.values() for leg in legs}
        emitted |= {d.leg.leg_hash() for ds in self._deposits.values() for d in ds}  # L1 asks for these
        streams: dict[tuple[int, int, str], list[DestinationLeg]] = defaultdict(list)
        for chain_id, ds in dests.items():
            for d in ds:
                streams[(chain_id, d.leg.source, type(d.leg).__name__)].append(d)
        for (chain_id, _, _), stream in streams.items():
            mined = set(seen.mined[chain_id])
            for d in sorted(stream, key=lambda d: d.leg.nonce):
                if d.hash in seen.succeeded and d.hash not in seen.nested:
                    continue
                if d.leg.leg_hash() in emitted:
                    if d.hash not in mined:
                        deferred.setdefault(d.source_hash, f"its destination leg did not fit block on chain {chain_id}; "
                                                           "waits for the next")
                    elif d.hash in seen.nested:
                        why = "it emitted a further cross-chain leg (nested legs are not supported)"
                        excluded.setdefault(d.source_hash, f"destination leg {_describe(d.leg)} on chain {chain_id} failed: {why}")
                    else:
                        why = self._revert_reason(chain_id, d.hash)
                        excluded.setdefault(d.source_hash, f"destination leg {_describe(d.leg)} on chain {chain_id} failed: {why}")
                break
        for source_hash, reason in self._unserved(seen).items():
            excluded.setdefault(source_hash, reason)
        return excluded, {h: r for h, r in deferred.items() if h not in excluded}

    def _revert_reason(self, chain_id: int, tx_hash: str) -> str:
        try:
            trace = self.chains[chain_id].rpc.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
        except RpcError as err:
            return f"reverted (no trace: {err.message})"
        return describe_revert(trace.get("output"), trace.get("error"))

    def _wanted_legs(self, selected, seen: _Attempt | None, bases: dict[int, int],
                     honest: bool = False) -> dict[int, list[tuple[str, Leg]]]:
        """Destination legs the surviving sources ask for, per destination, in block order (a
        hooks' instead, under fault injection, unless ``honest``)."""
        wanted: dict[int, list[tuple[str, Leg]]] = {chain_id: [] for chain_id in self.chains}
        for chain_id, deposits in self._deposits.items():
            wanted[chain_id].extend((deposit.key, deposit.leg) for deposit in deposits)
        if seen is None:
            return wanted if honest else self.hooks.legs(wanted, bases)
        ordered = sorted((t for txs in selected.values() for t in txs), key=lambda t: t.seq)
        for tx in ordered:
            for leg in seen.legs.get(tx.hash, []):
                if leg.destination in wanted:  # others are judged (and their source excluded) after execution
                    wanted[leg.destination].append((tx.hash, leg))
        return wanted if honest else self.hooks.legs(wanted, bases)

    @staticmethod
    def _same_legs(wanted, dests) -> bool:
        return all([leg.leg_hash() for _, leg in wanted[c]] == [d.leg.leg_hash() for d in dests[c]] for c in dests)

    def _sign(self, wanted, bases: dict[int, int], env: BlockEnv) -> dict[int, list[DestinationLeg]]:
        dests: dict[int, list[DestinationLeg]] = {}
        for chain_id, legs in wanted.items():
            chain = self.chains[chain_id]
            nonce = int(chain.rpc.call("eth_getTransactionCount", self.sequencer_address, hex(bases[chain_id])), 16)
            signed = []
            for i, (source_hash, leg) in enumerate(legs):
                to = chain.mint_burn if isinstance(leg, TransferLeg) else chain.general
                raw, tx_hash = chain.signer.sign(nonce + i, env.base_fees[chain_id], destination_gas(leg),
                                                 bytes.fromhex(to[2:]), 0, destination_calldata(leg))
                signed.append(DestinationLeg(leg, source_hash, raw, tx_hash, nonce + i))
            dests[chain_id] = signed
        return dests

    def _plan(self, bases, env: BlockEnv, selection: _Selection, dests, seen: _Attempt, executions: int,
              simulations: int) -> TickPlan:
        """The sealed record of the tick: every block's transactions in order, with legs."""
        dest_by_hash = {d.hash: d for ds in dests.values() for d in ds}
        user_legs: dict[str, list[PlannedLeg]] = defaultdict(list)
        for ds in dests.values():
            for d in ds:
                user_legs[d.source_hash].append(PlannedLeg.of(d.leg, counterpart=d.hash))
        blocks = {}
        for chain_id in self.chains:
            txs = []
            for tx_hash in seen.mined[chain_id]:
                d = dest_by_hash.get(tx_hash)
                if d is not None:
                    txs.append(PlannedTx(tx_hash, SEQUENCER, (PlannedLeg.of(d.leg, counterpart=d.source_hash),),
                                         d.raw, self.sequencer_address, d.nonce))
                else:
                    txs.append(PlannedTx(tx_hash, USER, tuple(user_legs.get(tx_hash, []))))
            blocks[chain_id] = BlockPlan(bases[chain_id] + 1, seen.blocks[chain_id]["hash"], tuple(txs))
        return TickPlan(env.timestamp, dict(env.base_fees), blocks, selection.excluded, selection.deferred,
                        tuple(sorted(selection.unsettled)), executions, simulations,
                        sum(len(ds) for ds in dests.values()))


def _outcomes_without_failed(last, wanted) -> dict[int, list[tuple[bool, int]]] | None:
    """The destination outcomes of the pass before, if they still answer for ``wanted``: the
    sources simulated again ask for exactly the legs they asked for before, less those of the
    sources whose legs failed (all of which failed), nonces aside. A failed leg changed nothing
    (it reverted) and LegSimulator gave every later leg the nonce its tree expected without it,
    so the other legs' outcomes stand and the destinations need no new simulation."""
    if last is None:
        return None
    before, outcomes, failed = last
    kept: dict[int, list[tuple[bool, int]]] = {}
    for chain_id, legs in before.items():
        if any(ok for (source_hash, _), (ok, _) in zip(legs, outcomes[chain_id]) if source_hash in failed):
            return None  # a failed source also had a leg that succeeded, and changed the state
        remaining = [(pair, outcome) for pair, outcome in zip(legs, outcomes[chain_id]) if pair[0] not in failed]
        if [(h, replace(leg, nonce=0)) for (h, leg), _ in remaining] != \
                [(h, replace(leg, nonce=0)) for h, leg in wanted[chain_id]]:
            return None
        kept[chain_id] = [outcome for _, outcome in remaining]
    return kept


def unserved_reason(leg: Leg, chains, l1: L1Legs | None) -> str | None:
    """Why no rollup of this sequencer serves ``leg`` (an unknown chain, or an exit to L1 of any
    token but the bridge's), or None if one does (the builder and sequencer_simulate ask)."""
    if leg.destination in chains:
        return None
    if l1 is None or leg.destination != l1.chain_id:
        return f"destination chain {leg.destination} is not served by this sequencer"
    if not isinstance(leg, TransferLeg) or leg.token.lower() != l1.exit_token.lower():
        return (f"only token {l1.exit_token} can exit to L1 (chain {leg.destination}): "
                "the L1 bridge could never finalize this leg")
    return None


def _leg_transaction_gas(measured: int, calldata: bytes) -> int:
    """The gas a leg's own transaction uses, from the gas ``LegSimulator`` measured around its
    call: plus the intrinsic and calldata cost, plus the cold read of the tree's count slot that
    LegSimulator's nonce lookup warmed first. Refunds are not subtracted, so this errs high."""
    return measured + INTRINSIC_GAS + calldata_gas(calldata) + COLD_SLOAD_GAS - WARM_READ_GAS


@cache
def _leg_simulator_code() -> bytes:
    """Runtime bytecode of contracts/simulation/LegSimulator.sol."""
    from svs.deploy.artifacts import load_artifact

    return load_artifact("LegSimulator").runtime


def mine_block(rpc: RpcClient, timestamp: int, base_fee: int | None) -> None:
    """Mine one block with a pinned timestamp and (if given) base fee."""
    if base_fee is not None:
        rpc.call("anvil_setNextBlockBaseFeePerGas", hex(base_fee))
    rpc.call("evm_mine", {"timestamp": timestamp})


def roll_back_to(rpc: RpcClient, height: int) -> None:
    """Return a chain to ``height`` (drop newer blocks and anything pending)."""
    current = int(rpc.call("eth_blockNumber"), 16)
    if current > height:
        rpc.call("anvil_rollback", current - height)
    rpc.call("anvil_dropAllTransactions")
    after = int(rpc.call("eth_blockNumber"), 16)
    if after != height:
        raise BuildError(f"{rpc.url} is at block {after} after rolling back to {height}")


def _describe(leg: Leg) -> str:
    if isinstance(leg, TransferLeg):
        return f"mint #{leg.nonce} from {leg.source}"
    return f"action #{leg.nonce} from {leg.source}"
