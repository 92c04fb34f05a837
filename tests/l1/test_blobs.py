"""Batch data in EIP-4844 blobs: the layout (against its own rules and eth-account's hashing),
the inbox's blob accounting against real type-3 transactions on anvil, the verifier reading the
blobs back from anvil's beacon API, and the batcher's choice between blobs and calldata."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
from eth_account import Account
from hypothesis import given, settings, strategies as st

from svs.codec import blobs as codec
from svs.codec.blobs import BLOB_BYTES, BLOB_CAPACITY, LENGTH_BYTES, Sidecar, from_blobs, to_blobs
from svs.codec.hashing import keccak
from svs.deploy import accounts
from svs.l1.batcher import Batcher
from svs.l1.beacon import MAX_ANSWER_BYTES, MAX_CLOCK_ANSWER_BYTES, BeaconBlobs, BlobsUnavailable
from svs.l1.inbox import InboxRejected
from svs.l1.verifier import Verifier, verify_all

# --- the layout -------------------------------------------------------------------------------

EDGES = [0, 1, BLOB_CAPACITY - LENGTH_BYTES - 1, BLOB_CAPACITY - LENGTH_BYTES, BLOB_CAPACITY - LENGTH_BYTES + 1,
         2 * BLOB_CAPACITY - LENGTH_BYTES, 2 * BLOB_CAPACITY]


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.binary(max_size=4000),
                 st.builds(lambda n, b: (b * (n // max(1, len(b)) + 1))[:n], st.sampled_from(EDGES),
                           st.binary(min_size=1, max_size=64))))
def test_any_bytes_round_trip_through_as_few_blobs_as_hold_them(data):
    blobs = to_blobs(data)
    assert from_blobs(blobs) == data
    assert len(blobs) == codec.blobs_needed(len(data)) == max(1, -(-(len(data) + LENGTH_BYTES) // BLOB_CAPACITY))
    assert all(len(b) == BLOB_BYTES and all(b[i] == 0 for i in range(0, BLOB_BYTES, 32)) for b in blobs)


def _set(blob: bytes, at: int, value: int) -> bytes:
    return blob[:at] + bytes([value]) + blob[at + 1:]


@pytest.mark.parametrize("damage, says", [
    (lambda b: [_set(b[0], 32 * 100, 1)], "first byte is not zero"),  # a field element out of the layout
    (lambda b: [b[0][:-1]], "is not 131,072 bytes"),
    (lambda b: [_set(b[0], BLOB_BYTES - 1, 7)], "non-zero bytes after the data"),  # padding
    (lambda b: [b[0], to_blobs(b"")[0]], "take 1 blob(s), not 2"),  # a blob more than needed
    (lambda b: [_set(b[0], 1, 0xff)], "hold at most"),  # length past the blobs
    (lambda b: [], "no blobs"),
])
def test_blobs_not_in_the_canonical_layout_are_refused(damage, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        from_blobs(damage(to_blobs(b"batch data" * 10)))


def test_versioned_hashes_are_the_ones_eth_account_signs():
    """The hand-computed sidecar (the trusted setup loaded once) against eth-account's own
    blob signing, on the same blobs."""
    blobs = to_blobs(bytes(range(256)) * 700)
    tx = {"type": 3, "chainId": 900, "nonce": 0, "to": accounts.user(0).address, "value": 0, "gas": 50_000,
          "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "maxFeePerBlobGas": 10**10, "data": b""}
    signed = Account.from_key(accounts.user(0).key).sign_transaction(tx, blobs=blobs)
    ours = Sidecar.of(blobs)
    theirs = Account.from_key(accounts.user(0).key).sign_transaction(
        {**tx, "blobVersionedHashes": ours.versioned_hashes})
    assert ours.versioned_hashes == [codec.versioned_hash(b) for b in blobs]
    assert ours.network_form(bytes(theirs.raw_transaction)) == bytes(signed.raw_transaction)


# --- the inbox --------------------------------------------------------------------------------


def _posted_input(inbox, tx_hash: str) -> tuple[dict, list[dict]]:
    tx = inbox.w3.eth.get_transaction(tx_hash)
    return tx, inbox.contract.decode_function_input(tx["input"])[1]["batches"]


@pytest.mark.parametrize("mode", ["strict", "optimistic"])
def test_a_post_in_blobs_is_accepted_records_its_versioned_hashes_and_verifies(net, mode):
    a, b = net.chain_ids
    net.transfers(a, b, 40)
    net.transfers(b, a, 3)
    batches, _ = net.collect(mode)
    sent = net.post(mode, in_blobs=True)
    tx, posted = _posted_input(net.inboxes[mode], sent.tx_hash)
    assert tx["type"] == 3 and sent.blobs == 2 and sent.blob_gas_used == 2 * codec.BLOB_GAS_PER_BLOB
    assert [(p["data"], p["blobs"]) for p in posted] == [(b"", 1), (b"", 1)]
    hashes = [bytes(h) for h in tx["blobVersionedHashes"]]
    for i, chain_id in enumerate(net.chain_ids):
        assert net.inboxes[mode].record(0, chain_id)["dataHash"] == keccak(hashes[i])
    verdicts, _ = verify_all(Verifier(net.inboxes[mode], net.sources()), None)
    assert [v.ok for v in verdicts] == [True], [v.line() for v in verdicts]
    # the verifier read the blobs back: they hold exactly the calldata form's data
    back = BeaconBlobs(net.l1_url).blobs(tx["blockNumber"], hashes)
    assert [from_blobs([blob]) for blob in back] == [x.data for x in batches]


def _send_raw(inbox, batches_abi, proofs, blobs: list[bytes]):
    call = inbox.contract.functions.submitBatches(
        batches_abi, [(m.as_abi(), g.as_abi()) for m, g in (proofs or [])])
    return inbox._send("submitBatches", call, sidecar=Sidecar.of(blobs) if blobs else None)


@pytest.mark.parametrize("claims, carried, error", [
    ((1, 1), 1, "InboxMissingBlob(chainId=902, index=1)"),  # the second batch's blob is not in the transaction
    ((1, 1), 0, "InboxMissingBlob(chainId=901, index=0)"),  # claims blobs, sent without any
    ((1, 1), 3, "InboxUnclaimedBlob(index=2)"),  # a blob no batch claims
    ((0, 1), 2, "InboxUnclaimedBlob(index=1)"),
    ((17, 0), 1, "InboxTooManyBlobs(chainId=901, blobs=17)"),
    ((1, "both"), 2, "InboxDataInBothPlaces(chainId=902)"),  # says blobs and carries calldata data too
])
def test_blob_claims_that_the_transaction_does_not_bear_out_are_rejected(net, claims, carried, error):
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    batches, proofs = net.collect("strict")
    inbox = net.inboxes["strict"]
    abi = [x.as_abi(1 if c == "both" else c) for x, c in zip(batches, claims)]
    abi = [row[:6] + (batches[i].data if claims[i] == "both" else row[6],) + row[7:] for i, row in enumerate(abi)]
    blobs = [blob for x in batches for blob in to_blobs(x.data)] + to_blobs(b"extra")
    with pytest.raises(InboxRejected, match=error.replace("(", r"\(").replace(")", r"\)")):
        _send_raw(inbox, abi, proofs, blobs[:carried])
    assert inbox.batch_count() == 0


# --- the verifier -----------------------------------------------------------------------------


def test_blobs_that_are_not_the_blocks_are_found_and_the_batch_still_checked(net):
    """An optimistic post whose blobs hold other data (a valid earlier batch's, and garbage
    outside the layout): the verifier reports each; the claims and pairs are still checked."""
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    earlier, _ = net.collect("optimistic")
    net.post("optimistic", in_blobs=True)
    net.transfers(a, b, 3)
    batches, _ = net.collect("optimistic")
    garbage = b"\x00" + b"\xff" * 31 + bytes(BLOB_BYTES - 32)  # a length far past one blob
    _send_raw(net.inboxes["optimistic"], [x.as_abi(1) for x in batches], None,
              to_blobs(earlier[0].data) + [garbage])
    verdicts, _ = verify_all(Verifier(net.inboxes["optimistic"], net.sources()), None)
    assert [v.ok for v in verdicts] == [True, False]
    problems = "; ".join(verdicts[1].problems)
    assert f"chain {a}: posted transactions differ" in problems or f"chain {a}: the posted data holds" in problems
    assert f"chain {b}: the data of its 1 blob(s) cannot be read back" in problems and "hold at most" in problems
    assert not verdicts[1].provable and not verdicts[1].false_headers  # the claims and pairs were checked: honest


def test_blobs_that_cannot_be_fetched_are_a_finding_not_a_crash(net):
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    net.post("strict", in_blobs=True)
    dead = Verifier(net.inboxes["strict"], net.sources(), blobs=BeaconBlobs("http://127.0.0.1:9", timeout=2))
    verdicts, resume = verify_all(dead, None)
    assert resume == 1 and not verdicts[0].ok
    assert all("cannot be read back" in p and "cannot be read:" in p for p in verdicts[0].problems)
    assert len(verdicts[0].problems) == 2  # one per rollup; nothing else failed


# --- the batcher ------------------------------------------------------------------------------


def test_the_batcher_posts_in_blobs_on_an_l1_that_takes_them_and_in_calldata_when_they_do_not_fit(net):
    a, b = net.chain_ids
    batcher = Batcher(net.inboxes["strict"], net.sources(), every=1, data_availability="auto")
    assert batcher.in_blobs
    net.transfers(a, b, 5)
    report = batcher.post(net.heads())
    assert report.ok and report.blobs == 2 and report.blob_gas_used == 2 * codec.BLOB_GAS_PER_BLOB, report
    batcher.max_blobs = 1  # two rollups need two blobs: this post goes in calldata
    net.transfers(b, a, 5)
    report = batcher.post(net.heads())
    assert report.ok and report.blobs == 0 and report.blob_gas_used == 0, report
    tx, posted = _posted_input(net.inboxes["strict"], report.tx_hash)
    assert tx["type"] != 3 and all(p["blobs"] == 0 and p["data"] for p in posted)
    verdicts, _ = verify_all(Verifier(net.inboxes["strict"], net.sources()), None)
    assert [v.ok for v in verdicts] == [True, True], [v.line() for v in verdicts]


def test_calldata_mode_never_posts_blobs_and_a_bad_choice_is_refused(net):
    a, b = net.chain_ids
    batcher = Batcher(net.inboxes["strict"], net.sources(), every=1, data_availability="calldata")
    net.transfers(a, b, 1)
    assert not batcher.in_blobs and batcher.post(net.heads()).blobs == 0
    with pytest.raises(ValueError, match="one of auto, blobs, calldata"):
        Batcher(net.inboxes["strict"], net.sources(), every=1, data_availability="ipfs")


# --- hostile input to the verifier's blob path --------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2 * BLOB_CAPACITY), st.integers(0, 2 * BLOB_BYTES - 1), st.integers(0, 255),
       st.integers(0, 2 * BLOB_CAPACITY + 10), st.booleans())
def test_only_the_canonical_layout_decodes(data, at, value, length, rewrite_length):
    """Blobs as a sequencer might post them: the layout of some data with one byte changed
    anywhere, or its length word replaced. Reading them back gives a ValueError, or data whose
    layout is exactly those blobs (so one batch has one blob form, and nothing else decodes)."""
    blobs = to_blobs(data)
    flat = bytearray(b"".join(blobs))
    if rewrite_length:
        flat[1:1 + LENGTH_BYTES] = length.to_bytes(LENGTH_BYTES, "big")
    else:
        flat[at % len(flat)] = value
    posted = [bytes(flat[i:i + BLOB_BYTES]) for i in range(0, len(flat), BLOB_BYTES)]
    try:
        decoded = from_blobs(posted)
    except ValueError:
        return
    assert to_blobs(decoded) == posted


class _Beacon:
    """A beacon API that answers whatever a test puts in ``body`` (with ``status``), or, for a
    path (without its query) in ``routes``, that route's (status, body)."""

    def __init__(self):
        beacon = self
        self.body, self.status, self.asked, self.trickle = b"", 200, [], False
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.headers: dict[str, str] = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                beacon.asked.append(self.path)
                beacon.authorization = self.headers.get("Authorization")
                status, body = beacon.routes.get(self.path.split("?")[0], (beacon.status, beacon.body))
                if beacon.trickle == "headers":  # the status line, then a header line every 0.2 s
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(100):
                        self.wfile.write(b"X-Pad: 1\r\n")
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in beacon.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not beacon.trickle:
                    self.wfile.write(body)
                    return
                for i in range(len(body)):  # a byte at a time, each well within a read timeout
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.2)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def beacon():
    server = _Beacon()
    yield server
    server.server.shutdown()


