"""A full node and challenger for the L1 inbox (``ape run verify``).

For every accepted batch it checks, against its own rollup nodes:
- the claimed block hash and state root of the batch's last block;
- the claimed hash of every block of the batch (the record's ``blocksRoot``);
- the posted transaction data (decompressed) against the blocks the node has;
- every pair of trees at that block (the equalities the strict inbox proves), and at every
  block inside the batch when the rollups advance in lockstep (local mode; not attach mode).
  In a synchronous deployment leg hashes carry their height, so a pair split across blocks
  differs at every later block too: the batch end shows it.

In optimistic mode three kinds of fault are provable on L1, and the verifier challenges the
earliest batch with one and takes the bond:
- a pair mismatch at the batch's last block, under state roots the node agrees with;
- a claimed state root that is not the one in the header of the claimed block (the node's
  header hashes to the claimed block hash);
- claimed block hashes that are not a chain of parent links ending at the claimed block.
A claimed last block the node does not have is reported but cannot be challenged (that would
need a proof of execution, which the inbox does not have).

Whatever the sequencer posted, the verifier reports and carries on: data that does not decode
is a finding of its batch, and the claims and pairs of that batch are still checked (and
challenged). An unexpected error in one check is a problem of that batch too (logged with its
traceback); it never stops ``verify_all``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from eth_abi.exceptions import DecodingError

from svs.codec.batches import block_contents, blocks_root, decode_contents
from svs.codec.blobs import data_hash_of, from_blobs
from svs.codec.hashing import keccak
from svs.codec.headers import HeaderError, header_rlp
from svs.codec.merkle import MerkleTree
from svs.deploy.artifacts import load_artifact
from svs.l1.beacon import BeaconBlobs, BlobsUnavailable
from svs.l1.inbox import InboxClient, InboxRejected
from svs.l1.proofs import commitment_proof
from svs.node.rollup import Rollup
from svs.pipeline.selfcheck import read_pair_roots

log = logging.getLogger(__name__)

TREE_CONTRACT = {"transfer": "mint_burn", "call": "general"}
T = TypeVar("T")


@dataclass
class BatchVerdict:
    index: int
    ranges: dict[int, tuple[int, int]]
    problems: list[str] = field(default_factory=list)
    provable: list[tuple[int, int, str]] = field(default_factory=list)  # (source, destination, tree)
    false_headers: list[int] = field(default_factory=list)  # rollups whose claimed root is not their block's
    false_links: list[tuple[int, int]] = field(default_factory=list)  # (rollup, link) of a wrong block-hash chain
    deposit_faults: list[int] = field(default_factory=list)  # rollups that minted unmade or skipped overdue deposits
    challenge: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        spans = ", ".join(f"{c}:{f}-{t}" for c, (f, t) in sorted(self.ranges.items()))
        head = f"batch #{self.index} ({spans}): " + ("OK" if self.ok else "BAD: " + "; ".join(self.problems))
        return head + (f"\n    {self.challenge}" if self.challenge else "")


@dataclass
class Posted:
    """One rollup's batch as the submission carried it: its data, from calldata or read back
    from its blobs (None, with ``missing`` saying why, if it cannot be had), and the hash the
    inbox must have recorded for it."""

    data: bytes | None
    data_hash: bytes
    block_hashes: list[bytes] | None
    blobs: int = 0
    missing: str | None = None


class Verifier:
    def __init__(self, inbox: InboxClient, sources: dict[int, Rollup], lockstep: bool = True,
                 blobs: BeaconBlobs | None = None):
        """``lockstep``: the rollups' blocks advance together, a block each per tick (local
        mode), so the blocks inside a batch are compared pair by pair too. Attach mode's
        rollups produce their own blocks: only batch ends are consistent cuts there.
        ``blobs``: where posts' blobs are read back (default: the beacon API at the L1's URL,
        which anvil serves)."""
        self.inbox, self.sources, self.lockstep = inbox, sources, lockstep
        self.blobs = blobs or BeaconBlobs(inbox.w3.provider.endpoint_uri)
        self.rollups = inbox.rollups()
        self.optimistic = inbox.optimistic()

    def verify(self, index: int) -> BatchVerdict:
        """Check batch ``index`` (see module notes). Never raises for anything the batch holds:
        every problem, and every error while checking, is in the verdict."""
        verdict = BatchVerdict(index, {})
        records = self._guarded(verdict, "reading the batch's records on L1",
                                lambda: {c: self.inbox.record(index, c) for c in self.rollups})
        if records is None:
            return verdict
        verdict.ranges = {c: (r["firstBlock"], r["lastBlock"]) for c, r in records.items()}
        posted = self._guarded(verdict, "reading the posted data", lambda: self._posted_data(verdict, index))
        agree = True
        for chain_id, record in records.items():
            agree &= bool(self._guarded(verdict, f"checking chain {chain_id}'s claims",
                                        lambda: self._check_claims(verdict, chain_id, record)))
            if posted is not None:
                batch = posted.get(chain_id)
                self._guarded(verdict, f"checking chain {chain_id}'s posted data",
                              lambda: self._check_data(verdict, chain_id, record, batch))
                self._guarded(verdict, f"checking chain {chain_id}'s block hashes",
                              lambda: self._check_block_hashes(verdict, chain_id, record,
                                                               batch.block_hashes if batch else None))
        if agree:
            self._guarded(verdict, "checking the deposits served", lambda: self._check_deposits(verdict, records))
            heights = {c: r["lastBlock"] for c, r in records.items()}
            self._guarded(verdict, "comparing the pairs at the batch's last blocks",
                          lambda: self._check_ends(verdict, heights))
            if self.lockstep:
                self._guarded(verdict, "comparing the pairs inside the batch",
                              lambda: self._check_inside(verdict, records))
        return verdict

    def _guarded(self, verdict: BatchVerdict, what: str, check: Callable[[], T]) -> T | None:
        """``check()``, or None after noting in ``verdict`` that ``what`` failed with an
        unexpected error (logged with its traceback): one broken check must not stop the rest."""
        try:
            return check()
        except Exception as err:  # noqa: BLE001 - reported in the verdict, logged with the traceback
            log.exception("batch #%d: %s failed", verdict.index, what)
            verdict.problems.append(f"{what} failed: {type(err).__name__}: {err}")
            return None

    def _check_ends(self, verdict: BatchVerdict, heights: dict[int, int]) -> None:
        """Pair trees at the batch's last blocks: a mismatch there is provable on L1."""
        for pair in read_pair_roots(self.sources, heights):
            if not pair.equal:
                verdict.problems.append(f"at the batch's last blocks: {pair.describe()}")
                verdict.provable.append((pair.source, pair.destination, pair.kind))

    def _check_deposits(self, verdict: BatchVerdict, records: dict[int, dict]) -> None:
        """Each rollup's inbound tree from L1 at the batch's end is a prefix of L1's deposit tree,
        and serves every deposit older than the window at the batch's L1 block (the strict
        inbox's check; in optimistic mode ``challengeDeposits`` proves a failure)."""
        bridge = self.inbox.w3.eth.contract(address=self.inbox.bridge(), abi=load_artifact("L1Bridge").abi)
        window, submitted = self.inbox.deposit_window(), self.inbox.submitted_block(verdict.index)
        for chain_id, record in records.items():
            proof = commitment_proof(self.sources[chain_id].rpc, self.sources[chain_id].mint_burn, record["lastBlock"])
            count = bridge.functions.depositCountOf(chain_id, proof.roots[-1]).call()
            if count == 0:
                verdict.problems.append(f"chain {chain_id} minted deposits from L1 that L1 never made (its inbound "
                                        "tree from L1 is not a prefix of the deposit tree)")
                verdict.deposit_faults.append(chain_id)
                continue
            made_at = bridge.functions.depositBlock(chain_id, count).call()
            if made_at and submitted > made_at + window:
                verdict.problems.append(f"chain {chain_id} left deposit #{count} (L1 block {made_at}) unserved past "
                                        f"the window of {window} L1 blocks (batch in L1 block {submitted})")
                verdict.deposit_faults.append(chain_id)

    def _check_inside(self, verdict: BatchVerdict, records: dict[int, dict]) -> None:
        """Pair trees at every block before the last (the rollups' blocks advance together, so
        the k-th block of every rollup's range belongs to the same tick)."""
        lengths = {r["lastBlock"] - r["firstBlock"] for r in records.values()}
        if len(lengths) != 1:
            verdict.problems.append("the rollups' block ranges differ in length: blocks of one tick are split")
            return
        for offset in range(lengths.pop()):
            heights = {c: r["firstBlock"] + offset for c, r in records.items()}
            for pair in read_pair_roots(self.sources, heights):
                if not pair.equal:
                    verdict.problems.append(f"inside the batch, at blocks {heights}: {pair.describe()}")

    def _check_claims(self, verdict: BatchVerdict, chain_id: int, record: dict) -> bool:
        block = self.sources[chain_id].rpc.call("eth_getBlockByNumber", hex(record["lastBlock"]), False)
        if block is None:
            verdict.problems.append(f"chain {chain_id} has no block {record['lastBlock']}")
            return False
        agree = True
        for key, name in (("hash", "blockHash"), ("stateRoot", "stateRoot")):
            if bytes.fromhex(block[key][2:]) != record[name]:
                verdict.problems.append(f"chain {chain_id} block {record['lastBlock']}: claimed {name} "
                                        f"0x{record[name].hex()} but the node has {block[key]}")
                agree = False
        if bytes.fromhex(block["hash"][2:]) == record["blockHash"] and not agree:
            verdict.false_headers.append(chain_id)  # the node's header disproves the claimed root
        return agree

    def _check_data(self, verdict: BatchVerdict, chain_id: int, record: dict, batch: Posted | None) -> None:
        """The posted data (calldata or blobs) is what the record commits to, can be had,
        decodes, and holds the node's blocks of the range; each way it is not is a finding."""
        if batch is None or batch.data_hash != record["dataHash"]:
            verdict.problems.append(f"chain {chain_id}: posted data not found or its hash differs from the record")
            return
        if batch.data is None:
            verdict.problems.append(f"chain {chain_id}: the data of its {batch.blobs} blob(s) cannot be read back: "
                                    f"{batch.missing}")
            return
        try:
            posted = decode_contents(batch.data)
        except ValueError as err:
            verdict.problems.append(f"chain {chain_id}: {err}")
            return
        blocks = record["lastBlock"] - record["firstBlock"] + 1
        if len(posted) != blocks:  # before asking the node for a range the sequencer chose
            verdict.problems.append(f"chain {chain_id}: the posted data holds {len(posted)} block(s), the range "
                                    f"{record['firstBlock']}-{record['lastBlock']} {blocks}")
            return
        if posted != block_contents(self.sources[chain_id].rpc, record["firstBlock"], record["lastBlock"]):
            verdict.problems.append(f"chain {chain_id}: posted transactions differ from blocks "
                                    f"{record['firstBlock']}-{record['lastBlock']} on the node")

    def _check_block_hashes(self, verdict: BatchVerdict, chain_id: int, record: dict,
                            claimed: list[bytes] | None) -> None:
        """The record's blocksRoot is the root of the node's block hashes; if not, the first
        link (from the top) where the posted hashes leave the node's chain is challengeable."""
        first, last = record["firstBlock"], record["lastBlock"]
        blocks = self.sources[chain_id].rpc.batch_strict(
            [("eth_getBlockByNumber", [hex(n), False]) for n in range(first, last + 1)])
        node = [bytes.fromhex(b["hash"][2:]) for b in blocks]
        if blocks_root(node) == record["blocksRoot"]:
            return
        verdict.problems.append(f"chain {chain_id}: the block hashes of blocks {first}-{last} the batch commits to "
                                "are not the node's")
        claimed = [bytes(h) for h in claimed or []]
        if len(claimed) != len(node) or blocks_root(claimed) != record["blocksRoot"] or claimed[-1] != node[-1]:
            return  # no posted hashes to build paths from, or the claimed last block is not the node's
        for link in range(len(node) - 1, 0, -1):
            if claimed[link] == node[link] and claimed[link - 1] != node[link - 1]:
                verdict.false_links.append((chain_id, link))
                return

    def _posted_data(self, verdict: BatchVerdict, index: int, with_data: bool = True) -> dict[int, Posted] | None:
        """The batches of the latest submission that created batch ``index``, by rollup ({} if
        no submission is found); None, with a finding in ``verdict``, if its input does not
        decode as a call of submitBatches (e.g. it was sent through another contract).
        ``with_data=False``: blobs are not read back (their data is left None)."""
        logs = self.inbox.contract.events.BatchAccepted().get_logs(from_block=0, argument_filters={"batchIndex": index})
        if not logs:
            return {}
        tx_hash = logs[-1]["transactionHash"]
        tx = self.inbox.w3.eth.get_transaction(tx_hash)
        try:
            function, args = self.inbox.contract.decode_function_input(tx["input"])
        except (ValueError, DecodingError) as err:
            verdict.problems.append(f"the submission {tx_hash.hex()} cannot be decoded as submitBatches, so its "
                                    f"data cannot be checked: {err}")
            return None
        if function.fn_name != "submitBatches":
            verdict.problems.append(f"the submission {tx_hash.hex()} calls {function.fn_name}, not submitBatches, "
                                    "so its data cannot be checked")
            return None
        return self._read_back(tx, args["batches"], with_data)

    def _read_back(self, tx, batches: list[dict], with_data: bool) -> dict[int, Posted]:
        """Each batch's data as the submission ``tx`` carried it: its calldata, or its blobs
        (the next ``blobs`` of the transaction's, in batch order, as the inbox assigns them)
        read back and checked against their versioned hashes."""
        hashes = [bytes(h) for h in tx.get("blobVersionedHashes") or []]
        posted, next_blob = {}, 0
        for batch in batches:
            count = batch["blobs"]
            if not count:
                posted[batch["chainId"]] = Posted(batch["data"], keccak(batch["data"]), batch["blockHashes"])
                continue
            own = hashes[next_blob:next_blob + count]
            next_blob += count
            entry = Posted(None, data_hash_of(own), batch["blockHashes"], count)
            if not with_data:
                posted[batch["chainId"]] = entry
                continue
            try:
                timestamp = self.inbox.w3.eth.get_block(tx["blockNumber"])["timestamp"]  # a beacon node's slot
                entry.data = from_blobs(self.blobs.blobs(tx["blockNumber"], own, timestamp))
            except (BlobsUnavailable, ValueError) as err:
                entry.missing = str(err)
            posted[batch["chainId"]] = entry
        return posted

    def challenge(self, verdict: BatchVerdict, challenger: InboxClient) -> bool:
        """Prove the first provable fault of ``verdict`` on L1; True if the bond was won."""
        if not self.optimistic:
            return False
        if verdict.false_headers:
            return self._challenge_header(verdict, challenger, verdict.false_headers[0])
        if verdict.false_links:
            return self._challenge_blocks(verdict, challenger, *verdict.false_links[0])
        if verdict.deposit_faults:
            return self._challenge_deposits(verdict, challenger, verdict.deposit_faults[0])
        if not verdict.provable:
            return False
        source, destination, tree = verdict.provable[0]
        contract = TREE_CONTRACT[tree]
        source_proof = commitment_proof(self.sources[source].rpc, getattr(self.sources[source], contract),
                                        verdict.ranges[source][1])
        destination_proof = commitment_proof(self.sources[destination].rpc,
                                             getattr(self.sources[destination], contract),
                                             verdict.ranges[destination][1])
        try:
            sent = challenger.challenge(verdict.index, source, destination, tree, source_proof, destination_proof)
        except InboxRejected as err:
            verdict.challenge = f"challenge of batch #{verdict.index} failed: {err.reason}"
            return False
        verdict.challenge = (f"challenged batch #{verdict.index} ({tree} {source}->{destination}) in "
                             f"{sent.tx_hash}: it and every later batch are void, the bond went to "
                             f"{challenger.account.address}")
        return True


    def _challenge_blocks(self, verdict: BatchVerdict, challenger: InboxClient, chain_id: int, link: int) -> bool:
        """Challenge link ``link``: the node's header of the (real) block at that position names
        a parent other than the hash the batch claims before it."""
        posted = self._posted_data(verdict, verdict.index, with_data=False) or {}
        tree = MerkleTree([bytes(h) for h in posted[chain_id].block_hashes])
        block = self.sources[chain_id].rpc.call("eth_getBlockByNumber", hex(verdict.ranges[chain_id][0] + link), False)
        try:
            sent = challenger.challenge_blocks(verdict.index, chain_id, link, header_rlp(block), tree.proof(link),
                                               tree.leaves[link - 1], tree.proof(link - 1))
        except (InboxRejected, HeaderError) as err:
            verdict.challenge = f"block-hashes challenge of batch #{verdict.index} failed: {err}"
            return False
        verdict.challenge = (f"challenged batch #{verdict.index} (chain {chain_id}'s block hashes break at link {link}) "
                             f"in {sent.tx_hash}: it and every later batch are void, the bond went to "
                             f"{challenger.account.address}")
        return True

    def _challenge_deposits(self, verdict: BatchVerdict, challenger: InboxClient, chain_id: int) -> bool:
        proof = commitment_proof(self.sources[chain_id].rpc, self.sources[chain_id].mint_burn, verdict.ranges[chain_id][1])
        try:
            sent = challenger.challenge_deposits(verdict.index, chain_id, proof)
        except InboxRejected as err:
            verdict.challenge = f"deposits challenge of batch #{verdict.index} failed: {err.reason}"
            return False
        verdict.challenge = (f"challenged batch #{verdict.index} (deposits to {chain_id}) in {sent.tx_hash}: it and "
                             f"every later batch are void, the bond went to {challenger.account.address}")
        return True

    def _challenge_header(self, verdict: BatchVerdict, challenger: InboxClient, chain_id: int) -> bool:
        block = self.sources[chain_id].rpc.call("eth_getBlockByNumber", hex(verdict.ranges[chain_id][1]), False)
        try:
            sent = challenger.challenge_header(verdict.index, chain_id, header_rlp(block))
        except (InboxRejected, HeaderError) as err:
            verdict.challenge = f"header challenge of batch #{verdict.index} failed: {err}"
            return False
        verdict.challenge = (f"challenged batch #{verdict.index} (chain {chain_id}'s claimed state root is not its "
                             f"block's) in {sent.tx_hash}: it and every later batch are void, the bond went to "
                             f"{challenger.account.address}")
        return True


