// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleTree} from "@openzeppelin/contracts/utils/structs/MerkleTree.sol";

/// @title OZMerkleTreeHarness
/// @notice Test-only: OpenZeppelin's audited push tree at depth 32, storing its root like ours,
///         so `ape run gas` can compare the two per insert (README, "Why our own tree").
contract OZMerkleTreeHarness {
    using MerkleTree for MerkleTree.Bytes32PushTree;

    MerkleTree.Bytes32PushTree private _tree;
    /// @notice Root after the last insert (kept in storage, as the system contracts need).
    bytes32 public root;

    /// @notice Set the tree up (depth 32, zero leaves), writing its 32 zero hashes.
    function setup() external {
        root = _tree.setup(32, bytes32(0));
    }

    /// @notice Append one leaf and store the new root.
    /// @param leaf The leaf.
    function insert(bytes32 leaf) external {
        (, root) = _tree.push(leaf);
    }
}