def _json(blobs: list[bytes]) -> bytes:
    return json.dumps({"data": ["0x" + b.hex() for b in blobs]}).encode()


@pytest.mark.parametrize("answer, says", [
    ((200, b"not json"), "is not JSON"),
    ((200, b"[" * 100_000), "is not JSON"),  # nested past the parser's recursion limit
    ((200, b'{"data": 5}'), "not a list of blobs"),
    ((404, b'{"code": 404}'), "answered 404"),
    ((200, _json([b"\x00" * 100])), "not 131,072 bytes"),
    ((200, _json(to_blobs(b"some other batch"))), "has no blob with versioned hash"),
    ((200, _json([b"\xff" * BLOB_BYTES])), "has no blob with versioned hash"),  # no field element fits
    ((200, b"x" * (MAX_ANSWER_BYTES + 1)), "over"),
])
def test_a_beacon_that_answers_wrongly_gives_blobs_unavailable(beacon, answer, says):
    beacon.status, beacon.body = answer
    wanted = [codec.versioned_hash(to_blobs(b"the batch")[0])]
    with pytest.raises(BlobsUnavailable, match=says):
        BeaconBlobs(beacon.url, block_ids="number").blobs(12, wanted)
    assert beacon.asked[-1].startswith("/eth/v1/beacon/blobs/12?versioned_hashes=0x01")


