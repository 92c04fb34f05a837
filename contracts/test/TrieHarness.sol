// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- OP's libraries pin 0.8.15 (README, Toolchain)
pragma solidity 0.8.15;

import {SecureMerkleTrie} from "@eth-optimism/contracts-bedrock/src/libraries/trie/SecureMerkleTrie.sol";
import {CalldataTrie} from "../libraries/CalldataTrie.sol";

/// @title TrieHarness
/// @notice Test fixture: the project's CalldataTrie beside OP's audited SecureMerkleTrie, so a
///         differential test can feed both the same proofs.
contract TrieHarness {
    /// @notice CalldataTrie.get on the hashed key.
    /// @param preimage The key before hashing (an address or a slot, 32 bytes here).
    /// @param proof    The proof nodes.
    /// @param root     The trie root.
    /// @return value_ The value under keccak256(preimage).
    function ours(bytes calldata preimage, bytes[] calldata proof, bytes32 root)
        external
        pure
        returns (bytes memory value_)
    {
        value_ = CalldataTrie.get(keccak256(preimage), proof, root);
    }

    /// @notice OP's SecureMerkleTrie.get (it hashes the key itself).
    /// @param preimage The key before hashing.
    /// @param proof    The proof nodes.
    /// @param root     The trie root.
    /// @return value_ The value under keccak256(preimage).
    function op(bytes calldata preimage, bytes[] calldata proof, bytes32 root)
        external
        pure
        returns (bytes memory value_)
    {
        value_ = SecureMerkleTrie.get(preimage, proof, root);
    }
}
