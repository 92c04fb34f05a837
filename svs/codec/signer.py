"""Fast signing of the sequencer's own legacy (EIP-155) transactions.

The builder signs one transaction per destination leg, thousands per second. eth-account's
generic path manages ~1,700/s here; RLP written out for this one fixed layout plus coincurve on
the hash is several times faster. tests/test_transactions.py checks every byte against
eth-account under hypothesis.
"""

from __future__ import annotations

from coincurve import PrivateKey

from svs.codec.hashing import keccak
from svs.codec.rlpcodec import rlp_bytes as _rlp_bytes
from svs.codec.rlpcodec import rlp_int as _rlp_int
from svs.codec.rlpcodec import rlp_list as _rlp_list


class LegacySigner:
    """Signs legacy transactions for one key and one chain."""

    def __init__(self, private_key: bytes, chain_id: int):
        self._key = PrivateKey(private_key)
        self.chain_id = chain_id
        self._chain_tail = [_rlp_int(chain_id), _rlp_int(0), _rlp_int(0)]

    def sign(self, nonce: int, gas_price: int, gas: int, to: bytes, value: int, data: bytes) -> tuple[bytes, str]:
        """Return (raw transaction, 0x-hash)."""
        body = [_rlp_int(nonce), _rlp_int(gas_price), _rlp_int(gas), _rlp_bytes(to), _rlp_int(value), _rlp_bytes(data)]
        signature = self._key.sign_recoverable(keccak(_rlp_list(body + self._chain_tail)), hasher=None)
        v = signature[64] + 35 + 2 * self.chain_id
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        raw = _rlp_list(body + [_rlp_int(v), _rlp_int(r), _rlp_int(s)])
        return raw, "0x" + keccak(raw).hex()
