// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IncrementalMerkleTree} from "../libraries/IncrementalMerkleTree.sol";

/// @title MerkleTreeHarness
/// @notice Test-only: exposes IncrementalMerkleTree so Python can compare roots and proofs.
contract MerkleTreeHarness {
    using IncrementalMerkleTree for IncrementalMerkleTree.Tree;

    IncrementalMerkleTree.Tree private _tree;

    /// @notice Append each leaf in turn and return the root after each append.
    /// @param leaves Leaves to append.
    /// @return roots_ roots_[i] is the root after leaves[0..i].
    function insertAll(bytes32[] calldata leaves) external returns (bytes32[] memory roots_) {
        roots_ = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            (, roots_[i]) = _tree.insert(leaves[i]);
        }
    }

    /// @notice Append one leaf (to measure the gas of a single insert).
    /// @param leaf The leaf.
    function insert(bytes32 leaf) external {
        _tree.insert(leaf);
    }

    /// @notice Stored root and count.
    /// @return root_  Current root.
    /// @return count_ Current count.
    function state() external view returns (bytes32 root_, uint256 count_) {
        root_ = _tree.root;
        count_ = _tree.count;
    }

    /// @notice IncrementalMerkleTree.rootFromProof.
    /// @param leaf  Leaf.
    /// @param index Its index.
    /// @param proof Its 32 siblings.
    /// @return root_ Implied root.
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[32] calldata proof)
        external
        pure
        returns (bytes32 root_)
    {
        root_ = IncrementalMerkleTree.rootFromProof(leaf, index, proof);
    }

    /// @notice IncrementalMerkleTree.zeroHash.
    /// @param height Subtree height.
    /// @return zero_ Hash of an empty subtree of that height.
    function zeroHash(uint256 height) external pure returns (bytes32 zero_) {
        zero_ = IncrementalMerkleTree.zeroHash(height);
    }
}
