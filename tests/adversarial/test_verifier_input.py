"""Batch data is whatever the sequencer posted: ``decode_contents`` must turn any bytes into
either the batch's blocks or a ValueError, so the verifier reports bad data instead of dying on
it. Hypothesis feeds it arbitrary bytes and zlib-compressed arbitrary RLP (checked against a
reference of what must decode); the fixed cases are the shapes that used to raise TypeError, a
zlib bomb, RLP nested 50,000 deep, and more block entries than the bound. No node is needed."""

from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest
import rlp
from hypothesis import example, given
from hypothesis import strategies as st

from svs.codec import batches
from svs.codec.batches import MAX_BATCH_ITEMS, MAX_DECOMPRESSED_BYTES, decode_contents, encode_contents
from svs.codec.rlpcodec import rlp_list

# RLP items: byte strings and lists of them, nested.
RLP_ITEMS = st.recursive(st.binary(max_size=40), lambda children: st.lists(children, max_size=5), max_leaves=30)
# Well-formed block entries, so the property also sees data that must decode.
UINTS = st.integers(min_value=0, max_value=2**64 - 1)
BLOCKS = st.lists(st.tuples(UINTS, UINTS, st.lists(st.binary(max_size=60), max_size=4)).map(list), max_size=5)


def _assert_batch_shape(decoded) -> None:
    assert isinstance(decoded, list)
    for entry in decoded:
        number, timestamp, txs = entry
        assert isinstance(number, int) and isinstance(timestamp, int)
        assert isinstance(txs, list) and all(isinstance(tx, bytes) for tx in txs)


def _decodes_or_refuses(data: bytes) -> None:
    """The property: the blocks, or a ValueError saying why not; nothing else."""
    try:
        decoded = decode_contents(data)
    except ValueError as err:
        assert str(err), "a refusal must say why"
        return
    _assert_batch_shape(decoded)


@given(st.binary(max_size=600))
@example(b"")
@example(zlib.compress(b""))
def test_arbitrary_bytes_decode_to_blocks_or_raise_value_error(data):
    _decodes_or_refuses(data)


def _reference(item) -> list | None:
    """What decode_contents must make of the RLP of ``item``; None: it must refuse it."""
    if not isinstance(item, list):
        return None
    blocks = []
    for entry in item:
        if not (isinstance(entry, list) and len(entry) == 3):
            return None
        number, timestamp, txs = entry
        if not all(isinstance(x, bytes) and len(x) <= 32 and x[:1] != b"\x00" for x in (number, timestamp)):
            return None
        if not (isinstance(txs, list) and all(isinstance(tx, bytes) for tx in txs)):
            return None
        blocks.append([int.from_bytes(number, "big"), int.from_bytes(timestamp, "big"), txs])
    return blocks


@given(RLP_ITEMS)
@example([b"x"])
@example([[b"\x01", b"\x02"]])
@example([[b"\x01", b"\x02", [[b"nested"]]]])
@example([[[b"\x01"], b"\x02", []]])
@example([[b"\x01", b"\x02", [b"tx"], b"extra"]])
@example([[b"", b"", []], [b"\x05", b"\x06", [b"", b"\x80" * 60]]])
@example(b"not a list")
def test_compressed_arbitrary_rlp_decodes_exactly_when_it_has_the_batch_shape(item):
    data = zlib.compress(rlp.encode(item))
    expected = _reference(item)
    if expected is None:
        with pytest.raises(ValueError):
            decode_contents(data)
    else:
        assert decode_contents(data) == expected


@given(BLOCKS)
def test_well_formed_batch_data_decodes_to_its_blocks(blocks):
    assert decode_contents(encode_contents(blocks)) == blocks


