"""Decode signed raw transactions (legacy, EIP-2930, EIP-1559) into the fields the sequencer
checks: hash, sender, chain id, nonce, gas and the most it can cost."""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes


class InvalidTransaction(ValueError):
    """The bytes are not a well-formed signed transaction."""


@dataclass(frozen=True)
class DecodedTx:
    raw: bytes
    hash: str
    sender: str
    chain_id: int | None  # None: a pre-EIP-155 legacy transaction (no replay protection)
    nonce: int
    gas: int
    max_fee_per_gas: int  # gasPrice for legacy / 2930
    value: int
    to: str | None
    data: bytes

    @property
    def max_cost(self) -> int:
        return self.gas * self.max_fee_per_gas + self.value


def decode_raw_transaction(raw: bytes) -> DecodedTx:
    """Decode and recover the sender; raise InvalidTransaction with the reason."""
    if not raw:
        raise InvalidTransaction("empty transaction")
    try:
        if raw[0] >= 0xC0:  # legacy: an RLP list
            fields = rlp.decode(raw)
            if not isinstance(fields, list) or len(fields) != 9:
                raise InvalidTransaction("malformed transaction: a legacy transaction is an RLP list of 9 fields")
            nonce, gas_price, gas, to, value, data, v, _r, _s = fields
            v_int = int.from_bytes(v, "big")
            chain_id = (v_int - 35) // 2 if v_int >= 35 else None
            parsed = dict(nonce=_int(nonce), fee=_int(gas_price), gas=_int(gas), to=to, value=_int(value), data=data)
        elif raw[0] in (1, 2):
            body = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            chain_id = body["chainId"]
            fee = body.get("maxFeePerGas", body.get("gasPrice"))
            parsed = dict(nonce=body["nonce"], fee=fee, gas=body["gas"], to=body.get("to") or b"",
                          value=body["value"], data=body.get("data", b""))
        else:
            raise InvalidTransaction(f"unsupported transaction type 0x{raw[0]:02x} (legacy, 0x01 and 0x02 are)")
        sender = Account.recover_transaction(raw)
    except InvalidTransaction:
        raise
    except Exception as err:  # rlp, eth-account and eth-keys raise many types for garbage
        raise InvalidTransaction(f"malformed transaction: {err}") from err
    to = parsed["to"]
    if isinstance(to, str):
        to = bytes.fromhex(to.removeprefix("0x"))
    return DecodedTx(
        raw=raw,
        hash="0x" + keccak(raw).hex(),
        sender=to_checksum_address(sender),
        chain_id=chain_id,
        nonce=parsed["nonce"],
        gas=parsed["gas"],
        max_fee_per_gas=parsed["fee"],
        value=parsed["value"],
        to=to_checksum_address(to) if to else None,
        data=bytes(parsed["data"]) if not isinstance(parsed["data"], str) else bytes.fromhex(parsed["data"].removeprefix("0x")),
    )


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")
