"""A contract on L1 as the sequencer's tools talk to it: web3.py with the compiled ABI, every
write estimated first, so a revert comes back as the decoded custom error and nothing is sent.

The inbox client (svs.l1.inbox) and the bridge client (svs.l1.exits) are both one of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from svs.codec.blobs import Sidecar
from svs.codec.reverts import decode_revert
from svs.deploy.artifacts import load_artifact
from svs.errors import SvsError

GAS_HEADROOM = 1.2
BLOB_FEE_HEADROOM = 2  # a blob transaction's max fee per blob gas, over the current blob base fee


class ContractRejected(SvsError, RuntimeError):
    """The contract would revert the transaction; ``reason`` is the decoded error."""

    contract_name = "L1 contract"

    def __init__(self, action: str, reason: str):
        self.reason = reason
        super().__init__(f"{self.contract_name} rejected {action}: {reason}")


@dataclass(frozen=True)
class Sent:
    tx_hash: str
    gas_used: int
    block_number: int
    calldata_bytes: int
    blobs: int = 0
    blob_gas_used: int = 0
    blob_gas_price: int = 0


def _revert_data(err: Exception) -> bytes:
    data = getattr(err, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    return b""


class L1Contract:
    """One contract (``artifact``) on one L1 node, writing as ``account`` (if given)."""

    artifact = ""
    rejected: type[ContractRejected] = ContractRejected

    def __init__(self, l1_url: str, address: str, account: LocalAccount | None = None):
        self.w3 = Web3(Web3.HTTPProvider(l1_url, request_kwargs={"timeout": 120}))
        self.contract = self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                             abi=load_artifact(self.artifact).abi)
        self.account = account

    @property
    def address(self) -> str:
        return self.contract.address

    def _tx_fields(self, value: int = 0) -> dict:
        if self.account is None:
            raise RuntimeError(f"this {self.artifact} client has no account to send with")
        return {"from": self.account.address, "value": value, "chainId": self.w3.eth.chain_id,
                "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
                "gasPrice": self.w3.eth.gas_price}

    def _estimate(self, action: str, call, tx: dict) -> int:
        try:
            return call.estimate_gas(tx)
        except (ContractCustomError, ContractLogicError) as err:
            raise self.rejected(action, decode_revert(_revert_data(err)) or str(err)) from err

    def _blob_tx_fields(self, sidecar: Sidecar) -> dict:
        """An EIP-4844 transaction's fields for ``sidecar``'s blobs: fees by EIP-1559 (a blob
        transaction has no gas price) and a blob fee cap above the current blob base fee."""
        fields = self._tx_fields()
        gas_price = fields.pop("gasPrice")
        blob_base_fee = self.w3.eth.blob_base_fee
        return {**fields, "type": 3, "maxFeePerGas": gas_price * 2, "maxPriorityFeePerGas": min(gas_price, 10**9),
                "maxFeePerBlobGas": max(1, blob_base_fee) * BLOB_FEE_HEADROOM,
                "blobVersionedHashes": ["0x" + h.hex() for h in sidecar.versioned_hashes]}

    def _send(self, action: str, call, value: int = 0, sidecar: Sidecar | None = None) -> Sent:
        """Estimate, sign, send and wait for ``call``; with ``sidecar``, as a blob transaction
        carrying its blobs (estimated with their versioned hashes, so ``blobhash`` sees them)."""
        tx = self._tx_fields(value) if sidecar is None else self._blob_tx_fields(sidecar)
        gas = self._estimate(action, call, tx)
        built = call.build_transaction({**tx, "gas": int(gas * GAS_HEADROOM)})
        raw = bytes(self.account.sign_transaction(built).raw_transaction)
        if sidecar is not None:
            raw = sidecar.network_form(raw)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(raw), timeout=120)
        if receipt.status != 1:
            raise self.rejected(action, f"transaction {receipt.transactionHash.hex()} reverted on L1")
        return Sent("0x" + receipt.transactionHash.hex().removeprefix("0x"), receipt.gasUsed,
                    receipt.blockNumber, len(bytes.fromhex(built["data"][2:])),
                    len(sidecar.blobs) if sidecar else 0, receipt.get("blobGasUsed") or 0,
                    receipt.get("blobGasPrice") or 0)
