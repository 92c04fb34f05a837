// SPDX-License-Identifier: MIT
// Pragma range rather than a pin: the L1 inbox, compiled with 0.8.15 for OP's trie library,
// verifies inclusion proofs with this library too.
// slither-disable-next-line pragma,solc-version -- the range is deliberate (above); each build pins its solc
pragma solidity >=0.8.15 <0.9.0;

/// @title IncrementalMerkleTree
/// @notice Append-only keccak256 Merkle tree of depth 32, after the Ethereum deposit contract.
/// @dev Leaves are hashed pairwise with keccak256(left ++ right). Empty leaves are bytes32(0), so
///      an empty subtree of height h hashes to zeroHash(h), where zeroHash(0) = 0 and
///      zeroHash(h + 1) = keccak256(zeroHash(h) ++ zeroHash(h)).
///
///      The current root is kept in storage (`Tree.root`, the struct's first slot) so that a
///      reader, or a storage proof on L1, needs one slot. A tree with no leaves has root 0 (the
///      slot was never written), not zeroHash(32): both sides of a cross-chain pair start equal.
///
///      An insert hashes 32 times up the path of the new leaf, reads `branch[h]` at each level h
///      where the index has bit h set, and writes three slots: one `branch` entry, the root and
///      the count. `branch[h]` holds the root of the latest complete subtree of height h that is
///      a left child, which is exactly the left sibling any later leaf needs at that height.
library IncrementalMerkleTree {
    /// @notice Height of the tree; it holds 2**32 leaves.
    uint256 internal constant DEPTH = 32;

    /// @notice Number of leaves a tree can hold.
    uint256 internal constant CAPACITY = 1 << DEPTH;

    /// @notice One append-only tree.
    /// @param root    Root over all leaves so far (0 while empty). Slot offset 0.
    /// @param count   Number of leaves so far, which is also the next leaf's index. Offset 1.
    /// @param branch  Left siblings kept for future inserts (see the library notes). Offsets 2-33.
    struct Tree {
        bytes32 root;
        uint256 count;
        bytes32[DEPTH] branch;
    }

    /// @dev The tree already holds CAPACITY leaves.
    error MerkleTreeFull();

    /// @notice Append `leaf` and update the stored root.
    /// @param tree  The tree to append to.
    /// @param leaf  The new leaf.
    /// @return index_ Position of the new leaf (the count before the insert).
    /// @return root_  Root after the insert.
    function insert(Tree storage tree, bytes32 leaf) internal returns (uint256 index_, bytes32 root_) {
        index_ = tree.count;
        if (index_ >= CAPACITY) revert MerkleTreeFull();

        bytes32 node = leaf;
        bytes32 zero = bytes32(0); // zeroHash(h): the right sibling while the index has bit h clear
        bool branchUpdated = false;
        for (uint256 h; h < DEPTH; ++h) {
            if ((index_ >> h) & 1 == 1) {
                node = hashPair(tree.branch[h], node);
            } else {
                // The lowest clear bit marks the height at which the new leaf completes a left
                // subtree: remember it for the leaves that will sit to its right.
                if (!branchUpdated) {
                    tree.branch[h] = node;
                    branchUpdated = true;
                }
                node = hashPair(node, zero);
            }
            zero = hashPair(zero, zero);
        }
        root_ = node;
        tree.root = root_;
        // Cannot overflow: index_ < CAPACITY = 2**32.
        unchecked {
            tree.count = index_ + 1;
        }
    }

    /// @notice Root of a depth-32 tree that holds `leaf` at `index`, given the 32 sibling hashes
    ///         from the leaf upwards. Compare it with a known root to verify inclusion.
    /// @param leaf   The leaf whose inclusion is claimed.
    /// @param index  Its position in the tree.
    /// @param proof  Sibling hashes, proof[0] next to the leaf.
    /// @return node_ The root implied by the proof.
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[DEPTH] memory proof)
        internal
        pure
        returns (bytes32 node_)
    {
        node_ = leaf;
        for (uint256 h; h < DEPTH; ++h) {
            node_ = (index >> h) & 1 == 1 ? hashPair(proof[h], node_) : hashPair(node_, proof[h]);
        }
    }

    /// @notice Hash of an empty subtree of height `height`.
    /// @param height Height of the subtree (0 is a single empty leaf).
    /// @return zero_ zeroHash(height).
    function zeroHash(uint256 height) internal pure returns (bytes32 zero_) {
        for (uint256 h; h < height; ++h) {
            zero_ = hashPair(zero_, zero_);
        }
    }

    /// @notice keccak256(left ++ right), in scratch space.
    /// @param left  Left child.
    /// @param right Right child.
    /// @return parent_ The parent node.
    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 parent_) {
        // slither-disable-next-line assembly -- two words hashed in scratch space, memory-safe
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            parent_ := keccak256(0x00, 0x40)
        }
    }
}
