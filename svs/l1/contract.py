"""A contract on L1 as the sequencer's tools talk to it: web3.py with the compiled ABI, every
write estimated first, so a revert comes back as the decoded custom error and nothing is sent.

**A write that L1 does not mine is sent again at higher fees, with the same nonce.** After
``replace_after`` seconds unmined it is re-signed with every fee doubled (geth's blob pool asks a
replacement for +100%, its other pool for +10%), at most ``max_sends`` times in all; then
StuckTransaction. No send offers more than MAX_FEE_MULTIPLE times the fees a new write would
offer today: past that the last send is priced far over the market, and it is waited for
instead of replaced.

**A client that owns its account** (``owns_account``: the sequencer's batch poster, the
account's only writer) never queues a write behind one still waiting in the pool. Every write
takes the account's confirmed nonce and so replaces what waits there: its own last unmined write
at doubled fees (it remembers them), or one from before a restart, whose fees it does not know,
by doubling from today's each time the pool answers "underpriced" (within the same cap). A
remembered write that L1 mined after all, or that the node no longer knows (dropped), is
forgotten. Without this, a post priced under a fee spike would stay in the pool for good and
every later post would queue behind its nonce: L1 posting wedged. Other clients (the users'
deposits and exits, challenges) take the pending nonce, as wallets do, and never replace a
transaction of their account they did not send in this write.

The inbox client (svs.l1.inbox) and the bridge client (svs.l1.exits) are both one of these.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound, Web3RPCError

from svs.codec.blobs import Sidecar
from svs.codec.reverts import decode_revert
from svs.deploy.artifacts import load_artifact
from svs.errors import SvsError

GAS_HEADROOM = 1.2
BLOB_FEE_HEADROOM = 2  # a blob transaction's max fee per blob gas, over the current blob base fee
REPLACE_AFTER = 24.0  # seconds a sent write may stay unmined before it is sent again at higher fees
MAX_SENDS = 5  # sends of one write, the first and its replacements: a write waits at most this * REPLACE_AFTER
FEE_BUMP = 2  # each replacement's fees over the last one's
MAX_FEE_MULTIPLE = 16  # no replacement offers more than this many times today's fees in any field
OUTBIDS = MAX_FEE_MULTIPLE.bit_length() + 1  # doublings on "underpriced" answers; the cap ends them sooner
FEE_FIELDS = ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "maxFeePerBlobGas")
RECEIPT_POLL = 0.1  # seconds between receipt reads while a write waits


class StuckTransaction(SvsError, RuntimeError):
    """A write was sent ``max_sends`` times at rising fees and L1 mined none of them, or a write
    waits for such a one priced far over today's fees. A client that owns its account replaces
    it on a later write, once the cap allows (module notes)."""


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


@dataclass(frozen=True)
class _Unmined:
    """The client's last write that L1 had not mined when the client stopped waiting for it."""

    nonce: int
    fees: dict[str, int]
    hashes: tuple[str, ...]  # every send of it


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

    def __init__(self, l1_url: str, address: str, account: LocalAccount | None = None,
                 replace_after: float = REPLACE_AFTER, max_sends: int = MAX_SENDS, owns_account: bool = False):
        """``replace_after``, ``max_sends``: when an unmined write is sent again; ``owns_account``:
        this client is ``account``'s only writer and replaces what waits in the pool (module notes)."""
        if replace_after <= 0 or max_sends < 1:
            raise ValueError("replace_after must be positive and max_sends at least 1")
        self.w3 = Web3(Web3.HTTPProvider(l1_url, request_kwargs={"timeout": 120}))
        self.contract = self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                             abi=load_artifact(self.artifact).abi)
        self.account = account
        self.replace_after, self.max_sends, self.owns_account = replace_after, max_sends, owns_account
        self._unmined: _Unmined | None = None

    @property
    def address(self) -> str:
        return self.contract.address

    def _tx_fields(self, value: int = 0) -> dict:
        if self.account is None:
            raise RuntimeError(f"this {self.artifact} client has no account to send with")
        return {"from": self.account.address, "value": value, "chainId": self.w3.eth.chain_id,
                "nonce": self.w3.eth.get_transaction_count(self.account.address,
                                                           "latest" if self.owns_account else "pending"),
                **self._fee_quote(blob=False)}

    def _fee_quote(self, blob: bool) -> dict[str, int]:
        """Today's fees for a write: a gas price, or for a blob transaction (which has none)
        EIP-1559 fees and a blob fee cap above the current blob base fee."""
        gas_price = self.w3.eth.gas_price
        if not blob:
            return {"gasPrice": gas_price}
        return {"maxFeePerGas": gas_price * 2, "maxPriorityFeePerGas": min(gas_price, 10**9),
                "maxFeePerBlobGas": max(1, self.w3.eth.blob_base_fee) * BLOB_FEE_HEADROOM}

    def _estimate(self, action: str, call, tx: dict) -> int:
        try:
            return call.estimate_gas(tx)
        except (ContractCustomError, ContractLogicError) as err:
            raise self.rejected(action, decode_revert(_revert_data(err)) or str(err)) from err

    def _blob_tx_fields(self, sidecar: Sidecar) -> dict:
        """An EIP-4844 transaction's fields for ``sidecar``'s blobs."""
        fields = self._tx_fields()
        del fields["gasPrice"]
        return {**fields, "type": 3, **self._fee_quote(blob=True),
                "blobVersionedHashes": ["0x" + h.hex() for h in sidecar.versioned_hashes]}

    def _send(self, action: str, call, value: int = 0, sidecar: Sidecar | None = None) -> Sent:
        """Estimate, sign, send and wait for ``call``, sending it again at higher fees while L1
        does not mine it (module notes); with ``sidecar``, as a blob transaction carrying its
        blobs (estimated with their versioned hashes, so ``blobhash`` sees them)."""
        tx = self._replacing(self._tx_fields(value) if sidecar is None else self._blob_tx_fields(sidecar))
        gas = self._estimate(action, call, tx)
        built = call.build_transaction({**tx, "gas": int(gas * GAS_HEADROOM)})
        hashes: list[str] = []
        for attempt in range(self.max_sends):
            fees = _bumped(_fees(built), self._fee_quote(blob=sidecar is not None)) if attempt else _fees(built)
            if fees is not None:  # else the last send is priced far over today's fees: wait on for it
                tx_hash, built = self._sign_and_send({**built, **fees}, sidecar, hashes)
                hashes.append(tx_hash)
                self._unmined = _Unmined(built["nonce"], _fees(built), tuple(hashes))
            receipt = self._wait_for_any(hashes, self.replace_after)
            if receipt is not None:
                break
        else:
            raise StuckTransaction(f"{action}: L1 mined none of {len(hashes)} sends at rising fees (nonce "
                                   f"{built['nonce']}, last {_fees(built)})" + ("; the next write replaces it" if self.owns_account else ""))
        self._unmined = None
        if receipt.status != 1:
            raise self.rejected(action, f"transaction {receipt.transactionHash.hex()} reverted on L1")
        return Sent("0x" + receipt.transactionHash.hex().removeprefix("0x"), receipt.gasUsed,
                    receipt.blockNumber, len(bytes.fromhex(built["data"][2:])),
                    len(sidecar.blobs) if sidecar else 0, receipt.get("blobGasUsed") or 0,
                    receipt.get("blobGasPrice") or 0)

    def _replacing(self, tx: dict) -> dict:
        """``tx`` with the fees that replace this client's last unmined write, if the client owns
        its account and that write still waits (``tx`` then has the account's confirmed nonce,
        which is the write's); else ``tx`` unchanged."""
        unmined = self._unmined
        if unmined is None or not self.owns_account:
            return tx
        if tx["nonce"] > unmined.nonce or not any(map(self._in_pool, unmined.hashes)):
            self._unmined = None  # mined after all, or dropped: nothing to replace
            return tx
        fees = _bumped(unmined.fees, _fees(tx))
        if fees is None:
            raise StuckTransaction(f"the last write (nonce {unmined.nonce}) still waits at fees over "
                                   f"{MAX_FEE_MULTIPLE // FEE_BUMP}x today's: waiting for it rather than paying more")
        return {**tx, **fees}

    def _in_pool(self, tx_hash: str) -> bool:
        try:
            return self.w3.eth.get_transaction(tx_hash) is not None
        except TransactionNotFound:
            return False

    def _sign_and_send(self, built: dict, sidecar: Sidecar | None, earlier: list[str]) -> tuple[str, dict]:
        """Sign and send ``built``: (its hash, the transaction as sent). For a client that owns
        its account, a pool that holds a transaction with this nonce at fees the client does not
        know answers "underpriced": the fees are doubled and the send repeated, within
        MAX_FEE_MULTIPLE times today's."""
        for _ in range(OUTBIDS + 1):
            raw = bytes(self.account.sign_transaction(built).raw_transaction)
            if sidecar is not None:
                raw = sidecar.network_form(raw)
            try:
                return "0x" + self.w3.eth.send_raw_transaction(raw).hex().removeprefix("0x"), built
            except (Web3RPCError, ValueError) as err:
                # An earlier send was mined meanwhile ("nonce too low"): wait for it instead.
                if earlier and self._wait_for_any(earlier, 0) is not None:
                    return earlier[-1], built
                if not self.owns_account or "underpriced" not in str(err).lower():
                    raise
                fees = _bumped(_fees(built), self._fee_quote(blob=sidecar is not None))
                if fees is None:
                    raise
                built = {**built, **fees}
        raise StuckTransaction(f"the pool still answers 'underpriced' after {OUTBIDS} doublings of the fees")

    def _wait_for_any(self, hashes: list[str], seconds: float):
        """The receipt of whichever of ``hashes`` L1 mined, waiting up to ``seconds``; else None."""
        deadline = time.monotonic() + seconds
        while True:
            for tx_hash in hashes:
                try:
                    return self.w3.eth.get_transaction_receipt(tx_hash)
                except TransactionNotFound:
                    continue
            if time.monotonic() >= deadline:
                return None
            time.sleep(RECEIPT_POLL)


