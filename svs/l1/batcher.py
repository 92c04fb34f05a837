"""Posts every rollup's batch to the L1 inbox in one transaction.

``collect`` reads, from the rollup nodes, each rollup's batch from the inbox's next expected
block up to a given height, and in strict mode the storage proofs at exactly that height. The
``Batcher`` calls it after a committed tick's self-check, at the committed heights: on every
K-th tick if a block since the last post has transactions, and otherwise only when a heartbeat's
worth of ticks passed without a post (so L1 sees the rollups are alive without paying for a post
of empty blocks every K ticks). It keeps no state of its own: where the next batch starts is read from the inbox, so a
restarted sequencer carries on where L1 says it stopped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from svs.codec import blobs as blob_codec
from svs.codec.batches import Batch, build_batch
from svs.l1.inbox import InboxClient, InboxRejected
from svs.l1.proofs import CommitmentProof, commitment_proof
from svs.node.rollup import Rollup
from svs.node.rpc import RpcClient, RpcError
from svs.pipeline.hooks import NO_HOOKS, TickHooks
from svs.pipeline.limits import MAX_BLOBS_PER_POST, MAX_POST_DATA_BYTES

log = logging.getLogger(__name__)


def rollup_proofs(sources: dict[int, Rollup], rollups: list[int], heights: dict[int, int]
                  ) -> list[tuple[CommitmentProof, CommitmentProof]]:
    """Strict-mode proofs of both system contracts of every rollup at ``heights``, in the
    inbox's rollup order."""
    return [(commitment_proof(sources[c].rpc, sources[c].mint_burn, heights[c]),
             commitment_proof(sources[c].rpc, sources[c].general, heights[c])) for c in rollups]


def collect(sources: dict[int, Rollup], rollups: list[int], ranges: dict[int, tuple[int, int]],
            with_proofs: bool) -> tuple[list[Batch], list[tuple[CommitmentProof, CommitmentProof]] | None]:
    """Batches (in the inbox's rollup order) for ``ranges`` and, if asked, their proofs at each
    range's last block."""
    batches = [build_batch(sources[c].rpc, c, *ranges[c]) for c in rollups]
    proofs = rollup_proofs(sources, rollups, {c: last for c, (_, last) in ranges.items()}) if with_proofs else None
    return batches, proofs


def unequal_pairs(rollups: list[int], proofs: list[tuple[CommitmentProof, CommitmentProof]]) -> str | None:
    """The pairs whose outbound and inbound roots differ in ``proofs`` (``collect``'s, in the
    inbox's rollup order), described; None if every pair agrees."""
    by_chain = dict(zip(rollups, proofs))
    unequal = [f"{name} {source}->{destination}"
               for source in rollups for destination in rollups if source != destination
               for kind, name in enumerate(("transfer", "call"))
               if by_chain[source][kind].root(destination, outbound=True)
               != by_chain[destination][kind].root(source, outbound=False)]
    return f"pairs disagree: {', '.join(unequal)}" if unequal else None


@dataclass
class BatchReport:
    """What the last L1 post did (``sequencer_status.lastL1Batch``)."""

    ok: bool
    batch_index: int | None
    ranges: dict[int, tuple[int, int]]
    tx_hash: str | None = None
    gas_used: int | None = None
    calldata_bytes: int | None = None
    seconds: float = 0.0
    error: str | None = None
    blobs: int = 0  # EIP-4844 blobs the data went in (0: calldata)
    blob_gas_used: int = 0

    def as_dict(self) -> dict:
        return {"ok": self.ok, "batchIndex": self.batch_index, "txHash": self.tx_hash, "gasUsed": self.gas_used,
                "calldataBytes": self.calldata_bytes, "blobs": self.blobs, "blobGasUsed": self.blob_gas_used,
                "seconds": round(self.seconds, 3), "error": self.error,
                "ranges": {str(c): {"firstBlock": f, "lastBlock": t} for c, (f, t) in self.ranges.items()}}

    def line(self) -> str:
        spans = ", ".join(f"{c}:{f}-{t}" for c, (f, t) in sorted(self.ranges.items()))
        if not self.ok:
            return f"L1 batch FAILED for {spans}: {self.error}"
        where = f", {self.blobs} blob(s)" if self.blobs else ""
        return f"L1 batch #{self.batch_index} accepted ({spans}; {self.gas_used:,} gas{where})"


# Given a post's ranges that are too large: smaller ranges ending at a consistent cut, or None.
Shrink = Callable[[dict[int, tuple[int, int]]], "dict[int, tuple[int, int]] | None"]

MAX_DATA_BYTES = MAX_POST_DATA_BYTES  # compressed batch data per L1 transaction, all rollups together


DEFAULT_HEARTBEAT = 60  # ticks without transactions after which a post goes anyway
DATA_AVAILABILITY = ("auto", "blobs", "calldata")  # where posts put the batch data (Batcher)