def test_a_beacon_that_trickles_its_answer_is_cut_at_the_timeout(beacon):
    beacon.body, beacon.trickle = _json(to_blobs(b"x")), True
    started = time.monotonic()
    with pytest.raises(BlobsUnavailable, match="took over 1 s"):
        BeaconBlobs(beacon.url, timeout=1, block_ids="number").blobs(1, [codec.versioned_hash(to_blobs(b"x")[0])])
    assert time.monotonic() - started < 5


def test_a_beacon_that_trickles_its_headers_is_cut_at_the_timeout(beacon):
    """Each header line well within a socket timeout, the headers never done: the watchdog
    ends the exchange at the deadline (a per-read timeout alone would wait for ever)."""
    beacon.trickle = "headers"
    started = time.monotonic()
    with pytest.raises(BlobsUnavailable, match="took over 1 s"):
        BeaconBlobs(beacon.url, timeout=1, block_ids="number").blobs(1, [codec.versioned_hash(to_blobs(b"x")[0])])
    assert time.monotonic() - started < 5


def test_a_beacon_url_with_a_path_a_query_and_credentials_is_asked_under_them(beacon):
    """Providers hand out beacon URLs like https://user:key@host/prefix?apikey=...: the request
    goes under the path, keeps the query and sends the credentials as basic auth."""
    import base64

    beacon.body = _json(to_blobs(b"x"))
    url = beacon.url.replace("http://", "http://us%40er:s3cret@") + "/prefix?apikey=k"
    assert BeaconBlobs(url, block_ids="number").blobs(4, [codec.versioned_hash(to_blobs(b"x")[0])]) == to_blobs(b"x")
    assert beacon.asked[-1].startswith("/prefix/eth/v1/beacon/blobs/4?apikey=k&versioned_hashes=0x01")
    assert beacon.authorization == "Basic " + base64.b64encode(b"us@er:s3cret").decode()
    with pytest.raises(ValueError, match="not an http"):
        BeaconBlobs("ws://127.0.0.1:1")