def _fees(tx: dict) -> dict[str, int]:
    return {name: tx[name] for name in FEE_FIELDS if name in tx}


def _bumped(old: dict[str, int], quote: dict[str, int]) -> dict[str, int] | None:
    """The fee fields of ``quote`` (today's fees for the new transaction), raised where needed to
    FEE_BUMP times those of the transaction it replaces, priced ``old``; None if that would offer
    more than MAX_FEE_MULTIPLE times ``quote`` in some field (the old one is then priced far over
    the market: it is waited for, and fees do not double without end while L1 mines nothing). A
    legacy gas price counts as both fee cap and tip, as the pools compare them."""
    cap = old.get("maxFeePerGas", old.get("gasPrice", 0))
    tip = old.get("maxPriorityFeePerGas", old.get("gasPrice", 0))
    floor = {"gasPrice": cap, "maxFeePerGas": cap, "maxPriorityFeePerGas": tip,
             "maxFeePerBlobGas": old.get("maxFeePerBlobGas", 0)}
    # At least 1 wei before doubling, so a zero fee (a devnet) rises too and meets the cap.
    bumped = {name: max(value, max(1, floor[name]) * FEE_BUMP) for name, value in quote.items()}
    if any(value > MAX_FEE_MULTIPLE * max(1, quote[name]) for name, value in bumped.items()):
        return None
    return bumped
