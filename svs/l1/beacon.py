"""Blobs of L1 blocks, read back for the verifier from a beacon node's API.

``GET /eth/v1/beacon/blobs/{block_id}`` answers the blobs of a block. anvil serves it on its
RPC port and takes the execution block number as the block id, which is what this client sends.
A real beacon node indexes by slot, so against a public testnet the verifier needs a beacon URL
whose ids are block numbers (not provided here; see README, "Data availability").

Nothing the source answers is trusted: every blob is checked against the versioned hash the
L1 transaction carries (its KZG commitment is recomputed), and the answer's size is bounded.
"""

from __future__ import annotations

import json
import time

import requests

from svs.codec.blobs import BLOB_BYTES, versioned_hash

MAX_BLOBS_PER_BLOCK = 64  # far above any fork's per-block limit; bounds the answer
MAX_ANSWER_BYTES = MAX_BLOBS_PER_BLOCK * (2 * BLOB_BYTES + 8) + 4096


class BlobsUnavailable(RuntimeError):
    """The source does not give the blobs asked for (down, pruned, or answering other blobs)."""


class BeaconBlobs:
    """The beacon API at ``url`` (for anvil, its RPC URL)."""

    def __init__(self, url: str, timeout: float = 30.0):
        """``timeout``: seconds for a whole answer, however slowly it trickles in."""
        self.url, self.timeout = url.rstrip("/"), timeout

    def blobs(self, block_number: int, wanted: list[bytes]) -> list[bytes]:
        """The blobs whose versioned hashes are ``wanted``, in that order, from L1 block
        ``block_number``; BlobsUnavailable if any is not there."""
        by_hash = {}
        for blob in self._block_blobs(block_number, wanted):
            try:
                by_hash.setdefault(versioned_hash(blob), blob)
            except RuntimeError:  # ckzg: a field element at or above the modulus, so no blob of any tx
                continue
            if all(h in by_hash for h in wanted):
                break
        missing = [h for h in wanted if h not in by_hash]
        if missing:
            raise BlobsUnavailable(f"L1 block {block_number} has no blob with versioned hash 0x{missing[0].hex()} "
                                   f"at {self.url}")
        return [by_hash[h] for h in wanted]

    def _block_blobs(self, block_number: int, wanted: list[bytes]) -> list[bytes]:
        """The block's blobs; the source is asked for ``wanted`` only, but may answer more."""
        # One comma-separated value: anvil keeps only the last of repeated query parameters.
        query = {"versioned_hashes": ",".join("0x" + h.hex() for h in wanted)}
        deadline = time.monotonic() + self.timeout
        try:
            with requests.get(f"{self.url}/eth/v1/beacon/blobs/{block_number}", params=query, stream=True,
                              timeout=self.timeout) as answer:
                status, body = answer.status_code, bytearray()
                while chunk := answer.raw.read1(64 * 1024):  # what one socket read gives, so the clock is checked
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise BlobsUnavailable(f"the beacon API's answer for block {block_number} is over "
                                               f"{MAX_ANSWER_BYTES:,} bytes: refused")
                    if time.monotonic() > deadline:
                        raise BlobsUnavailable(f"the beacon API's answer for block {block_number} took over "
                                               f"{self.timeout:g} s: refused")
        except requests.RequestException as err:
            raise BlobsUnavailable(f"the beacon API at {self.url} cannot be read: {err}") from err
        if status != 200:
            raise BlobsUnavailable(f"the beacon API answered {status} for block {block_number}: {bytes(body[:200])!r}")
        try:
            blobs = [bytes.fromhex(b.removeprefix("0x")) for b in json.loads(body)["data"]]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise BlobsUnavailable(f"the beacon API's answer for block {block_number} is not a list of blobs") from err
        if any(len(b) != BLOB_BYTES for b in blobs):
            raise BlobsUnavailable(f"the beacon API's answer for block {block_number} holds a blob that is not "
                                   f"{BLOB_BYTES:,} bytes")
        return blobs