def verify_all(verifier: Verifier, challenger: InboxClient | None, start: int = 0,
               on_verdict: Callable[[BatchVerdict], None] | None = None) -> tuple[list[BatchVerdict], int]:
    """Verify batches from ``start``; challenge the first provably bad one if a challenger is
    given. Returns the verdicts and the index to resume from; ``on_verdict`` hears each verdict
    as it comes (a long catch-up shows progress). A batch never stops it (see
    ``Verifier.verify``); only the L1 node failing to give the batch count does."""
    verdicts = []
    index = start
    while index < verifier.inbox.batch_count():
        verdict = verifier.verify(index)
        verdicts.append(verdict)
        challenged = not verdict.ok and challenger is not None and _challenge(verifier, verdict, challenger)
        if on_verdict is not None:
            on_verdict(verdict)
        if challenged:
            return verdicts, index  # later batches are void; the sequencer must post them again
        index += 1
    return verdicts, index


def _challenge(verifier: Verifier, verdict: BatchVerdict, challenger: InboxClient) -> bool:
    """``verifier.challenge``; an unexpected error is the verdict's ``challenge`` line, not a crash."""
    try:
        return verifier.challenge(verdict, challenger)
    except Exception as err:  # noqa: BLE001 - reported in the verdict, logged with the traceback
        log.exception("challenging batch #%d failed", verdict.index)
        verdict.challenge = f"challenge of batch #{verdict.index} failed: {type(err).__name__}: {err}"
        return False
