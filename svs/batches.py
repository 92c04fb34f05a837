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

from svs.hashing import keccak
from svs.rpc import RpcClient

RAW_TX_CHUNK = 256  # requests per HTTP round trip when fetching raw transactions
COMPRESSION_LEVEL = 9


@dataclass(frozen=True)
class Batch:
    """IBatchInbox.Batch."""

    chain_id: int
    first_block: int
    last_block: int
    state_root: bytes
    block_hash: bytes
    data: bytes

    @property
    def data_hash(self) -> bytes:
        return keccak(self.data)

    def as_abi(self) -> tuple:
        return (self.chain_id, self.first_block, self.last_block, self.state_root, self.block_hash, self.data)

    def summary(self) -> dict:
        return {"chainId": self.chain_id, "firstBlock": self.first_block, "lastBlock": self.last_block,
                "stateRoot": "0x" + self.state_root.hex(), "blockHash": "0x" + self.block_hash.hex(),
                "dataBytes": len(self.data)}


def block_contents(rpc: RpcClient, first_block: int, last_block: int) -> list:
    """``[[number, timestamp, [raw tx, ...]], ...]`` of blocks ``first_block..last_block``."""
    blocks = rpc.batch_strict([("eth_getBlockByNumber", [hex(n), False]) for n in range(first_block, last_block + 1)])
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
    """Inverse of encode_contents, with integers as ints; raises ValueError on garbage."""
    try:
        decoded = rlp.decode(zlib.decompress(data))
    except (zlib.error, rlp.exceptions.DecodingError) as err:
        raise ValueError(f"batch data is not zlib-compressed RLP: {err}") from err
    return [[int.from_bytes(n, "big"), int.from_bytes(t, "big"), list(txs)] for n, t, txs in decoded]


def build_batch(rpc: RpcClient, chain_id: int, first_block: int, last_block: int) -> Batch:
    """The batch of ``chain_id`` for ``first_block..last_block``, as the node has it."""
    head = rpc.call("eth_getBlockByNumber", hex(last_block), False)
    if head is None:
        raise ValueError(f"chain {chain_id} has no block {last_block}")
    return Batch(chain_id, first_block, last_block, bytes.fromhex(head["stateRoot"][2:]),
                 bytes.fromhex(head["hash"][2:]), encode_contents(block_contents(rpc, first_block, last_block)))
