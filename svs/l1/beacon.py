"""Blobs of L1 blocks, read back for the verifier from a beacon node's API.

``GET /eth/v1/beacon/blobs/{block_id}`` answers the blobs of a block. A beacon node's block id
is a slot; anvil serves the endpoint on its RPC port and takes the execution block number. The
client tells them apart by the beacon's clock: a beacon node answers ``/eth/v1/config/spec``
(``SECONDS_PER_SLOT``) and ``/eth/v1/beacon/genesis`` (``genesis_time``), and a block's slot is
then ``(timestamp - genesis_time) / SECONDS_PER_SLOT``, as OP's node computes it. anvil answers
no spec, so it is asked by block number. ``block_ids`` forces either.

Nothing the source answers is trusted: every blob is checked against the versioned hash the
L1 transaction carries (its KZG commitment is recomputed), and every answer's size is bounded.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from urllib.parse import urlencode

from svs.codec import untrusted_json
from svs.codec.blobs import BLOB_BYTES, versioned_hash
from svs.node.rpc import HttpEndpoint

MAX_BLOBS_PER_BLOCK = 64  # far above any fork's per-block limit; bounds the answer
MAX_ANSWER_BYTES = MAX_BLOBS_PER_BLOCK * (2 * BLOB_BYTES + 8) + 4096
MAX_CLOCK_ANSWER_BYTES = 1 << 20  # the spec and genesis answers (a few KB from a beacon node)
BLOCK_IDS = ("auto", "slot", "number")  # how blocks are named to the beacon API (module notes)
NO_ENDPOINT = (404, 405, 501)  # answers that say the server has no such endpoint at all


class BlobsUnavailable(RuntimeError):
    """The source does not give the blobs asked for (down, pruned, or answering other blobs).
    ``unreachable``: the source could not be read at all, or answered that it cannot answer now."""

    def __init__(self, message: str, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class BeaconBlobs:
    """The beacon API at ``url`` (for anvil, its RPC URL)."""

    def __init__(self, url: str, timeout: float = 30.0, block_ids: str = "auto"):
        """``timeout``: seconds for each whole exchange, however slowly it trickles in. ``block_ids``:
        "slot", "number", or "auto" (by whether the beacon has a slot clock; module notes)."""
        if block_ids not in BLOCK_IDS:
            raise ValueError(f"block ids must be one of {', '.join(BLOCK_IDS)}, not {block_ids!r}")
        self.url, self.timeout, self.block_ids = url.rstrip("/"), timeout, block_ids
        self._endpoint = HttpEndpoint.of(self.url)  # InvalidUrl (a ValueError) if not http(s)
        self._clock: tuple[int, int] | None = None  # (genesis time, seconds per slot), once read

    def blobs(self, block_number: int, wanted: list[bytes], timestamp: int | None = None) -> list[bytes]:
        """The blobs whose versioned hashes are ``wanted``, in that order, from L1 block
        ``block_number`` (made at ``timestamp``, which a beacon that indexes by slot needs);
        BlobsUnavailable if any is not there."""
        by_hash = {}
        for blob in self._block_blobs(self._block_id(block_number, timestamp), wanted):
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

    def _block_id(self, block_number: int, timestamp: int | None) -> str:
        """The id the beacon API knows L1 block ``block_number`` by: its slot or its number."""
        if self.block_ids == "auto":
            self.block_ids = "slot" if self._has_slot_clock() else "number"
        if self.block_ids == "number":
            return str(block_number)
        if timestamp is None:
            raise BlobsUnavailable(f"the beacon API at {self.url} names blocks by slot: L1 block {block_number}'s "
                                   "timestamp is needed")
        genesis, seconds = self._slot_clock()
        if timestamp < genesis or (timestamp - genesis) % seconds:
            raise BlobsUnavailable(f"L1 block {block_number} (time {timestamp}) is on no slot of the beacon at "
                                   f"{self.url} (genesis {genesis}, {seconds} s slots): not this L1's beacon")
        return str((timestamp - genesis) // seconds)

    def _has_slot_clock(self) -> bool:
        """Whether the beacon answers a slot clock. Only a definite answer settles it: no spec
        endpoint (404, 405, 501), or a spec or genesis without a usable clock. Anything that may
        pass (down, slow, oversized, busy, not JSON) raises BlobsUnavailable and asks again later."""
        try:
            self._slot_clock()
        except BlobsUnavailable as err:
            if err.unreachable:
                raise
            return False
        return True

    def _slot_clock(self) -> tuple[int, int]:
        """(genesis time, seconds per slot) from the beacon's genesis and spec, read once."""
        if self._clock is None:
            try:
                seconds = int(self._get_json("/eth/v1/config/spec", {}, MAX_CLOCK_ANSWER_BYTES)["data"]["SECONDS_PER_SLOT"])
                genesis = int(self._get_json("/eth/v1/beacon/genesis", {}, MAX_CLOCK_ANSWER_BYTES)["data"]["genesis_time"])
            except (KeyError, TypeError, ValueError) as err:
                raise BlobsUnavailable(f"the beacon API at {self.url} gives no slot clock (spec and genesis): {err}") from err
            if seconds < 1 or genesis < 0:
                raise BlobsUnavailable(f"the beacon API at {self.url} gives a slot clock of {seconds} s from {genesis}")
            self._clock = (genesis, seconds)
        return self._clock

    def _block_blobs(self, block_id: str, wanted: list[bytes]) -> list[bytes]:
        """The block's blobs; the source is asked for ``wanted`` only, but may answer more."""
        # One comma-separated value: anvil keeps only the last of repeated query parameters.
        query = {"versioned_hashes": ",".join("0x" + h.hex() for h in wanted)}
        answer = self._get_json(f"/eth/v1/beacon/blobs/{block_id}", query, MAX_ANSWER_BYTES)
        try:
            blobs = [bytes.fromhex(b.removeprefix("0x")) for b in answer["data"]]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise BlobsUnavailable(f"the beacon API's answer for block {block_id} is not a list of blobs") from err
        if any(len(b) != BLOB_BYTES for b in blobs):
            raise BlobsUnavailable(f"the beacon API's answer for block {block_id} holds a blob that is not "
                                   f"{BLOB_BYTES:,} bytes")
        return blobs

    def _get_json(self, path: str, query: dict, max_bytes: int):
        """GET ``path``: its JSON, within ``timeout`` seconds for the whole exchange (a watchdog
        closes the connection at the deadline, however slowly the headers or body trickle in)
        and ``max_bytes`` bytes. BlobsUnavailable otherwise: ``unreachable`` unless the server
        definitely has no such endpoint (404, 405, 501)."""
        connection = self._endpoint.connection(self.timeout)
        started = time.monotonic()
        watchdog = None
        try:
            connection.connect()
            # The socket itself, not the connection's attribute: http.client drops that once the
            # response owns the socket (a response that closes the connection), mid-body.
            watchdog = threading.Timer(max(0.0, self.timeout - (time.monotonic() - started)), _cut,
                                       (connection.sock,))
            watchdog.start()
            connection.request("GET", self._endpoint.target(path, urlencode(query)),
                               headers={"Accept": "application/json", "Accept-Encoding": "identity",
                                        **self._endpoint.auth})
            answer = connection.getresponse()
            encoding = answer.getheader("Content-Encoding", "identity").lower()
            body = answer.read(max_bytes + 1)
        except (OSError, http.client.HTTPException) as err:
            if time.monotonic() - started < self.timeout:
                raise BlobsUnavailable(f"the beacon API at {self.url} cannot be read: {err}", unreachable=True) from err
            body = None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            connection.close()
        if body is None or time.monotonic() - started >= self.timeout:  # cut by the watchdog
            raise BlobsUnavailable(f"the beacon API's answer to {path} took over {self.timeout:g} s: refused",
                                   unreachable=True)
        if len(body) > max_bytes:
            raise BlobsUnavailable(f"the beacon API's answer to {path} is over {max_bytes:,} bytes: refused",
                                   unreachable=True)
        if answer.status != 200:
            raise BlobsUnavailable(f"the beacon API answered {answer.status} to {path}: {body[:200]!r}",
                                   unreachable=answer.status not in NO_ENDPOINT)
        if encoding != "identity":
            raise BlobsUnavailable(f"the beacon API's answer to {path} is {encoding}-encoded, though identity was "
                                   "asked", unreachable=True)
        try:
            return untrusted_json.loads(body)
        except ValueError as err:
            raise BlobsUnavailable(f"the beacon API's answer to {path} is not JSON: {err}", unreachable=True) from err


def _cut(sock: socket.socket) -> None:
    """The watchdog: end an exchange past its deadline (a blocked read then ends at once)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass
