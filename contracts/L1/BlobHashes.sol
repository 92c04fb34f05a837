// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IBlobHashes} from "../interfaces/IBlobHashes.sol";

/// @title BlobHashes
/// @notice Reads the versioned hashes of the calling transaction's EIP-4844 blobs, for contracts
///         compiled before `blobhash` existed. The inbox is pinned to 0.8.15 by OP's RLP library,
///         whose compiler has neither `blobhash` nor the BLOBHASH opcode in inline assembly.
/// @dev BLOBHASH reads the transaction, not the call frame, so a call from the inbox sees the
///      blobs of the transaction that called the inbox. Stateless: one instance serves any
///      number of inboxes (deployed with CREATE2 at a fixed address).
contract BlobHashes is IBlobHashes {
    /// @inheritdoc IBlobHashes
    /// @dev A position past the transaction's last blob reads as zero (EIP-4844), so a caller
    ///      checks for zero to learn that a blob is missing.
    function hashes(uint256 first, uint256 count) external view returns (bytes32[] memory hashes_) {
        hashes_ = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            hashes_[i] = blobhash(first + i);
        }
    }
}
