"""The shared sequencer as a library object: admit transactions, and build one tick at a time.

``Sequencer.tick()`` builds, executes, checks and commits the next block of every rollup. The
CLI (svs.run.service) adds a clock, the JSON-RPC ingress and signal handling around it; tests call
``tick()`` directly.

Phases of a tick, each a named crash point for the kill -9 tests:
``planned`` (journaled, no chain touched) -> ``between-chains`` (the final attempt has mined the
first rollup but not the others) -> ``sealed`` (every final block mined and recorded) ->
``checked`` (roots compared) -> ``committed``.

Only two things halt block production: a foreign block on a rollup, and a failed self-check
(roots disagree; or a journal that cannot be reconciled with the chains). A node that does not
answer pauses it: no blocks until every node answers again, then recovery as at a restart
(``NodesUnavailable``; a node restarted from an older state gets its lost blocks replayed from the
journal), and the ticks carry on. Any other error in a tick, whatever its cause,
abandons the tick: every rollup is rolled back to the tick's base and the journal records the
tick as rolled back. The transactions of an abandoned tick become *suspects*: the next ticks
build them alone, in halves (``_Suspects``), until the one that makes a tick fail is alone; it
is then excluded with the error as its reason. Honest suspects are delayed, never lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from svs.codec.transactions import InvalidTransaction, decode_raw_transaction
from svs.deploy.record import ChainEntry
from svs.errors import SvsError
from svs.l1.batcher import Batcher, BatchReport
from svs.l1.deposits import Deposit, DepositFeed, L1Legs
from svs.l1.poster import Poster
from svs.node.rollup import Rollup
from svs.node.rpc import NodeUnavailable, RpcError
from svs.pipeline.admission import Rejected, SenderState, admit
from svs.pipeline.builder import Builder, roll_back_to
from svs.pipeline.hooks import NO_HOOKS, TickHooks
from svs.pipeline.journal import PLANNED, SEALED, Journal
from svs.pipeline.limits import BLOCK_GAS_LIMIT, MAX_CACHED_SENDERS, max_tx_bytes, next_base_fee
from svs.pipeline.mempool import Mempool, PendingTx
from svs.pipeline.plan import SEQUENCER, USER, TickPlan
from svs.pipeline.recovery import RecoveryError, committed_heights, recover
from svs.pipeline.selfcheck import PairRoots, read_pair_roots

log = logging.getLogger(__name__)


RECENT = 20  # exclusions and L1 batches the status keeps


class Halted(SvsError, RuntimeError):
    """The sequencer stopped producing blocks (roots disagree, a foreign block producer, or a
    journal the chains cannot be reconciled with)."""


class NodesUnavailable(SvsError, RuntimeError):
    """A rollup node does not answer. No blocks are built; every later tick first tries to
    recover (as at a restart) and carries on once every node answers."""


class TickAbandoned(SvsError, RuntimeError):
    """A tick failed and was rolled back on every rollup; the sequencer carries on."""


class _Suspects:
    """Transactions of abandoned ticks, in groups to build alone, front first (see module
    notes). A group is split along senders (a sender's transactions stay together, so nonces
    still follow), or, for one sender, into an earlier and a later half."""

    def __init__(self) -> None:
        self.groups: list[list[PendingTx]] = []

    @classmethod
    def load(cls, groups: list[list[str]], mempool: Mempool) -> "_Suspects":
        """Groups saved in the journal, less the transactions no longer pending."""
        suspects = cls()
        for hashes in groups:
            group = [tx for tx in (mempool.get(h) for h in hashes) if tx is not None]
            if group:
                suspects.groups.append(group)
        return suspects

    def hashes(self) -> list[list[str]]:
        return [[tx.hash for tx in group] for group in self.groups]

    def __bool__(self) -> bool:
        return bool(self.groups)

    def next_group(self) -> list[PendingTx]:
        return self.groups[0]

    def failed(self, group: list[PendingTx] | None, culprits: list[PendingTx]) -> PendingTx | None:
        """A tick (of ``group``, or of ordinary candidates if None) failed because of one of
        ``culprits``: queue them in halves, or return the culprit once it was alone in a group."""
        self.settled(group)
        if group is not None and len(culprits) == 1 and len(group) == 1:
            return culprits[0]
        parts = _halves(sorted(culprits, key=lambda t: t.seq)) if len(culprits) > 1 else [culprits]
        self.groups[:0] = [p for p in parts if p]
        return None

    def settled(self, group: list[PendingTx] | None) -> None:
        if group is not None and self.groups and self.groups[0] is group:
            self.groups.pop(0)


def _halves(group: list[PendingTx]) -> list[list[PendingTx]]:
    bundles: dict[tuple[int, str], list[PendingTx]] = {}
    for tx in group:
        bundles.setdefault((tx.chain_id, tx.sender), []).append(tx)
    if len(bundles) == 1:
        middle = len(group) // 2
        return [group[:middle], group[middle:]]
    ordered = list(bundles.values())
    middle = len(ordered) // 2
    return [sorted((t for b in part for t in b), key=lambda t: t.seq) for part in (ordered[:middle], ordered[middle:])]


@dataclass
class TickReport:
    tick: int
    heights: dict[int, int]
    included: dict[int, int]  # chain -> user transactions included
    legs: dict[int, int]  # chain -> destination legs included
    excluded: dict[str, str]  # tx hash -> reason
    excluded_by_chain: dict[int, int]
    deferred_reasons: dict[str, str]  # tx hash -> why it was left pending for a later tick
    unsettled: list[str]  # deferred because the tick did not settle with them
    pairs: int
    attempts: int
    roots_agree: bool
    seconds: float
    l1_batch: "BatchReport | None" = None  # set on the ticks that posted to L1 (not after post_in_background)
    simulations: int = 0  # simulation passes the builder's planning took

    def line(self) -> str:
        chains = " | ".join(
            f"{c}: {self.included[c]} in, {self.legs[c]} legs, {self.excluded_by_chain.get(c, 0)} out" for c in self.heights
        )
        height = max(self.heights.values())
        roots = "roots agree" if self.roots_agree else "ROOTS DISAGREE"
        waiting = f" | {len(self.deferred_reasons)} deferred" if self.deferred_reasons else ""
        line = (f"tick {self.tick} height {height} | {chains}{waiting} | pairs {self.pairs} | {roots} | "
                f"{self.attempts} attempt(s) {self.seconds * 1000:.0f} ms")
        return line + (f" | {self.l1_batch.line()}" if self.l1_batch else "")


@dataclass
class SequencerConfig:
    state_dir: Path
    max_block_txs: int = 1000
    rollups: dict[int, ChainEntry] = field(default_factory=dict)  # the deployment record's rollups
    block_gas_limit: int = BLOCK_GAS_LIMIT
    l1: L1Legs | None = None  # deposits to mint and exits to let through (svs.l1.deposits)


class Sequencer:
    def __init__(self, config: SequencerConfig, sequencer_key: LocalAccount, hooks: TickHooks = NO_HOOKS):
        """``hooks``: where a test steps into the ticks (svs.pipeline.hooks); production passes none."""
        self.config = config
        self.address = sequencer_key.address
        self.journal = Journal(config.state_dir / "journal.sqlite")
        self.mempool = Mempool()
        self.chains = {c: Rollup.of(entry, bytes(sequencer_key.key)) for c, entry in sorted(config.rollups.items())}
        self.hooks = hooks
        self.builder = Builder(list(self.chains.values()), self.address, hooks, config.block_gas_limit, config.l1)
        self.deposits = DepositFeed(config.l1, self.chains) if config.l1 else None
        self.committed: dict[int, int] = {}
        self._committed_states: dict[int, tuple[int, dict[str, tuple[int, int]]]] = {}  # chain -> (height, sender -> (nonce, balance))
        self.halted: str | None = None
        self.waiting_for: str | None = None  # why no blocks are built until the nodes answer again
        self.last_report: TickReport | None = None
        self.last_roots: list[PairRoots] = []
        self.batcher: Batcher | None = None  # posts to the L1 inbox every K committed ticks
        self.poster: Poster | None = None  # posts from its own thread (post_in_background)
        self.last_batch: dict | None = None  # the batcher's last report
        self._tick_lock = threading.Lock()
        self._admit_lock = threading.Lock()
        self._base_fee: dict[int, int] = {}
        self._tick_has_work = False
        self.commit_listeners: list = []  # called with (tick, plan) right after each commit
        self._settled = threading.Condition()  # notified when transactions are included or excluded
        self.recent_exclusions: deque[dict] = deque(maxlen=RECENT)  # for the status page
        self.recent_batches: deque[dict] = deque(maxlen=RECENT)  # the batcher's last reports
        self._suspects = _Suspects()
        self._saved_suspects: list[list[str]] = []
        hooks.bind(self)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        """Recover from the journal, align heights, load the pending transactions."""
        outcome = self._recover()
        log.info("sequencer %s ready: %s; heights %s; %d pending", self.address, outcome, self.committed, len(self.mempool))
        return outcome

    def _recover(self) -> str:
        """Bring every rollup to the journal's state (``svs.pipeline.recovery``: roll back, complete or
        replay), then take the committed heights and the pending transactions from the journal."""
        for chain in self.chains.values():
            chain.rpc.call("evm_setBlockGasLimit", hex(self.config.block_gas_limit))
        outcome = recover(self.journal, self.chains)
        heights = committed_heights(self.journal)
        if heights is None:
            heights = self._align_heights()
        mempool = Mempool()
        mempool.add([_pending(r) for r in self.journal.pending()])
        self._saved_suspects = self.journal.suspects()
        self._suspects = _Suspects.load(self._saved_suspects, mempool)
        with self._admit_lock:
            self.committed = heights
            self._committed_states.clear()  # the nodes may have been replayed: read again
            self.mempool = mempool
            self._refresh_base_fees()
        self.last_roots = read_pair_roots(self.chains, self.committed)
        if not all(p.equal for p in self.last_roots) and self.hooks.checks_roots:
            self._halt("roots disagree after recovery: " + _mismatches(self.last_roots))
        return outcome

    def _resume(self) -> None:
        """After a node failed: recover as at a restart once every node answers again (a node
        restarted from an older state gets the blocks it lost replayed from the journal)."""
        try:
            outcome = self._recover()
        except (NodeUnavailable, RpcError) as err:
            raise NodesUnavailable(f"{self.waiting_for}; still waiting: {err}") from err
        except RecoveryError as err:
            self._halt(f"cannot resume after a node failure: {err}")
            raise Halted(self.halted) from err
        log.warning("every node answers again; resumed: %s; heights %s", outcome, self.committed)
        self.waiting_for = None

    def _wait_for_nodes(self, reason: str) -> NodesUnavailable:
        self.waiting_for = reason
        log.error("%s; no blocks until every node answers again", reason)
        return NodesUnavailable(reason)

    def close(self) -> None:
        if self.poster is not None:
            self.poster.close()
        self.builder.close()
        self.journal.close()

    def _align_heights(self) -> dict[int, int]:
        """Before the first tick: mine empty blocks on lagging rollups so all share one height
        (a pair's legs land at the same height on both sides)."""
        heights = {c: int(chain.rpc.call("eth_blockNumber"), 16) for c, chain in self.chains.items()}
        top = max(heights.values())
        for chain_id, chain in self.chains.items():
            for _ in range(top - heights[chain_id]):
                chain.rpc.call("evm_mine")
        return {c: top for c in self.chains}

    # --- admission (the ingress calls this) -------------------------------------------------

    def submit(self, chain_id: int, raws: list[bytes]) -> list[str | Rejected]:
        """Admit raw transactions for rollup ``chain_id``; each result is the tx hash or the
        Rejected error. Accepted ones are in the journal when this returns."""
        if chain_id not in self.chains:
            raise ValueError(f"chain {chain_id} is not a rollup of this sequencer")
        results: list[str | Rejected] = []
        decoded = []
        largest = max_tx_bytes(len(self.chains))
        for raw in raws:
            if len(raw) > largest:  # refused before the signature is even recovered
                decoded.append(None)
                results.append(Rejected(f"oversized data: transaction of {len(raw):,} bytes exceeds the limit of {largest:,}"))
                continue
            try:
                decoded.append(decode_raw_transaction(raw))
                results.append("")
            except InvalidTransaction as err:
                decoded.append(None)
                results.append(Rejected(str(err)))
        with self._admit_lock:
            states = self._sender_states(chain_id, [d for d in decoded if d is not None])
            accepted = []
            staged_next: dict[str, int] = {}
            staged_cost: dict[str, int] = {}
            known = self.journal.known([d.hash for d in decoded if d is not None])
            for i, tx in enumerate(decoded):
                if tx is None:
                    continue
                if tx.hash in known:
                    results[i] = Rejected(f"already known: {tx.hash}")
                    continue
                known.add(tx.hash)
                base = states[tx.sender]
                state = SenderState(base.committed_nonce, base.balance,
                                    staged_next.get(tx.sender, base.pending_next_nonce),
                                    base.pending_cost + staged_cost.get(tx.sender, 0))
                try:
                    admit(tx, chain_id, state, self._base_fee.get(chain_id, 0), {self.address})
                except Rejected as err:
                    results[i] = err
                    continue
                staged_next[tx.sender] = tx.nonce + 1
                staged_cost[tx.sender] = staged_cost.get(tx.sender, 0) + tx.max_cost
                accepted.append(tx)
                results[i] = tx.hash
            if accepted:
                seqs = self.journal.accept([
                    {"hash": t.hash, "chain_id": chain_id, "sender": t.sender, "nonce": t.nonce, "raw": t.raw}
                    for t in accepted
                ])
                now = time.time()
                self.mempool.add([PendingTx(s, chain_id, t, now) for s, t in zip(seqs, accepted)])
        return results

    def _sender_states(self, chain_id: int, txs: list) -> dict[str, SenderState]:
        """Each sender's nonce and balance at the committed block, and what it has pending. The
        committed state of a height never changes, so what was read at this height is kept
        until the next commit (clients send in many small requests between two ticks)."""
        height = self.committed[chain_id]
        cached_at, committed = self._committed_states.get(chain_id, (None, {}))
        if cached_at != height or len(committed) > MAX_CACHED_SENDERS:
            committed = {}
            self._committed_states[chain_id] = (height, committed)
        senders = {t.sender for t in txs}
        missing = sorted(senders - committed.keys())
        if missing:
            calls = []
            for sender in missing:
                calls += [("eth_getTransactionCount", [sender, hex(height)]), ("eth_getBalance", [sender, hex(height)])]
            results = self.chains[chain_id].rpc.batch_strict(calls)
            for i, sender in enumerate(missing):
                committed[sender] = (int(results[2 * i], 16), int(results[2 * i + 1], 16))
        return {
            sender: SenderState(*committed[sender], self.mempool.next_nonce(chain_id, sender),
                                self.mempool.pending_cost(chain_id, sender))
            for sender in senders
        }

    def _refresh_base_fees(self) -> None:
        """The base fee of each rollup's next block (admission refuses fee caps below it)."""
        for chain_id, chain in self.chains.items():
            block = chain.rpc.call("eth_getBlockByNumber", hex(self.committed[chain_id]), False)
            self._base_fee[chain_id] = next_base_fee(int(block.get("baseFeePerGas", "0x0"), 16),
                                                     int(block["gasUsed"], 16), int(block["gasLimit"], 16))

    # --- ticks -----------------------------------------------------------------------------

    def tick(self, allow_empty: bool = True) -> TickReport | None:
        """Build, execute, check and commit the next block of every rollup. With
        ``allow_empty=False`` a tick with nothing pending is skipped (returns None). Raises
        Halted (no more blocks) or TickAbandoned (rolled back; the next tick carries on)."""
        with self._tick_lock:
            if self.halted:
                raise Halted(self.halted)
            if self.waiting_for is not None:
                self._resume()
            group = self._suspects.next_group() if self._suspects else None
            candidates = self._candidates(group)
            deposits = self.deposits.due(self.committed) if self.deposits else {}
            if not allow_empty and not any(candidates.values()) and not any(deposits.values()):
                return None
            self._tick_has_work = any(candidates.values()) or any(deposits.values())
            try:
                report = self._tick(candidates, deposits)
            except (Halted, NodesUnavailable):
                raise
            except NodeUnavailable as err:
                raise self._wait_for_nodes(f"a rollup node failed during the tick: {err}") from err
            except Exception as err:
                self._abandon(candidates, group, err)
                self._save_suspects()
                raise TickAbandoned(f"tick abandoned and rolled back: {type(err).__name__}: {err}") from err
            self._isolate_unsettled(candidates, group, report)
            self._save_suspects()
            return report

    def _save_suspects(self) -> None:
        """The isolation in progress survives a restart: a transaction that made a tick fail is
        built again only in ever smaller groups, never back among all the pending ones."""
        groups = self._suspects.hashes()
        if groups != self._saved_suspects:
            self.journal.save_suspects(groups)
            self._saved_suspects = groups

    def _candidates(self, group: list[PendingTx] | None) -> dict[int, list[PendingTx]]:
        """The oldest pending transactions of each rollup, or, while a failed tick's transactions
        are being isolated, the next group of suspects alone."""
        if group is None:
            return {c: self.mempool.take(c, self.config.max_block_txs) for c in self.chains}
        pending = [t for t in group if self.mempool.get(t.hash) is not None]
        return {c: [t for t in pending if t.chain_id == c] for c in self.chains}

    def _abandon(self, candidates: dict[int, list[PendingTx]], group: list[PendingTx] | None, err: Exception) -> None:
        """Roll a failed tick back everywhere and narrow down the transaction that caused it."""
        log.error("tick failed, rolling it back: %s: %s", type(err).__name__, err, exc_info=err)
        last = self.journal.last_tick()
        try:
            for chain_id, chain in self.chains.items():
                roll_back_to(chain.rpc, self.committed[chain_id])
        except (NodeUnavailable, RpcError) as node_err:
            raise self._wait_for_nodes(f"a rollup node failed while rolling back a failed tick: {node_err}") from node_err
        if last is not None and last.phase in (PLANNED, SEALED):
            self.journal.roll_back_tick(last.tick)
        txs = [t for txs in candidates.values() for t in txs]
        if txs:
            self._exclude_culprit(self._suspects.failed(group, txs), f"made a tick fail: {type(err).__name__}: {err}")
        else:
            self._suspects.settled(group)

    def _isolate_unsettled(self, candidates, group: list[PendingTx] | None, report: "TickReport") -> None:
        """Transactions a committed tick deferred as unsettled become suspects (module notes)."""
        unsettled = [t for txs in candidates.values() for t in txs if t.hash in report.unsettled]
        if not unsettled:
            self._suspects.settled(group)
            return
        culprit = self._suspects.failed(group, unsettled)
        if culprit is not None:
            self._exclude_culprit(culprit, "kept a tick from settling even when built alone: "
                                  + report.deferred_reasons.get(culprit.hash, ""))

    def _exclude_culprit(self, culprit: PendingTx | None, reason: str) -> None:
        if culprit is None:
            return
        self.journal.exclude({culprit.hash: reason[:500]})
        self.mempool.remove([culprit.hash])
        self.recent_exclusions.append({"hash": culprit.hash, "chainId": culprit.chain_id, "reason": reason[:500],
                                       "tick": None})
        log.warning("excluded %s: %s", culprit.hash, reason)
        self._notify_settled()

    def _notify_settled(self) -> None:
        with self._settled:
            self._settled.notify_all()

    def _tick(self, candidates: dict[int, list[PendingTx]], deposits: dict[int, list[Deposit]]) -> TickReport:
        started = time.perf_counter()
        last = self.journal.last_tick()
        number = last.tick + 1 if last else 1
        bases = dict(self.committed)
        self._check_heights(bases)
        self.journal.plan_tick(number, bases)
        self._hook_at("planned")

        plan = self.builder.build(bases, candidates, deposits)
        self.journal.seal_tick(number, plan)
        self._hook_at("sealed")

        heights = {c: h + 1 for c, h in bases.items()}
        roots = read_pair_roots(self.chains, heights)
        self._hook_at("checked")
        if not all(p.equal for p in roots) and not self.hooks.checks_roots:
            log.warning("fault injection: self-check skipped although roots disagree: %s", _mismatches(roots))
        elif not all(p.equal for p in roots):
            # Sealed but not committed: the blocks stay on the chains for inspection and nothing
            # more is built on them. A restart replays the seal and halts again on the same check.
            self._halt(f"roots disagree after tick {number}: " + _mismatches(roots))
            raise Halted(self.halted)

        # Under the admission lock: admission must see either the old heights with these
        # transactions pending, or the new heights without them, never a mix.
        with self._admit_lock:
            self.journal.commit_tick(number, plan)
            self.committed = heights
            self.mempool.remove(plan.settled())
            self._refresh_base_fees()
        self.last_roots = roots
        self.hooks.committed(number)
        for listener in self.commit_listeners:
            try:
                listener(number, plan)
            except Exception:  # a listener (status, tests) must not fail a committed tick
                log.exception("commit listener failed")
        self._notify_settled()
        self._hook_at("committed")
        report = _report(number, heights, plan, candidates, roots, time.perf_counter() - started)
        chain_of = {t.hash: c for c, txs in candidates.items() for t in txs}
        self.recent_exclusions.extend({"hash": h, "chainId": chain_of.get(h), "reason": r, "tick": number}
                                      for h, r in report.excluded.items())
        report.l1_batch = self._post_to_l1(heights, busy=any(block.txs for block in plan.blocks.values()))
        self.last_report = report
        return report

    def post_in_background(self) -> None:
        """From now on, post to L1 from a thread of its own (svs.l1.poster), so waiting for L1
        does not pause the ticks (while the batcher is behind, the clock still waits a bounded
        time for the post under way); the clock (svs.run.service) does this. Ticks called
        directly otherwise post in the tick, which tests rely on to see each tick's post."""
        if self.batcher is not None and self.poster is None:
            self.poster = Poster(self.batcher, self._record_batch).start()

    def _post_to_l1(self, heights: dict[int, int], busy: bool) -> BatchReport | None:
        """After the self-check and the commit: post the batches when the batcher says one is
        due (``Batcher.on_commit``), here or, after ``post_in_background``, on the poster's
        thread. A failed post is reported (status, log) and retried by the next one; it never
        stops the ticks."""
        if self.poster is not None:
            self.poster.committed(heights, busy)
            return None
        if self.batcher is None:
            return None
        batch = self.batcher.on_commit(heights, busy)
        if batch is not None:
            self._record_batch(batch)
        return batch

    def _record_batch(self, batch: BatchReport) -> None:
        self.last_batch = batch.as_dict()
        self.recent_batches.append(self.last_batch)
        if self.poster is not None:  # no tick line carries it
            (log.info if batch.ok else log.warning)("%s", batch.line())

    def _check_heights(self, bases: dict[int, int]) -> None:
        for chain_id, chain in self.chains.items():
            height = int(chain.rpc.call("eth_blockNumber"), 16)
            if height < bases[chain_id]:
                raise self._wait_for_nodes(f"chain {chain_id} is at block {height}, below the committed "
                                           f"{bases[chain_id]}: its node restarted from an older state")
            if height > bases[chain_id]:
                self._halt(f"chain {chain_id} is at block {height}, expected {bases[chain_id]}: "
                           "another block producer is active on this rollup")
                raise Halted(self.halted)

    def _halt(self, reason: str) -> None:
        self.halted = reason
        log.critical("SEQUENCER HALTED, no more blocks: %s", reason)

    def _hook_at(self, point: str) -> None:
        """Fault injection steps in only on ticks that carry transactions, so a crash there has
        something to lose."""
        if self._tick_has_work:
            self.hooks.at(point)

    # --- queries ---------------------------------------------------------------------------

    def transaction_status(self, tx_hash: str) -> dict | None:
        record = self.journal.get(tx_hash.lower())
        if record is None:
            return None
        status = {"hash": record.hash, "status": record.status, "chainId": record.chain_id,
                  "sequenceNumber": record.seq, "origin": record.origin}
        if record.status == "included":
            status.update(block=record.block, index=record.tx_index, tick=record.tick, legs=record.legs)
        elif record.status == "excluded":
            status.update(reason=record.reason, tick=record.tick)
        return status

    def wait_settled(self, tx_hash: str, seconds: float) -> dict | None:
        """The transaction's status once it is included (its tick, and so its legs, committed)
        or excluded; None if neither happens within ``seconds``."""
        deadline = time.monotonic() + seconds
        with self._settled:
            while True:
                status = self.transaction_status(tx_hash)
                if status is not None and status["status"] in ("included", "excluded"):
                    return status
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._settled.wait(remaining)

    def status(self) -> dict:
        return {
            "sequencer": self.address,
            "halted": self.halted,
            "waitingForNodes": self.waiting_for,
            "heights": {str(c): h for c, h in self.committed.items()},
            "pending": {str(c): n for c, n in self.mempool.counts().items()},
            "lastTick": self.last_report.tick if self.last_report else None,
            "pairs": [p.as_dict() for p in self.last_roots],
            "lastL1Batch": self.last_batch,
            "recentL1Batches": list(self.recent_batches),
            "recentExclusions": list(self.recent_exclusions),
            "l1Legs": self.deposits.status(self.committed) if self.deposits else None,
            "transactions": self.journal.counts(),
        }


def _pending(record) -> PendingTx:
    return PendingTx(record.seq, record.chain_id, decode_raw_transaction(record.raw), record.accepted_at)


def _mismatches(roots: list[PairRoots]) -> str:
    return "; ".join(p.describe() for p in roots if not p.equal)


def _report(number, heights, plan: TickPlan, candidates, roots, seconds) -> TickReport:
    included, legs = {}, {}
    for chain_id in heights:
        txs = plan.blocks[chain_id].txs
        included[chain_id] = sum(1 for tx in txs if tx.origin == USER)
        legs[chain_id] = sum(1 for tx in txs if tx.origin == SEQUENCER)
    chain_of = {t.hash: c for c, txs in candidates.items() for t in txs}
    excluded_by_chain: dict[int, int] = {}
    for tx_hash in plan.excluded:
        chain_id = chain_of.get(tx_hash)
        excluded_by_chain[chain_id] = excluded_by_chain.get(chain_id, 0) + 1
    return TickReport(number, heights, included, legs, plan.excluded, excluded_by_chain, plan.deferred,
                      list(plan.unsettled), plan.pairs, plan.attempts, all(p.equal for p in roots), seconds,
                      simulations=plan.simulations)
