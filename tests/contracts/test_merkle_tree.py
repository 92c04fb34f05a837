"""The Solidity tree and the Python reference agree (hypothesis differential test)."""

from __future__ import annotations

from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from svs.codec.merkle import DEPTH, ZERO, ZERO_HASHES, MerkleTree, root_from_proof, verify_inclusion

leaf = st.binary(min_size=32, max_size=32)
# Lengths around powers of two are where the branch bookkeeping changes level.
boundary_length = st.sampled_from([1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129])
length = st.one_of(boundary_length, st.integers(min_value=1, max_value=140))


@given(data=st.data(), n=length)
def test_solidity_root_equals_python_root_after_every_insert(tree_harness, data, n):
    leaves = data.draw(st.lists(leaf, min_size=n, max_size=n))
    solidity_roots = tree_harness.insertAll.call(leaves)
    reference = MerkleTree()
    for i, value in enumerate(leaves):
        reference.append(value)
        assert bytes(solidity_roots[i]) == reference.root(), f"roots differ after leaf {i}"


@given(data=st.data(), n=length)
def test_python_proofs_verify_in_python_and_solidity(tree_harness, data, n):
    leaves = data.draw(st.lists(leaf, min_size=n, max_size=n))
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    reference = MerkleTree(list(leaves))
    root = bytes(tree_harness.insertAll.call(leaves)[-1])
    proof = reference.proof(index)
    assert verify_inclusion(leaves[index], index, proof, root)
    assert bytes(tree_harness.rootFromProof(leaves[index], index, proof)) == root
    # A different leaf does not verify, nor the same leaf at the sibling's index (unless the leaf
    # equals its sibling, when both orders hash alike).
    tampered = bytes([leaves[index][0] ^ 1]) + leaves[index][1:]
    assert not verify_inclusion(tampered, index, proof, root)
    assert bytes(tree_harness.rootFromProof(tampered, index, proof)) != root
    if proof[0] != leaves[index]:
        assert root_from_proof(leaves[index], index ^ 1, proof) != root


def test_stored_root_and_count_follow_inserts(tree_harness, owner):
    assert tree_harness.state() == (ZERO, 0)  # empty tree: root slot never written
    reference = MerkleTree()
    for i in range(5):
        value = bytes([i + 1]) * 32
        tree_harness.insert(value, sender=owner)
        reference.append(value)
        root, count = tree_harness.state()
        assert (bytes(root), count) == (reference.root(), i + 1)


def test_zero_hashes_match(tree_harness):
    for height in (0, 1, 2, 16, DEPTH):
        assert bytes(tree_harness.zeroHash(height)) == ZERO_HASHES[height]


def test_single_leaf_root_is_leaf_hashed_with_zero_subtrees():
    value = b"\x11" * 32
    tree = MerkleTree([value])
    node = value
    for height in range(DEPTH):
        node = keccak(node + ZERO_HASHES[height])
    assert tree.root() == node