def test_a_compressed_answer_is_refused_not_misread(beacon):
    """identity is asked; a server (or proxy) that compresses anyway gets a clear refusal."""
    import gzip

    beacon.body, beacon.headers = gzip.compress(_json(to_blobs(b"x"))), {"Content-Encoding": "gzip"}
    with pytest.raises(BlobsUnavailable, match="gzip-encoded"):
        BeaconBlobs(beacon.url, block_ids="number").blobs(1, [codec.versioned_hash(to_blobs(b"x")[0])])


def test_a_beacon_that_answers_extra_blobs_gives_the_wanted_ones_in_order(beacon):
    ours = to_blobs(b"a" * 200_000)  # two blobs
    beacon.body = _json([to_blobs(b"noise")[0], ours[1], ours[0]])
    wanted = [codec.versioned_hash(b) for b in ours]
    assert BeaconBlobs(beacon.url).blobs(3, wanted) == ours


def test_anvil_gives_back_both_blobs_of_a_two_blob_batch(net):
    """The beacon client against anvil's own endpoint, for a batch that takes two blobs (the
    query asks for both hashes at once)."""
    blobs = to_blobs(bytes(range(256)) * 600)  # 153,600 bytes: two blobs
    sidecar, user = Sidecar.of(blobs), accounts.user(4)
    tx = {"type": 3, "chainId": 900, "nonce": net.inboxes["strict"].w3.eth.get_transaction_count(user.address),
          "to": user.address, "value": 0, "gas": 50_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
          "maxFeePerBlobGas": 10**11, "blobVersionedHashes": sidecar.versioned_hashes}
    w3 = net.inboxes["strict"].w3
    raw = sidecar.network_form(bytes(Account.from_key(user.key).sign_transaction(tx).raw_transaction))
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    assert receipt.status == 1 and len(blobs) == 2
    client = BeaconBlobs(net.l1_url)
    assert client.blobs(receipt.blockNumber, sidecar.versioned_hashes) == blobs
    assert client.block_ids == "number"  # anvil answers no slot clock: asked by block number
    assert BeaconBlobs(net.l1_url).blobs(receipt.blockNumber, sidecar.versioned_hashes[::-1]) == blobs[::-1]