class Batcher:
    """Posts a batch on every ``every``-th tick when there are blocks with transactions to post,
    or when ``heartbeat`` ticks passed since the last post (0: no heartbeat); see module notes.
    A post carries at most ``max_data_bytes`` of batch data: a longer backlog is posted a part at
    a time, one part per tick, until it has caught up (anvil refuses requests of a few MB, and L1
    gas grows with the data).

    ``data_availability``: where the batch data goes. "blobs": in EIP-4844 blobs, each rollup's
    data in its own, whenever they fit one transaction (MAX_BLOBS_PER_POST); a post that needs
    more blobs, even at one block per rollup, goes in calldata. "calldata": always calldata.
    "auto": blobs if L1 takes blob transactions and every rollup can have a blob, else calldata."""

    def __init__(self, inbox: InboxClient, sources: dict[int, Rollup], every: int,
                 max_data_bytes: int = MAX_DATA_BYTES, hooks: TickHooks = NO_HOOKS,
                 heartbeat: int = DEFAULT_HEARTBEAT, data_availability: str = "calldata"):
        if every < 1:
            raise ValueError("the batch interval must be at least 1 tick")
        if heartbeat < 0:
            raise ValueError("the heartbeat must be 0 (none) or a number of ticks")
        if data_availability not in DATA_AVAILABILITY:
            raise ValueError(f"data availability must be one of {', '.join(DATA_AVAILABILITY)}, "
                             f"not {data_availability!r}")
        self.inbox, self.sources, self.every, self.heartbeat = inbox, sources, every, heartbeat
        self.max_data_bytes = max_data_bytes
        self.hooks = hooks  # fault injection (svs.pipeline.hooks): may change the claims of a post
        self.rollups = inbox.rollups()
        self.optimistic = inbox.optimistic()
        self.in_blobs = self._use_blobs(data_availability)
        self.max_blobs = MAX_BLOBS_PER_POST  # blobs one post carries at most
        self._ticks = 0
        self._behind = False  # the last post left blocks behind: post again on the next tick
        self._busy = True  # a block since the last post has transactions (unknown after a start)
        self._since_post = 0  # ticks since the last accepted post
        self._earliest_last: dict[int, int] = {}
        self.find_earliest_ends()
        if sorted(self.rollups) != sorted(sources):
            raise ValueError(f"the inbox serves rollups {self.rollups}, the sequencer {sorted(sources)}")

    @property
    def behind(self) -> bool:
        """The last post left blocks unposted: it ended at an earlier block than it was given,
        because the data did not fit one post."""
        return self._behind

    def _use_blobs(self, data_availability: str) -> bool:
        if data_availability == "calldata":
            return False
        usable = len(self.rollups) <= MAX_BLOBS_PER_POST and self.inbox.blobs_supported()
        if data_availability == "blobs" and not usable:
            raise ValueError(f"posts in blobs need an L1 that takes blob transactions and at most "
                             f"{MAX_BLOBS_PER_POST} rollups (a blob each); use calldata")
        if usable:
            blob_codec.prepare()
        return usable

    def _blobs_fit(self, batches: list[Batch]) -> bool:
        return sum(blob_codec.blobs_needed(len(b.data)) for b in batches) <= self.max_blobs

    def find_earliest_ends(self) -> None:
        """A batch can only end where both system contracts exist (their accounts are proven) and
        the node still has the state; call again after a node was restarted from a checkpoint."""
        self._earliest_last = {c: max(_first_block_with_code(s.rpc, s.mint_burn), _first_block_with_code(s.rpc, s.general))
                               for c, s in self.sources.items()}

    def on_commit(self, heights: dict[int, int], busy: bool = True, ticks: int = 1) -> BatchReport | None:
        """Count ``ticks`` committed ticks, the last at ``heights`` (``busy``: one of their
        blocks has transactions), and post if one is due: when the count passed a K-th tick
        with transactions to post or a heartbeat due, and on every call while a backlog
        remains. ``ticks`` is more than 1 when the ticks went on while a post was under way
        (svs.l1.poster)."""
        if ticks < 1:
            raise ValueError("on_commit counts at least one committed tick")
        passed_kth = (self._ticks + ticks) // self.every > self._ticks // self.every
        self._ticks += ticks
        self._since_post += ticks
        self._busy |= busy
        heartbeat_due = self.heartbeat > 0 and self._since_post >= self.heartbeat
        if not self._behind and not (passed_kth and (self._busy or heartbeat_due)):
            return None
        report = self.post(heights)
        if report is not None and report.ok:
            self._since_post = 0
            self._busy = self._behind
        return report

    def post(self, heights: dict[int, int], shrink: Shrink | None = None) -> BatchReport | None:
        """Post every rollup's blocks from the inbox's next block to ``heights``. None if some
        rollup has nothing new. A rejection is reported, not raised: the blocks stay unposted
        and the next post covers them again. ``shrink``: see ``_fitting``."""
        started = time.monotonic()
        ranges: dict[int, tuple[int, int]] = {}
        try:
            ranges = {c: (self.inbox.next_block(c), heights[c]) for c in self.rollups}
            if any(first > last for first, last in ranges.values()):
                return None
            batches, ranges = self._fitting(ranges, shrink)
            self._behind = any(last < heights[c] for c, (_, last) in ranges.items())
            proofs = None if self.optimistic else rollup_proofs(
                self.sources, self.rollups, {c: last for c, (_, last) in ranges.items()})
            batches = self.hooks.post(batches)
            if batches is None:
                return None
            index = self.inbox.batch_count()
            sent = self.inbox.submit(batches, proofs, in_blobs=self.in_blobs and self._blobs_fit(batches))
        except InboxRejected as err:
            log.error("%s", err)
            return BatchReport(False, None, ranges, seconds=time.monotonic() - started, error=err.reason)
        except Exception as err:  # an L1 or rollup node failing must not stop the ticks
            log.exception("posting to L1 failed")
            return BatchReport(False, None, ranges, seconds=time.monotonic() - started,
                               error=f"{type(err).__name__}: {err}")
        return BatchReport(True, index, ranges, sent.tx_hash, sent.gas_used, sent.calldata_bytes,
                           time.monotonic() - started, blobs=sent.blobs, blob_gas_used=sent.blob_gas_used)

    def dry_run(self, heights: dict[int, int]) -> str | None:
        """Why L1 would refuse a post of every unposted block up to ``heights``; None if it would
        accept it (or there is nothing to post). Nothing is sent. In optimistic mode, whose
        submission checks no pairs, the pairs are compared as a challenge would compare them."""
        ranges = {c: (self.inbox.next_block(c), heights[c]) for c in self.rollups}
        if any(first > last for first, last in ranges.values()):
            return None
        batches, proofs = collect(self.sources, self.rollups, ranges, with_proofs=True)
        try:
            self.inbox.dry_run(batches, None if self.optimistic else proofs)
        except InboxRejected as err:
            return err.reason
        return unequal_pairs(self.rollups, proofs) if self.optimistic else None

    def _fitting(self, ranges: dict[int, tuple[int, int]], shrink: Shrink | None = None
                 ) -> tuple[list[Batch], dict[int, tuple[int, int]]]:
        """Batches for the longest prefix of ``ranges`` (halving each range's length) whose data
        fits ``max_data_bytes``, at least one block per rollup; and those ranges.

        Halving keeps a post at a consistent cut only where every rollup advances a block per
        tick (local mode). Elsewhere (attach mode) the caller passes ``shrink``: given ranges
        that are too large, it returns smaller ones from the same first blocks that end at a
        consistent cut, or None if it knows none; then the last ranges are posted as they are."""
        while True:
            batches = [build_batch(self.sources[c].rpc, c, *ranges[c]) for c in self.rollups]
            if ((sum(len(b.data) for b in batches) <= self.max_data_bytes
                 and (not self.in_blobs or self._blobs_fit(batches)))
                    or all(last <= max(first, self._earliest_last[c]) for c, (first, last) in ranges.items())):
                return batches, ranges
            if shrink is not None:
                smaller = shrink(ranges)
                if smaller is None:
                    return batches, ranges
                ranges = self._smaller(ranges, smaller)
                continue
            ranges = {c: (first, max(first + (last - first + 1) // 2 - 1, first, self._earliest_last[c]))
                      for c, (first, last) in ranges.items()}

    def _smaller(self, ranges: dict[int, tuple[int, int]], smaller: dict[int, tuple[int, int]]
                 ) -> dict[int, tuple[int, int]]:
        """``smaller``, if it is what a shrink must return for ``ranges``; else ValueError."""
        if (smaller.keys() != ranges.keys() or smaller == ranges
                or any(smaller[c][0] != first or not max(first, self._earliest_last[c]) <= smaller[c][1] <= last
                       for c, (first, last) in ranges.items())):
            raise ValueError(f"shrinking {ranges} gave {smaller}: not shorter ranges from the same first blocks")
        return smaller


def _first_block_with_code(rpc: RpcClient, address: str) -> int:
    """The first block at which the node shows code at ``address`` (binary search over history).
    A node restarted from a checkpoint (svs.node.checkpoints) holds no state before it, so the answer is
    then no earlier than the checkpoint: batches end where proofs can be read."""
    low, high = 0, int(rpc.call("eth_blockNumber"), 16)
    if not _has_code(rpc, address, high):
        raise ValueError(f"no contract at {address} on {rpc.url}")
    while low < high:
        middle = (low + high) // 2
        if _has_code(rpc, address, middle):
            high = middle
        else:
            low = middle + 1
    return low


def _has_code(rpc: RpcClient, address: str, height: int) -> bool:
    try:
        return rpc.call("eth_getCode", address, hex(height)) not in (None, "0x")
    except RpcError:  # no state kept at that height
        return False
