// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- a range so the 0.8.15 inbox can import it
pragma solidity ^0.8.15;

/// @title IBlobHashes
/// @notice The calling transaction's EIP-4844 blob versioned hashes (see BlobHashes).
interface IBlobHashes {
    /// @notice The versioned hashes of blobs `first` to `first + count - 1` of this transaction,
    ///         zero where the transaction has no such blob.
    /// @param first Index of the first blob.
    /// @param count Number of blobs.
    /// @return hashes_ The versioned hashes.
    function hashes(uint256 first, uint256 count) external view returns (bytes32[] memory hashes_);
}