def _slot_beacon(beacon, genesis: int, slot: int, blobs: list[bytes]) -> None:
    """``beacon`` as a beacon node: 12 s slots from ``genesis``, ``blobs`` at ``slot``, 404 elsewhere."""
    beacon.status, beacon.body = 404, b'{"code": 404, "message": "not found"}'
    beacon.routes = {"/eth/v1/config/spec": (200, json.dumps({"data": {"SECONDS_PER_SLOT": "12"}}).encode()),
                     "/eth/v1/beacon/genesis": (200, json.dumps({"data": {"genesis_time": str(genesis)}}).encode()),
                     f"/eth/v1/beacon/blobs/{slot}": (200, _json(blobs))}


@pytest.mark.parametrize("offset, block_ids, finding", [
    (0, "auto", None),  # the block's time is a slot boundary: asked by slot, found
    (0, "slot", None),
    (5, "auto", "is on no slot of the beacon"),  # another chain's beacon: refused, not misread
    (0, "number", "answered 404"),  # asked by block number, which a beacon node does not know
])
def test_a_beacon_node_is_asked_by_slot_from_the_blocks_time(net, beacon, offset, block_ids, finding):
    """The verifier against a beacon that indexes by slot, serving the blobs anvil really
    carried for the post: the slot comes from the L1 block's timestamp and the beacon's clock."""
    a, b = net.chain_ids
    net.transfers(a, b, 3)
    sent = net.post("strict", in_blobs=True)
    tx = net.inboxes["strict"].w3.eth.get_transaction(sent.tx_hash)
    hashes = [bytes(h) for h in tx["blobVersionedHashes"]]
    carried = BeaconBlobs(net.l1_url).blobs(tx["blockNumber"], hashes)
    timestamp = net.inboxes["strict"].w3.eth.get_block(tx["blockNumber"])["timestamp"]
    slot = 7 + offset
    _slot_beacon(beacon, timestamp - 12 * slot + offset, slot, carried)
    verifier = Verifier(net.inboxes["strict"], net.sources(), blobs=BeaconBlobs(beacon.url, block_ids=block_ids))
    verdicts, _ = verify_all(verifier, None)
    if finding is None:
        assert [v.ok for v in verdicts] == [True], [v.line() for v in verdicts]
        assert any(path.startswith(f"/eth/v1/beacon/blobs/{slot}?") for path in beacon.asked)
    else:
        assert not verdicts[0].ok and all(finding in p for p in verdicts[0].problems), verdicts[0].problems