@pytest.mark.parametrize("item, reason", [
    ([b"x"], "block entry #0 of the batch data must be an RLP list"),
    ([[1, 2]], "has 2 field(s), not 3"),
    ([[1, 2, 3]], "the transactions of block entry #0 of the batch data must be an RLP list"),
    ([[1, 2, [[b"tx"]]]], "transaction #0 of block entry #0 of the batch data must be an RLP string"),
    ([[[1], 2, []]], "the number of block entry #0 of the batch data must be an RLP string"),
    ([[b"\x00\x01", 2, []]], "not a canonical RLP integer"),
    (b"x", "the batch data must be an RLP list"),
])
def test_valid_zlib_of_the_wrong_rlp_shape_is_refused_with_the_reason(item, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        decode_contents(zlib.compress(rlp.encode(item)))


@pytest.mark.parametrize("data, reason", [
    (zlib.compress(rlp.encode([]))[:-2], "truncated zlib stream"),
    (zlib.compress(rlp.encode([])) + b"\x00", "1 byte(s) after its zlib stream"),
    (b"\x78\x9c garbage", "not zlib-compressed"),
])
def test_damaged_zlib_is_refused_with_the_reason(data, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        decode_contents(data)


def _zlib_of_zeros(size: int, chunk: int = 2**20) -> bytes:
    """zlib of ``size`` zero bytes, built a chunk at a time (never holding ``size`` bytes)."""
    compressor, zeros = zlib.compressobj(9), bytes(chunk)
    return b"".join(compressor.compress(zeros) for _ in range(size // chunk)) + compressor.flush()


def test_a_zlib_bomb_is_refused_quickly_without_inflating_it():
    size = 4 * MAX_DECOMPRESSED_BYTES  # 64 MiB of zeros in ~64 KB
    bomb = _zlib_of_zeros(size)
    assert len(bomb) < size // 500
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ValueError, match="inflates past"):
            decode_contents(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    # zlib's output buffer may briefly hold the bound twice over; the bomb's size, never.
    assert peak < 3 * MAX_DECOMPRESSED_BYTES < size, f"decoding the bomb allocated {peak:,} bytes"


def test_data_just_under_the_bound_still_decodes():
    blocks = [[1, 2, [bytes(MAX_DECOMPRESSED_BYTES - 64)]]]
    assert decode_contents(encode_contents(blocks)) == blocks


def _nested_empty_lists(depth: int) -> bytes:
    """RLP of ``[[[...[]...]]]``, ``depth`` lists deep (built inside out, in linear time)."""
    prefixes, size = [], 1
    for _ in range(depth):
        length = size.to_bytes((size.bit_length() + 7) // 8, "big")
        prefix = bytes([0xc0 + size]) if size < 56 else bytes([0xf7 + len(length)]) + length
        prefixes.append(prefix)
        size += len(prefix)
    return b"".join(reversed(prefixes)) + b"\xc0"


def test_deeply_nested_rlp_is_refused_in_linear_time():
    # A general RLP decoder takes ~10 s on this (and raises RecursionError deeper still).
    payload = zlib.compress(_nested_empty_lists(50_000))
    started = time.monotonic()
    with pytest.raises(ValueError, match="has 1 field"):
        decode_contents(payload)
    assert time.monotonic() - started < 1


def test_an_item_bomb_is_refused_at_the_item_bound():
    # 16 MiB of 4-byte block entries: 4 million blocks, ~600 MB if decoded.
    empty_block = rlp.encode([b"", b"", []])
    data = zlib.compress(rlp_list([empty_block] * (MAX_DECOMPRESSED_BYTES // len(empty_block) - 16)))
    started = time.monotonic()
    with pytest.raises(ValueError, match=f"more than {MAX_BATCH_ITEMS:,} blocks and transactions"):
        decode_contents(data)
    assert time.monotonic() - started < 10


def test_the_item_bound_counts_blocks_and_transactions(monkeypatch):
    monkeypatch.setattr(batches, "MAX_BATCH_ITEMS", 1000)
    blocks = [[n, n, [b"tx%d" % n]] for n in range(500)]  # 500 blocks + 500 transactions
    assert decode_contents(encode_contents(blocks)) == blocks
    blocks[-1][2].append(b"one more")
    with pytest.raises(ValueError, match="more than 1,000 blocks and transactions"):
        decode_contents(encode_contents(blocks))
