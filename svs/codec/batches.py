"""One rollup's batch for the L1 inbox: its block range, claimed roots and transaction data.

The data is ``zlib(rlp([[number, timestamp, [raw tx, ...]], ...]))`` over the range, rebuilt
from the node with ``eth_getRawTransactionByHash``. The inbox does not read it; it stores its
keccak256. A verifier decompresses what was posted and compares it with the same blocks rebuilt
from its own node (``block_contents``), so it does not depend on zlib producing identical bytes.

Compression matters: a block with 1,000 transfers each way is ~550 KB of signed transactions
per rollup, too large for one L1 request to anvil, and ~145 KB compressed (the signatures do
not compress; the repeated addresses and calldata do).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import rlp

from svs.codec.hashing import keccak
from svs.codec.merkle import MerkleTree
from svs.node.rpc import RpcClient

RAW_TX_CHUNK = 256  # requests per HTTP round trip when fetching raw transactions
COMPRESSION_LEVEL = 9
# Batch data a verifier inflates at most: far above a real post (svs.pipeline.limits.MAX_POST_DATA_BYTES
# of compressed data, at most ~4x that inflated), far below what a zlib bomb asks (1 KB -> 1 MB).
MAX_DECOMPRESSED_BYTES = 16 * 2**20
# Blocks and transactions in one rollup's batch data at most. Each costs ~150 bytes of memory
# when decoded, and 4 bytes of RLP can describe one: the byte bound alone would let 16 MiB of
# data take 600 MB. An honest post holds fewer than 200,000 (empty blocks compress to ~4.5
# bytes each, a signed transaction to ~65 at least).
MAX_BATCH_ITEMS = 2**19


@dataclass(frozen=True)
class Batch:
    """IBatchInbox.Batch."""

    chain_id: int
    first_block: int
    last_block: int
    state_root: bytes
    block_hash: bytes
    block_hashes: tuple[bytes, ...]  # every block of the range, first to last (the last is block_hash)
    data: bytes

    @property
    def blocks_root(self) -> bytes:
        return blocks_root(list(self.block_hashes))

    @property
    def data_hash(self) -> bytes:
        """The record's ``dataHash`` when the data is posted in calldata (in blobs it is
        ``svs.codec.blobs.data_hash_of`` the versioned hashes)."""
        return keccak(self.data)

    def as_abi(self, blobs: int = 0) -> tuple:
        """The batch as the inbox takes it; ``blobs``: the number of blobs its data goes in
        (svs.codec.blobs), and then the calldata ``data`` is empty."""
        return (self.chain_id, self.first_block, self.last_block, self.state_root, self.block_hash,
                list(self.block_hashes), b"" if blobs else self.data, blobs)

    def summary(self) -> dict:
        return {"chainId": self.chain_id, "firstBlock": self.first_block, "lastBlock": self.last_block,
                "stateRoot": "0x" + self.state_root.hex(), "blockHash": "0x" + self.block_hash.hex(),
                "blocksRoot": "0x" + self.blocks_root.hex(), "dataBytes": len(self.data)}


def blocks_root(block_hashes: list[bytes]) -> bytes:
    """``IBatchInbox.RollupRecord.blocksRoot``: the root of the depth-32 Merkle tree (the system
    contracts' hashing) whose leaf i is the hash of the batch's i-th block."""
    return MerkleTree(list(block_hashes)).root()


def _blocks(rpc: RpcClient, first_block: int, last_block: int) -> list[dict]:
    return rpc.batch_strict([("eth_getBlockByNumber", [hex(n), False]) for n in range(first_block, last_block + 1)])


def block_contents(rpc: RpcClient, first_block: int, last_block: int) -> list:
    """``[[number, timestamp, [raw tx, ...]], ...]`` of blocks ``first_block..last_block``."""
    return _contents(rpc, _blocks(rpc, first_block, last_block))


def _contents(rpc: RpcClient, blocks: list[dict]) -> list:
    hashes = [h for block in blocks for h in block["transactions"]]
    raws = rpc.batch([("eth_getRawTransactionByHash", [h]) for h in hashes], chunk=RAW_TX_CHUNK)
    for raw in raws:
        if isinstance(raw, Exception):
            raise raw
    raw_iter = iter(raws)
    items = []
    for block in blocks:
        txs = [bytes.fromhex(next(raw_iter)[2:]) for _ in block["transactions"]]
        items.append([int(block["number"], 16), int(block["timestamp"], 16), txs])
    return items


def encode_contents(items: list) -> bytes:
    return zlib.compress(rlp.encode(items), COMPRESSION_LEVEL)


def decode_contents(data: bytes) -> list:
    """Inverse of encode_contents, with integers as ints.

    The data is whatever the sequencer posted, so anything may come in. It raises ValueError,
    and nothing else, unless ``data`` is one zlib stream that inflates to at most
    ``MAX_DECOMPRESSED_BYTES`` of canonical RLP of exactly ``[[number, timestamp, [raw tx,
    ...]], ...]`` with at most ``MAX_BATCH_ITEMS`` blocks and transactions. The RLP is read
    here, shape first, in one pass without recursion: a general decoder would build whatever
    nesting the data describes (its time grows with the square of the depth)."""
    return _BatchReader(_inflate(data)).blocks()


def _inflate(data: bytes) -> bytes:
    """``data`` decompressed, refusing (ValueError) anything but one complete zlib stream that
    inflates to at most MAX_DECOMPRESSED_BYTES: a bomb is stopped without inflating it."""
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"batch data must be bytes, not {type(data).__name__}")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, MAX_DECOMPRESSED_BYTES)
    except zlib.error as err:
        raise ValueError(f"batch data is not zlib-compressed: {err}") from err
    if not inflater.eof:
        if inflater.unconsumed_tail or len(raw) >= MAX_DECOMPRESSED_BYTES:
            raise ValueError(f"batch data inflates past {MAX_DECOMPRESSED_BYTES:,} bytes: refused")
        raise ValueError("batch data is a truncated zlib stream")
    if inflater.unused_data:
        raise ValueError(f"batch data has {len(inflater.unused_data)} byte(s) after its zlib stream")
    return raw


class _BatchReader:
    """Reads ``[[number, timestamp, [raw tx, ...]], ...]`` from canonical RLP bytes."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self.items_left = MAX_BATCH_ITEMS

    def blocks(self) -> list:
        is_list, at, end = self._item(0, len(self.raw), "the batch data")
        if not is_list:
            raise ValueError("the batch data must be an RLP list, not a string")
        if end != len(self.raw):
            raise ValueError(f"the batch data has {len(self.raw) - end} byte(s) after its RLP list")
        blocks = []
        while at < end:
            block, at = self._block(at, end, f"block entry #{len(blocks)} of the batch data")
            blocks.append(block)
        return blocks

    def _block(self, at: int, end: int, what: str) -> tuple[list, int]:
        """The block entry at ``at`` and where the next item starts."""
        self._count()
        is_list, start, stop = self._item(at, end, what)
        if not is_list:
            raise ValueError(f"{what} must be an RLP list, not a string")
        fields, cursor = [], start
        while cursor < stop and len(fields) < 4:
            fields.append(self._item(cursor, stop, f"field #{len(fields)} of {what}"))
            cursor = fields[-1][2]
        if len(fields) != 3:
            count = f"{len(fields)}" if cursor >= stop else "more than 3"
            raise ValueError(f"{what} has {count} field(s), not 3 (number, timestamp, transactions)")
        number = self._uint(fields[0], f"the number of {what}")
        timestamp = self._uint(fields[1], f"the timestamp of {what}")
        return [number, timestamp, self._transactions(fields[2], what)], stop

    def _transactions(self, field: tuple[bool, int, int], what: str) -> list[bytes]:
        is_list, at, end = field
        if not is_list:
            raise ValueError(f"the transactions of {what} must be an RLP list, not a string")
        txs = []
        while at < end:
            self._count()
            is_list, start, stop = self._item(at, end, f"transaction #{len(txs)} of {what}")
            if is_list:
                raise ValueError(f"transaction #{len(txs)} of {what} must be an RLP string, not a list")
            txs.append(self.raw[start:stop])
            at = stop
        return txs

    def _uint(self, field: tuple[bool, int, int], what: str) -> int:
        """A canonical RLP integer of at most 32 bytes: big-endian, no leading zero byte."""
        is_list, start, stop = field
        if is_list:
            raise ValueError(f"{what} must be an RLP string, not a list")
        if stop - start > 32:
            raise ValueError(f"{what} is {stop - start} bytes long: at most 32")
        if stop > start and self.raw[start] == 0:
            raise ValueError(f"{what} has a leading zero byte: not a canonical RLP integer")
        return int.from_bytes(self.raw[start:stop], "big")

    def _count(self) -> None:
        self.items_left -= 1
        if self.items_left < 0:
            raise ValueError(f"the batch data holds more than {MAX_BATCH_ITEMS:,} blocks and transactions: refused")

    def _item(self, at: int, end: int, what: str) -> tuple[bool, int, int]:
        """(is a list, payload start, payload end) of the canonical RLP item at ``at``, which
        must end by ``end``."""
        raw = self.raw
        if at >= end:
            raise ValueError(f"{what} is missing: the data ends")
        prefix = raw[at]
        if prefix < 0x80:
            return False, at, at + 1
        is_list = prefix >= 0xC0
        short = prefix - (0xC0 if is_list else 0x80)
        if short <= 55:
            start, length = at + 1, short
        else:
            start = at + 1 + short - 55
            if start > end:
                raise ValueError(f"{what}: its RLP length runs past the data")
            length = int.from_bytes(raw[at + 1:start], "big")
            if raw[at + 1] == 0 or length < 56:
                raise ValueError(f"{what} has a non-canonical RLP length")
        if start + length > end:
            raise ValueError(f"{what} runs past the end of the data that holds it")
        if not is_list and length == 1 and raw[start] < 0x80:
            raise ValueError(f"{what} is a byte below 0x80 encoded as a string: not canonical RLP")
        return is_list, start, start + length


def build_batch(rpc: RpcClient, chain_id: int, first_block: int, last_block: int) -> Batch:
    """The batch of ``chain_id`` for ``first_block..last_block``, as the node has it."""
    head = rpc.call("eth_getBlockByNumber", hex(last_block), False)
    if head is None:
        raise ValueError(f"chain {chain_id} has no block {last_block}")
    blocks = _blocks(rpc, first_block, last_block)
    if blocks[-1]["hash"] != head["hash"]:
        raise ValueError(f"chain {chain_id} changed its block {last_block} while the batch was read")
    return Batch(chain_id, first_block, last_block, bytes.fromhex(head["stateRoot"][2:]),
                 bytes.fromhex(head["hash"][2:]), tuple(bytes.fromhex(b["hash"][2:]) for b in blocks),
                 encode_contents(_contents(rpc, blocks)))