@pytest.mark.parametrize("spec_answer, says", [
    ((503, b"busy"), "answered 503"),
    ((429, b"slow down"), "answered 429"),
    ((403, b"forbidden by a gateway"), "answered 403"),
    ((200, b"<html>a proxy's error page</html>"), "is not JSON"),
    ((200, b"x" * (MAX_CLOCK_ANSWER_BYTES + 1)), "is over"),
])
def test_a_beacon_that_cannot_answer_now_is_not_taken_for_one_without_a_slot_clock(beacon, spec_answer, says):
    """Only a definite answer (no spec endpoint, or a spec without a clock) settles block
    numbers; anything that may pass fails this lookup and is decided on a later one, by slot
    once the spec answers (else a --follow verifier would ask by number for good, and miss)."""
    ours = to_blobs(b"y")
    _slot_beacon(beacon, genesis=1000, slot=3, blobs=ours)
    spec = beacon.routes["/eth/v1/config/spec"]
    beacon.routes["/eth/v1/config/spec"] = spec_answer
    client = BeaconBlobs(beacon.url)
    with pytest.raises(BlobsUnavailable, match=says):
        client.blobs(50, [codec.versioned_hash(ours[0])], timestamp=1036)
    assert client.block_ids == "auto"
    beacon.routes["/eth/v1/config/spec"] = spec
    assert client.blobs(50, [codec.versioned_hash(ours[0])], timestamp=1036) == ours
    assert client.block_ids == "slot"


def test_a_beacon_that_names_no_slot_clock_is_asked_by_number_and_a_bad_choice_is_refused(beacon):
    beacon.routes = {"/eth/v1/config/spec": (200, b'{"data": {"SECONDS_PER_SLOT": "0"}}'),
                     "/eth/v1/beacon/genesis": (200, b'{"data": {"genesis_time": "5"}}')}
    beacon.body = _json(to_blobs(b"x"))
    client = BeaconBlobs(beacon.url)
    assert client.blobs(9, [codec.versioned_hash(to_blobs(b"x")[0])]) == to_blobs(b"x")
    assert client.block_ids == "number" and beacon.asked[-1].startswith("/eth/v1/beacon/blobs/9?")
    with pytest.raises(ValueError, match="one of auto, slot, number"):
        BeaconBlobs(beacon.url, block_ids="root")


def test_batches_that_swap_their_blobs_are_both_found(net):
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    net.transfers(b, a, 5)
    batches, _ = net.collect("optimistic")
    _send_raw(net.inboxes["optimistic"], [x.as_abi(1) for x in batches], None,
              to_blobs(batches[1].data) + to_blobs(batches[0].data))
    verdicts, _ = verify_all(Verifier(net.inboxes["optimistic"], net.sources()), None)
    assert [v.ok for v in verdicts] == [False]
    problems = "; ".join(verdicts[0].problems)
    assert f"chain {a}: posted transactions differ" in problems and f"chain {b}: posted transactions differ" in problems
