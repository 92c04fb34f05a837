"""Client of the L1 BatchInbox: reads its state, submits batches, posts the bond, challenges.

Not on the per-tick hot path (one L1 transaction every K ticks), so it uses web3.py with the
compiled ABI. Every write is estimated first: a revert comes back as ``InboxRejected`` with the
decoded custom error, and nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from svs.codec.batches import Batch
from svs.codec.reverts import decode_revert
from svs.deploy.artifacts import load_artifact
from svs.errors import SvsError
from svs.l1.proofs import CommitmentProof

TREE_INDEX = {"transfer": 0, "call": 1}
GAS_HEADROOM = 1.2


class InboxRejected(SvsError, RuntimeError):
    """The inbox would revert the transaction; ``reason`` is the decoded error."""

    def __init__(self, action: str, reason: str):
        self.reason = reason
        super().__init__(f"L1 inbox rejected {action}: {reason}")


@dataclass(frozen=True)
class Sent:
    tx_hash: str
    gas_used: int
    block_number: int
    calldata_bytes: int


def _revert_data(err: Exception) -> bytes:
    data = getattr(err, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    return b""


class InboxClient:
    """One BatchInbox on one L1 node, writing as ``account`` (if given)."""

    def __init__(self, l1_url: str, address: str, account: LocalAccount | None = None):
        self.w3 = Web3(Web3.HTTPProvider(l1_url, request_kwargs={"timeout": 120}))
        self.contract = self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                             abi=load_artifact("BatchInbox").abi)
        self.account = account

    # --- reads ------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self.contract.address

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

    def record(self, batch_index: int, chain_id: int) -> dict:
        state_root, block_hash, blocks_root, data_hash, first, last = self.contract.functions.rollupRecord(
            batch_index, chain_id).call()
        return {"stateRoot": state_root, "blockHash": block_hash, "blocksRoot": blocks_root, "dataHash": data_hash,
                "firstBlock": first, "lastBlock": last}

    # --- writes -----------------------------------------------------------------------------

    def submit(self, batches: list[Batch], proofs: list[tuple[CommitmentProof, CommitmentProof]] | None) -> Sent:
        """submitBatches; ``proofs`` is None in optimistic mode."""
        return self._send("submitBatches", self._submit_call(batches, proofs))

    def dry_run(self, batches: list[Batch], proofs: list[tuple[CommitmentProof, CommitmentProof]] | None) -> None:
        """submitBatches as an estimate only (nothing is sent); raises InboxRejected with the
        reason the inbox would revert."""
        self._estimate("submitBatches", self._submit_call(batches, proofs), self._tx_fields())

    def _submit_call(self, batches: list[Batch], proofs: list[tuple[CommitmentProof, CommitmentProof]] | None):
        return self.contract.functions.submitBatches(
            [b.as_abi() for b in batches],
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

    def challenge_header(self, batch_index: int, chain_id: int, header: bytes) -> Sent:
        call = self.contract.functions.challengeHeader(batch_index, chain_id, header)
        return self._send("challengeHeader", call)

    def _tx_fields(self, value: int = 0) -> dict:
        if self.account is None:
            raise RuntimeError("this inbox client has no account to send with")
        return {"from": self.account.address, "value": value, "chainId": self.w3.eth.chain_id,
                "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
                "gasPrice": self.w3.eth.gas_price}

    @staticmethod
    def _estimate(action: str, call, tx: dict) -> int:
        try:
            return call.estimate_gas(tx)
        except (ContractCustomError, ContractLogicError) as err:
            raise InboxRejected(action, decode_revert(_revert_data(err)) or str(err)) from err

    def _send(self, action: str, call, value: int = 0) -> Sent:
        tx = self._tx_fields(value)
        gas = self._estimate(action, call, tx)
        built = call.build_transaction({**tx, "gas": int(gas * GAS_HEADROOM)})
        signed = self.account.sign_transaction(built)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.raw_transaction),
                                                           timeout=120)
        if receipt.status != 1:
            raise InboxRejected(action, f"transaction {receipt.transactionHash.hex()} reverted on L1")
        return Sent("0x" + receipt.transactionHash.hex().removeprefix("0x"), receipt.gasUsed,
                    receipt.blockNumber, len(bytes.fromhex(built["data"][2:])))
