"""Damage for Merkle-Patricia proofs, shared by the inbox's proof fuzz and the trie's
differential test."""

from __future__ import annotations

import rlp
from hypothesis import strategies as st


def damage_nodes(nodes: list[bytes], data) -> list[bytes]:
    """One Merkle-Patricia proof node of ``nodes`` damaged one way, drawn from ``data``
    (hypothesis ``st.data()``): the bytes, the list, or well-formed RLP with other content."""
    nodes = list(nodes)
    kind = data.draw(st.sampled_from(["flip", "truncate", "extend", "replace", "drop", "duplicate", "insert",
                                      "reencode", "empty"]), label="mutation")
    i = data.draw(st.integers(0, len(nodes) - 1), label="node")
    node = nodes[i]
    if kind == "flip":
        at = data.draw(st.integers(0, len(node) - 1), label="byte")
        nodes[i] = node[:at] + bytes([node[at] ^ data.draw(st.integers(1, 255), label="xor")]) + node[at + 1:]
    elif kind == "truncate":
        nodes[i] = node[:data.draw(st.integers(0, len(node) - 1), label="length")]
    elif kind == "extend":
        nodes[i] = node + data.draw(st.binary(min_size=1, max_size=64), label="tail")
    elif kind == "replace":
        nodes[i] = data.draw(st.binary(min_size=0, max_size=600).filter(lambda x: x != node), label="bytes")
    elif kind == "drop":
        del nodes[i]
    elif kind == "duplicate":
        nodes.insert(i, node)
    elif kind == "insert":
        nodes.insert(i, data.draw(st.binary(min_size=1, max_size=600), label="inserted"))
    elif kind == "reencode":  # well-formed RLP, wrong content: the node's items, one of them altered
        items = rlp.decode(node)
        j = data.draw(st.integers(0, len(items) - 1), label="item")
        items[j] = data.draw(st.binary(max_size=40).filter(lambda x: x != items[j]), label="item bytes")
        nodes[i] = rlp.encode(items)
    else:
        nodes[i] = b""
    return nodes
