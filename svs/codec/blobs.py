"""Batch data in EIP-4844 blobs: how bytes are laid out in blobs, and each blob's versioned hash.

A blob is 4,096 field elements of 32 bytes, each below the BLS12-381 scalar modulus. Here every
field element carries 31 bytes of payload behind a zero byte, so any bytes fit (126,976 per
blob). One rollup's batch data goes in its own blobs: a 4-byte big-endian length, the data, then
zeros to the end of the last blob. The layout is canonical: ``from_blobs`` refuses anything
``to_blobs`` would not have produced (a non-zero high byte, a length past the blobs, non-zero
padding, or a blob more than the length needs), so a given batch has exactly one blob form.

The versioned hash is what L1 keeps of a blob (``blobhash``): 0x01, then sha256 of the blob's
KZG commitment without its first byte. ``versioned_hash`` computes the commitment with ckzg and
the trusted setup eth-account ships, the same one it signs blob transactions with, so a blob
fetched from anywhere can be checked against the hash the inbox recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import ckzg
import rlp
from eth_account.typed_transactions.base import TRUSTED_SETUP

from svs.codec.hashing import keccak

BYTES_PER_FIELD_ELEMENT = 32
FIELD_ELEMENTS_PER_BLOB = 4096
BLOB_BYTES = BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB
PAYLOAD_PER_ELEMENT = BYTES_PER_FIELD_ELEMENT - 1
BLOB_CAPACITY = PAYLOAD_PER_ELEMENT * FIELD_ELEMENTS_PER_BLOB  # payload bytes per blob
LENGTH_BYTES = 4
BLOB_GAS_PER_BLOB = 2**17  # EIP-4844
VERSIONED_HASH_VERSION_KZG = b"\x01"


def blobs_needed(data_bytes: int) -> int:
    """Blobs that ``data_bytes`` of batch data take (at least one)."""
    return max(1, -(-(LENGTH_BYTES + data_bytes) // BLOB_CAPACITY))


def to_blobs(data: bytes) -> list[bytes]:
    """``data`` laid out in as few blobs as hold it (see module notes)."""
    payload = len(data).to_bytes(LENGTH_BYTES, "big") + bytes(data)
    count = blobs_needed(len(data))
    payload += bytes(count * BLOB_CAPACITY - len(payload))
    blobs = []
    for b in range(count):
        chunk = payload[b * BLOB_CAPACITY:(b + 1) * BLOB_CAPACITY]
        blobs.append(b"".join(b"\x00" + chunk[i:i + PAYLOAD_PER_ELEMENT]
                              for i in range(0, BLOB_CAPACITY, PAYLOAD_PER_ELEMENT)))
    return blobs


def from_blobs(blobs: list[bytes]) -> bytes:
    """The data ``to_blobs`` laid out in ``blobs``; ValueError for anything it would not have
    produced. The blobs come from whoever posted them, so anything may come in."""
    if not blobs:
        raise ValueError("no blobs: a batch in blobs has at least one")
    payload = bytearray()
    for b, blob in enumerate(blobs):
        if not isinstance(blob, (bytes, bytearray)) or len(blob) != BLOB_BYTES:
            raise ValueError(f"blob {b} is not {BLOB_BYTES:,} bytes")
        for i in range(0, BLOB_BYTES, BYTES_PER_FIELD_ELEMENT):
            if blob[i]:
                raise ValueError(f"blob {b}, field element {i // BYTES_PER_FIELD_ELEMENT}: its first byte is "
                                 "not zero (this layout puts 31 bytes behind a zero byte)")
            payload += blob[i + 1:i + BYTES_PER_FIELD_ELEMENT]
    length = int.from_bytes(payload[:LENGTH_BYTES], "big")
    if LENGTH_BYTES + length > len(payload):
        raise ValueError(f"the blobs say {length:,} bytes of data; {len(blobs)} blob(s) hold at most "
                         f"{len(payload) - LENGTH_BYTES:,}")
    if blobs_needed(length) != len(blobs):
        raise ValueError(f"{length:,} bytes of data take {blobs_needed(length)} blob(s), not {len(blobs)}")
    if any(payload[LENGTH_BYTES + length:]):
        raise ValueError("the blobs have non-zero bytes after the data")
    return bytes(payload[LENGTH_BYTES:LENGTH_BYTES + length])


def prepare() -> None:
    """Load the trusted setup now (about 2 s of CPU), not in the first post that needs it."""
    _trusted_setup()


@lru_cache(maxsize=1)
def _trusted_setup():
    """The KZG trusted setup, loaded once (about 2 s; eth-account's own signing of blob
    transactions loads it for every commitment and proof, which is why ``Sidecar`` computes
    them here)."""
    return ckzg.load_trusted_setup(TRUSTED_SETUP, 0)


def versioned_hash(blob: bytes) -> bytes:
    """The blob's EIP-4844 versioned hash, from its KZG commitment (computed here)."""
    return _kzg_to_versioned_hash(ckzg.blob_to_kzg_commitment(bytes(blob), _trusted_setup()))


def _kzg_to_versioned_hash(commitment: bytes) -> bytes:
    return VERSIONED_HASH_VERSION_KZG + hashlib.sha256(commitment).digest()[1:]


def data_hash_of(versioned_hashes: list[bytes]) -> bytes:
    """What the inbox records as a batch-in-blobs' ``dataHash``: keccak256 of the blobs'
    versioned hashes concatenated."""
    return keccak(b"".join(versioned_hashes))


@dataclass(frozen=True)
class Sidecar:
    """The blobs of one L1 transaction with their KZG commitments and proofs: what a blob
    transaction carries beside its signed body when it is sent (EIP-4844's network form)."""

    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]

    @classmethod
    def of(cls, blobs: list[bytes]) -> "Sidecar":
        setup = _trusted_setup()
        commitments = tuple(ckzg.blob_to_kzg_commitment(bytes(b), setup) for b in blobs)
        proofs = tuple(ckzg.compute_blob_kzg_proof(bytes(b), c, setup) for b, c in zip(blobs, commitments))
        return cls(tuple(bytes(b) for b in blobs), commitments, proofs)

    @property
    def versioned_hashes(self) -> list[bytes]:
        return [_kzg_to_versioned_hash(c) for c in self.commitments]

    def network_form(self, signed: bytes) -> bytes:
        """The signed type-3 transaction ``signed`` (0x03 || rlp(body), whose versioned hashes
        must be this sidecar's) with the sidecar, as ``eth_sendRawTransaction`` takes it."""
        if signed[:1] != b"\x03":
            raise ValueError("not a signed blob (type-3) transaction")
        return b"\x03" + rlp.encode([rlp.decode(signed[1:]), list(self.blobs), list(self.commitments),
                                     list(self.proofs)])
