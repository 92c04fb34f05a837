"""Client of the L1 BatchInbox: reads its state, submits batches, posts the bond, challenges.

Not on the per-tick hot path (one L1 transaction every K ticks), so it uses web3.py with the
compiled ABI (svs.l1.contract). Every write is estimated first: a revert comes back as
``InboxRejected`` with the decoded custom error, and nothing is sent.
"""

from __future__ import annotations

from svs.codec.batches import Batch
from svs.codec.blobs import Sidecar, to_blobs
from svs.l1.contract import ContractRejected, L1Contract, Sent
from svs.l1.proofs import CommitmentProof

TREE_INDEX = {"transfer": 0, "call": 1}
__all__ = ["TREE_INDEX", "InboxClient", "InboxRejected", "Sent"]


class InboxRejected(ContractRejected):
    """The inbox would revert the transaction; ``reason`` is the decoded error."""

    contract_name = "L1 inbox"


class InboxClient(L1Contract):
    """One BatchInbox on one L1 node, writing as ``account`` (if given)."""

    artifact = "BatchInbox"
    rejected = InboxRejected

    # --- reads ------------------------------------------------------------------------------

    def rollups(self) -> list[int]:
        return list(self.contract.functions.rollups().call())

    def optimistic(self) -> bool:
        return self.contract.functions.OPTIMISTIC().call()

    def synchronous(self) -> bool:
        return self.contract.functions.SYNCHRONOUS().call()

    def batch_count(self) -> int:
        return self.contract.functions.batchCount().call()

    def next_block(self, chain_id: int) -> int:
        return self.contract.functions.nextBlock(chain_id).call()

    def bond(self) -> int:
        return self.contract.functions.bond().call()

    def bridge(self) -> str:
        return self.contract.functions.L1_BRIDGE().call()

    def deposit_window(self) -> int:
        return self.contract.functions.DEPOSIT_WINDOW().call()

    def recorded_exit_root(self, batch_index: int, chain_id: int) -> bytes:
        return self.contract.functions.recordedExitRoot(batch_index, chain_id).call()

    def is_final(self, batch_index: int) -> bool:
        return self.contract.functions.isFinal(batch_index).call()

    def submitted_block(self, batch_index: int) -> int:
        return self.contract.functions.submittedBlock(batch_index).call()

    def record(self, batch_index: int, chain_id: int) -> dict:
        state_root, block_hash, blocks_root, data_hash, first, last = self.contract.functions.rollupRecord(
            batch_index, chain_id).call()
        return {"stateRoot": state_root, "blockHash": block_hash, "blocksRoot": blocks_root, "dataHash": data_hash,
                "firstBlock": first, "lastBlock": last}

    # --- writes -----------------------------------------------------------------------------

    def blobs_supported(self) -> bool:
        """Whether this L1 takes blob transactions (it answers ``eth_blobBaseFee``)."""
        return "result" in self.w3.provider.make_request("eth_blobBaseFee", [])

    def submit(self, batches: list[Batch], proofs: list[tuple[CommitmentProof, CommitmentProof]] | None,
               in_blobs: bool = False) -> Sent:
        """submitBatches; ``proofs`` is None in optimistic mode. ``in_blobs``: every batch's
        data goes in EIP-4844 blobs of the transaction (its own, in batch order) instead of
        calldata."""
        if not in_blobs:
            return self._send("submitBatches", self._submit_call(batches, proofs))
        laid_out = [to_blobs(b.data) for b in batches]
        sidecar = Sidecar.of([blob for blobs in laid_out for blob in blobs])
        return self._send("submitBatches", self._submit_call(batches, proofs, [len(b) for b in laid_out]), sidecar=sidecar)

    def dry_run(self, batches: list[Batch], proofs: list[tuple[CommitmentProof, CommitmentProof]] | None) -> None:
        """submitBatches (with the data in calldata) as an estimate only (nothing is sent);
        raises InboxRejected with the reason the inbox would revert."""
        self._estimate("submitBatches", self._submit_call(batches, proofs), self._tx_fields())

    def _submit_call(self, batches: list[Batch], proofs: list[tuple[CommitmentProof, CommitmentProof]] | None,
                     blob_counts: list[int] | None = None):
        return self.contract.functions.submitBatches(
            [b.as_abi(blobs) for b, blobs in zip(batches, blob_counts or [0] * len(batches))],
            [(mint_burn.as_abi(), general.as_abi()) for mint_burn, general in (proofs or [])],
        )

    def post_bond(self, amount: int) -> Sent:
        return self._send("postBond", self.contract.functions.postBond(), value=amount)

    def challenge(self, batch_index: int, source: int, destination: int, tree: str,
                  source_proof: CommitmentProof, destination_proof: CommitmentProof) -> Sent:
        call = self.contract.functions.challenge(batch_index, source, destination, TREE_INDEX[tree],
                                                 source_proof.as_abi(), destination_proof.as_abi())
        return self._send("challenge", call)

    def challenge_blocks(self, batch_index: int, chain_id: int, link: int, header: bytes, path: list[bytes],
                         previous: bytes, previous_path: list[bytes]) -> Sent:
        call = self.contract.functions.challengeBlocks(batch_index, chain_id, link, header, path, previous,
                                                       previous_path)
        return self._send("challengeBlocks", call)

    def challenge_deposits(self, batch_index: int, chain_id: int, proof: CommitmentProof) -> Sent:
        call = self.contract.functions.challengeDeposits(batch_index, chain_id, proof.as_abi())
        return self._send("challengeDeposits", call)

    def challenge_header(self, batch_index: int, chain_id: int, header: bytes) -> Sent:
        call = self.contract.functions.challengeHeader(batch_index, chain_id, header)
        return self._send("challengeHeader", call)
