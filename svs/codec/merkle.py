"""Reference implementation of the system contracts' incremental Merkle tree.

Same tree as ``contracts/libraries/IncrementalMerkleTree.sol``: depth 32, keccak256 over
``left ++ right``, empty leaves are zero, and a tree with no leaves has root 0 (the storage slot
was never written). Unlike the contract, this keeps every leaf, so it can produce inclusion proofs
(the building block for L1 exits) and check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import keccak

DEPTH = 32
CAPACITY = 1 << DEPTH
ZERO = b"\x00" * 32


def hash_pair(left: bytes, right: bytes) -> bytes:
    """keccak256(left ++ right)."""
    return keccak(left + right)


def _zero_hashes() -> list[bytes]:
    zeros = [ZERO]
    for _ in range(DEPTH):
        zeros.append(hash_pair(zeros[-1], zeros[-1]))
    return zeros


ZERO_HASHES: list[bytes] = _zero_hashes()
"""ZERO_HASHES[h] is the hash of an empty subtree of height h (0 <= h <= 32)."""

GENESIS_LEAF = keccak(b"shared-validity-sequencer.genesis-leaf")
"""Leaf 0 of every system-contract tree (CounterpartTrees.GENESIS_LEAF), so nonces start at 1."""


@dataclass
class MerkleTree:
    """An append-only depth-32 tree that remembers its leaves."""

    leaves: list[bytes] = field(default_factory=list)

    @classmethod
    def seeded(cls, leaves: list[bytes] = ()) -> "MerkleTree":
        """A system-contract tree: the genesis leaf, then ``leaves``."""
        return cls([GENESIS_LEAF, *leaves])

    @property
    def count(self) -> int:
        return len(self.leaves)

    def append(self, leaf: bytes) -> int:
        """Append ``leaf`` (32 bytes); return its index."""
        if len(leaf) != 32:
            raise ValueError(f"a leaf is 32 bytes, got {len(leaf)}")
        if self.count >= CAPACITY:
            raise OverflowError("the tree is full (2**32 leaves)")
        self.leaves.append(leaf)
        return self.count - 1

    def root(self) -> bytes:
        """Root over all leaves; 0 while the tree is empty, as in the contract."""
        if not self.leaves:
            return ZERO
        level = list(self.leaves)
        for height in range(DEPTH):
            if len(level) % 2:
                level.append(ZERO_HASHES[height])
            level = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        return level[0]

    def proof(self, index: int) -> list[bytes]:
        """The 32 sibling hashes of leaf ``index``, from the leaf upwards."""
        if not 0 <= index < self.count:
            raise IndexError(f"no leaf {index} in a tree of {self.count}")
        siblings = []
        level = list(self.leaves)
        position = index
        for height in range(DEPTH):
            if len(level) % 2:
                level.append(ZERO_HASHES[height])
            siblings.append(level[position ^ 1])
            level = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            position >>= 1
        return siblings


def root_from_proof(leaf: bytes, index: int, proof: list[bytes]) -> bytes:
    """The root a proof implies for ``leaf`` at ``index``; compare it with a known root."""
    if len(proof) != DEPTH:
        raise ValueError(f"a proof has {DEPTH} siblings, got {len(proof)}")
    node = leaf
    for height, sibling in enumerate(proof):
        node = hash_pair(sibling, node) if (index >> height) & 1 else hash_pair(node, sibling)
    return node


def verify_inclusion(leaf: bytes, index: int, proof: list[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows ``leaf`` at ``index`` in the tree with ``root``."""
    return root_from_proof(leaf, index, proof) == root
