"""Decode signed raw transactions (legacy, EIP-2930, EIP-1559) into the fields the sequencer
checks: hash, sender, chain id, nonce, gas and the most it can cost.

The ingress decodes every transaction it admits, so this recovers the sender with coincurve on
the signing hash directly (several times faster than eth-account's generic path);
tests/test_transactions.py checks it against eth-account for every type.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from coincurve import PublicKey

from svs.codec.hashing import keccak
from svs.codec.rlpcodec import checksum_address, rlp_list_of_bytes
from svs.errors import SvsError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class InvalidTransaction(SvsError, ValueError):
    """The bytes are not a well-formed signed transaction."""


@dataclass(frozen=True)
class DecodedTx:
    raw: bytes
    hash: str
    sender: str
    chain_id: int | None  # None: a pre-EIP-155 legacy transaction (no replay protection)
    nonce: int
    gas: int
    max_fee_per_gas: int  # gasPrice for legacy and EIP-2930
    value: int
    to: str | None
    data: bytes

    @property
    def max_cost(self) -> int:
        return self.gas * self.max_fee_per_gas + self.value


# Field layouts: (number of fields, index of nonce, fee, gas, to, value, data, first signature field)
_LEGACY = 9
_TYPED = {1: (11, {"chain": 0, "nonce": 1, "fee": 2, "gas": 3, "to": 4, "value": 5, "data": 6}),
          2: (12, {"chain": 0, "nonce": 1, "fee": 3, "gas": 4, "to": 5, "value": 6, "data": 7})}


def decode_raw_transaction(raw: bytes) -> DecodedTx:
    """Decode and recover the sender; raise InvalidTransaction with the reason."""
    if not raw:
        raise InvalidTransaction("empty transaction")
    try:
        if raw[0] >= 0xC0:
            return _decode_legacy(raw)
        if raw[0] in _TYPED:
            return _decode_typed(raw)
    except InvalidTransaction:
        raise
    except Exception as err:  # rlp and coincurve raise many types for garbage
        raise InvalidTransaction(f"malformed transaction: {err}") from err
    raise InvalidTransaction(f"unsupported transaction type 0x{raw[0]:02x} (legacy, 0x01 and 0x02 are)")


def _decode_legacy(raw: bytes) -> DecodedTx:
    fields = rlp.decode(raw)
    if not isinstance(fields, list) or len(fields) != _LEGACY or any(isinstance(f, list) for f in fields):
        raise InvalidTransaction("malformed transaction: a legacy transaction is an RLP list of 9 fields")
    nonce, gas_price, gas, to, value, data, v, r, s = fields
    v_int = _int(v)
    if v_int in (27, 28):
        chain_id, parity, unsigned = None, v_int - 27, fields[:6]
    elif v_int >= 35:
        chain_id, parity = (v_int - 35) // 2, (v_int - 35) % 2
        unsigned = fields[:6] + [_bytes(chain_id), b"", b""]
    else:
        raise InvalidTransaction(f"malformed transaction: invalid v {v_int}")
    sender = _recover(keccak(rlp_list_of_bytes(unsigned)), r, s, parity)
    return _result(raw, sender, chain_id, nonce, gas_price, gas, to, value, data)


def _decode_typed(raw: bytes) -> DecodedTx:
    count, at = _TYPED[raw[0]]
    fields = rlp.decode(raw[1:])
    if not isinstance(fields, list) or len(fields) != count:
        raise InvalidTransaction(f"malformed transaction: a type-{raw[0]} transaction is an RLP list of {count} fields")
    y_parity, r, s = fields[-3:]
    sender = _recover(keccak(raw[:1] + rlp.encode(fields[:-3])), r, s, _int(y_parity))  # has a nested access list
    return _result(raw, sender, _int(fields[at["chain"]]), fields[at["nonce"]], fields[at["fee"]], fields[at["gas"]],
                   fields[at["to"]], fields[at["value"]], fields[at["data"]])


def _recover(message_hash: bytes, r: bytes, s: bytes, parity: int) -> str:
    r_int, s_int = _int(r), _int(s)
    if parity not in (0, 1) or not (0 < r_int < SECP256K1_N) or not (0 < s_int <= SECP256K1_N // 2):
        raise InvalidTransaction("malformed transaction: invalid signature values")
    signature = r_int.to_bytes(32, "big") + s_int.to_bytes(32, "big") + bytes([parity])
    public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    return checksum_address(keccak(public_key.format(compressed=False)[1:])[12:])


def _result(raw, sender, chain_id, nonce, fee, gas, to, value, data) -> DecodedTx:
    if any(isinstance(x, list) for x in (nonce, fee, gas, to, value, data)):
        raise InvalidTransaction("malformed transaction: a scalar field is a list")
    if to and len(to) != 20:
        raise InvalidTransaction(f"malformed transaction: 'to' is {len(to)} bytes, not 20")
    return DecodedTx(raw=raw, hash="0x" + keccak(raw).hex(), sender=sender, chain_id=chain_id, nonce=_int(nonce),
                     gas=_int(gas), max_fee_per_gas=_int(fee), value=_int(value),
                     to=checksum_address(to) if to else None, data=bytes(data))


def _int(value: bytes) -> int:
    if isinstance(value, list):
        raise InvalidTransaction("malformed transaction: a scalar field is a list")
    return int.from_bytes(value, "big")


def _bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")
