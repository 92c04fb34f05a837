"""Block headers as RLP, rebuilt from ``eth_getBlockByNumber``, for the L1 header challenge.

The fields are Ethereum's, in order; the fork decides how many trail (London adds the base fee,
Shanghai the withdrawals root, Cancun the blob fields and beacon root, Prague the requests hash).
A field is present when the node returns it. ``header_rlp`` checks that the encoding hashes to
the block's hash, so a node whose header format this does not know gives a clear error rather
than a useless proof.
"""

from __future__ import annotations

import rlp

from svs.codec.hashing import keccak
from svs.errors import SvsError

# (JSON field, kind): "hash" and "address" and "bloom" and "bytes" are byte strings, "int" integers.
HEADER_FIELDS = (
    ("parentHash", "bytes"), ("sha3Uncles", "bytes"), ("miner", "bytes"), ("stateRoot", "bytes"),
    ("transactionsRoot", "bytes"), ("receiptsRoot", "bytes"), ("logsBloom", "bytes"), ("difficulty", "int"),
    ("number", "int"), ("gasLimit", "int"), ("gasUsed", "int"), ("timestamp", "int"), ("extraData", "bytes"),
    ("mixHash", "bytes"), ("nonce", "bytes"),
)
OPTIONAL_FIELDS = (  # in fork order: each needs all before it
    ("baseFeePerGas", "int"), ("withdrawalsRoot", "bytes"), ("blobGasUsed", "int"), ("excessBlobGas", "int"),
    ("parentBeaconBlockRoot", "bytes"), ("requestsHash", "bytes"),
)


class HeaderError(SvsError, ValueError):
    """The block's header could not be rebuilt so that it hashes to the block hash."""


def header_rlp(block: dict) -> bytes:
    """The RLP header of ``block`` (an ``eth_getBlockByNumber`` result)."""
    fields = [_value(block[name], kind) for name, kind in HEADER_FIELDS]
    for name, kind in OPTIONAL_FIELDS:
        if block.get(name) is None:
            break
        fields.append(_value(block[name], kind))
    encoded = rlp.encode(fields)
    if "0x" + keccak(encoded).hex() != block["hash"].lower():
        raise HeaderError(f"block {int(block['number'], 16)}: the rebuilt header does not hash to {block['hash']} "
                          f"({len(fields)} fields); this node's header format is not supported")
    return encoded


def _value(text: str, kind: str) -> int | bytes:
    return int(text, 16) if kind == "int" else bytes.fromhex(text[2:])
