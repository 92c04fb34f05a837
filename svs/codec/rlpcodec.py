"""RLP encoding of flat lists of byte strings, and EIP-55 checksums: the two small pieces the
hot path (signing destination legs, decoding admitted transactions) needs, written out because
the general-purpose libraries spend most of their time on generality. Both are checked against
eth-account and eth-utils by tests/test_transactions.py."""

from __future__ import annotations

from svs.codec.hashing import keccak


def rlp_int(value: int) -> bytes:
    return rlp_bytes(value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b"")


def rlp_bytes(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _length(len(data), 0x80) + data


def rlp_list(encoded_items: list[bytes]) -> bytes:
    """A list whose items are already RLP-encoded."""
    payload = b"".join(encoded_items)
    return _length(len(payload), 0xC0) + payload


def rlp_list_of_bytes(items: list[bytes]) -> bytes:
    return rlp_list([rlp_bytes(item) for item in items])


def _length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def checksum_address(raw: bytes) -> str:
    """EIP-55 mixed-case hex of a 20-byte address."""
    lower = raw.hex()
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest))
