"""keccak256 for the hot path. safe-pysha3 (already locked, as an eth-hash backend) costs ~2 us
per call here against ~10 us through eth-utils' default pycryptodome backend, and the sequencer
hashes every admitted transaction several times. Same function: tests/test_transactions.py."""

from __future__ import annotations

from sha3 import keccak_256


def keccak(data: bytes) -> bytes:
    return keccak_256(data).digest()
