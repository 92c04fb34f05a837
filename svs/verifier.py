"""A full node and challenger for the L1 inbox (``ape run verify``).

For every accepted batch it checks, against its own rollup nodes:
- the claimed block hash and state root of the batch's last block;
- the posted transaction data (decompressed) against the blocks the node has;
- every pair of trees at that block (the equalities the strict inbox proves).

In optimistic mode a pair mismatch under a state root the node agrees with is provable on L1,
so the verifier challenges the earliest such batch and takes the bond. A claimed state root the
node disagrees with cannot be challenged this way (it would need a proof of execution, which the
inbox does not have); the verifier reports it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field


from svs.batcher import RollupSource
from svs.batches import block_contents, decode_contents
from svs.hashing import keccak
from svs.inbox import InboxClient, InboxRejected
from svs.proofs import tree_proof
from svs.selfcheck import read_pair_roots

log = logging.getLogger(__name__)

TREE_CONTRACT = {"transfer": "mint_burn", "call": "general"}


@dataclass
class BatchVerdict:
    index: int
    ranges: dict[int, tuple[int, int]]
    problems: list[str] = field(default_factory=list)
    provable: list[tuple[int, int, str]] = field(default_factory=list)  # (source, destination, tree)
    challenge: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        spans = ", ".join(f"{c}:{f}-{t}" for c, (f, t) in sorted(self.ranges.items()))
        head = f"batch #{self.index} ({spans}): " + ("OK" if self.ok else "BAD: " + "; ".join(self.problems))
        return head + (f"\n    {self.challenge}" if self.challenge else "")


class Verifier:
    def __init__(self, inbox: InboxClient, sources: dict[int, RollupSource]):
        self.inbox, self.sources = inbox, sources
        self.rollups = inbox.rollups()
        self.optimistic = inbox.optimistic()

    def verify(self, index: int) -> BatchVerdict:
        records = {c: self.inbox.record(index, c) for c in self.rollups}
        verdict = BatchVerdict(index, {c: (r["firstBlock"], r["lastBlock"]) for c, r in records.items()})
        posted = self._posted_data(index)
        agree = True
        for chain_id, record in records.items():
            agree &= self._check_claims(verdict, chain_id, record)
            self._check_data(verdict, chain_id, record, posted.get(chain_id))
        if agree:
            heights = {c: r["lastBlock"] for c, r in records.items()}
            for pair in read_pair_roots(self.sources, heights):
                if not pair.equal:
                    verdict.problems.append(
                        f"{pair.kind} trees {pair.source}->{pair.destination} differ: {pair.source_root}/"
                        f"{pair.source_count} vs {pair.destination_root}/{pair.destination_count}")
                    verdict.provable.append((pair.source, pair.destination, pair.kind))
        return verdict

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
        return agree

    def _check_data(self, verdict: BatchVerdict, chain_id: int, record: dict, data: bytes | None) -> None:
        if data is None or keccak(data) != record["dataHash"]:
            verdict.problems.append(f"chain {chain_id}: posted data not found or its hash differs from the record")
            return
        try:
            posted = decode_contents(data)
        except ValueError as err:
            verdict.problems.append(f"chain {chain_id}: {err}")
            return
        if posted != block_contents(self.sources[chain_id].rpc, record["firstBlock"], record["lastBlock"]):
            verdict.problems.append(f"chain {chain_id}: posted transactions differ from blocks "
                                    f"{record['firstBlock']}-{record['lastBlock']} on the node")

    def _posted_data(self, index: int) -> dict[int, bytes]:
        """The batch data of the latest submission that created batch ``index``."""
        logs = self.inbox.contract.events.BatchAccepted().get_logs(from_block=0, argument_filters={"batchIndex": index})
        if not logs:
            return {}
        tx = self.inbox.w3.eth.get_transaction(logs[-1]["transactionHash"])
        _, args = self.inbox.contract.decode_function_input(tx["input"])
        return {batch["chainId"]: batch["data"] for batch in args["batches"]}

    def challenge(self, verdict: BatchVerdict, challenger: InboxClient) -> bool:
        """Prove the first provable mismatch of ``verdict`` on L1; True if the bond was won."""
        if not (self.optimistic and verdict.provable):
            return False
        source, destination, tree = verdict.provable[0]
        contract = getattr(self.sources[source], TREE_CONTRACT[tree])
        source_proof = tree_proof(self.sources[source].rpc, contract, "outbound", destination,
                                  verdict.ranges[source][1])
        destination_proof = tree_proof(self.sources[destination].rpc, contract, "inbound", source,
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


def verify_all(verifier: Verifier, challenger: InboxClient | None, start: int = 0) -> tuple[list[BatchVerdict], int]:
    """Verify batches from ``start``; challenge the first provably bad one if a challenger is
    given. Returns the verdicts and the index to resume from."""
    verdicts = []
    index = start
    while index < verifier.inbox.batch_count():
        verdict = verifier.verify(index)
        verdicts.append(verdict)
        if not verdict.ok and challenger is not None and verifier.challenge(verdict, challenger):
            return verdicts, index  # later batches are void; the sequencer must post them again
        index += 1
    return verdicts, index
