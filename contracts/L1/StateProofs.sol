// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- pinned by OP's RLPErrors.sol (README, Toolchain)
pragma solidity 0.8.15;

import {RLPReader} from "@eth-optimism/contracts-bedrock/src/libraries/rlp/RLPReader.sol";
import {CalldataTrie} from "../libraries/CalldataTrie.sol";

/// @title StateProofs
/// @notice Reads an account's storage root and its storage slots out of `eth_getProof` proofs:
///         CalldataTrie walks the proof in calldata, OP's audited RLPReader decodes the value.
/// @dev A proof that does not lead from the root to the key reverts in CalldataTrie (a custom
///      `Trie...` error) or in RLPReader. Those proofs can only show inclusion: a slot
///      that holds zero is absent from the trie and cannot be proven, which is why every slot the
///      inbox reads is non-zero by construction (see CounterpartTrees).
///
///      Gas: RLPReader allocates memory for what it decodes, and EVM memory is paid for
///      quadratically and never freed within a transaction. A batch checks dozens of proofs, so
///      each function here resets the free memory pointer on return: nothing it allocated is
///      referenced afterwards (it returns only stack values).
library StateProofs {
    /// @dev The proven account is not the four-field [nonce, balance, storageRoot, codeHash].
    error StateProofsMalformedAccount(address account);

    /// @dev The proven slot value is longer than 32 bytes.
    error StateProofsMalformedSlotValue(bytes32 slot);

    /// @dev The block header is not an RLP list whose fourth field is a 32-byte state root.
    error StateProofsMalformedHeader();

    /// @dev Index of `stateRoot` in an Ethereum block header: [parentHash, ommersHash,
    ///      beneficiary, stateRoot, ...].
    uint256 private constant _HEADER_STATE_ROOT = 3;

    /// @notice Storage root of `account` under `stateRoot`.
    /// @param stateRoot The state root the proof is checked against.
    /// @param account   The account, whose key is keccak256(account).
    /// @param proof     The account proof (eth_getProof's `accountProof`).
    /// @return storageRoot_ The account's storage root.
    function storageRoot(bytes32 stateRoot, address account, bytes[] calldata proof)
        internal
        pure
        returns (bytes32 storageRoot_)
    {
        uint256 freeMemory = _freeMemoryPointer();
        bytes memory encoded = CalldataTrie.get(keccak256(abi.encodePacked(account)), proof, stateRoot);
        RLPReader.RLPItem[] memory fields = RLPReader.readList(encoded);
        if (fields.length != 4) revert StateProofsMalformedAccount(account);
        bytes memory root = RLPReader.readBytes(fields[2]);
        if (root.length != 32) revert StateProofsMalformedAccount(account);
        storageRoot_ = bytes32(root);
        _resetFreeMemoryPointer(freeMemory);
    }

    /// @notice Value of storage `slot` under an account's `storageRoot_`.
    /// @param storageRoot_ The account's storage root.
    /// @param slot         The slot, whose key is keccak256(slot).
    /// @param proof        The slot's proof (eth_getProof's `storageProof[i].proof`).
    /// @return value_ The slot's value.
    function slotValue(bytes32 storageRoot_, bytes32 slot, bytes[] calldata proof)
        internal
        pure
        returns (uint256 value_)
    {
        uint256 freeMemory = _freeMemoryPointer();
        bytes memory encoded = CalldataTrie.get(keccak256(abi.encodePacked(slot)), proof, storageRoot_);
        bytes memory value = RLPReader.readBytes(encoded);
        if (value.length > 32) revert StateProofsMalformedSlotValue(slot);
        value_ = uint256(bytes32(value)) >> (8 * (32 - value.length));
        _resetFreeMemoryPointer(freeMemory);
    }

    /// @notice The state root field of an RLP-encoded block header (any fork: it is always the
    ///         fourth field).
    /// @param header The RLP-encoded header.
    /// @return stateRoot_ Its state root.
    function headerStateRoot(bytes calldata header) internal pure returns (bytes32 stateRoot_) {
        RLPReader.RLPItem[] memory fields = RLPReader.readList(header);
        if (fields.length <= _HEADER_STATE_ROOT) revert StateProofsMalformedHeader();
        bytes memory root = RLPReader.readBytes(fields[_HEADER_STATE_ROOT]);
        if (root.length != 32) revert StateProofsMalformedHeader();
        stateRoot_ = bytes32(root);
    }

    /// @notice The parent hash field of an RLP-encoded block header (always the first field).
    /// @param header The RLP-encoded header.
    /// @return parentHash_ Its parent's hash.
    function headerParentHash(bytes calldata header) internal pure returns (bytes32 parentHash_) {
        RLPReader.RLPItem[] memory fields = RLPReader.readList(header);
        if (fields.length <= _HEADER_STATE_ROOT) revert StateProofsMalformedHeader();
        bytes memory parent = RLPReader.readBytes(fields[0]);
        if (parent.length != 32) revert StateProofsMalformedHeader();
        parentHash_ = bytes32(parent);
    }

    /// @dev Solidity's free memory pointer.
    function _freeMemoryPointer() private pure returns (uint256 pointer_) {
        // slither-disable-next-line assembly -- reads the free memory pointer, nothing else
        assembly {
            pointer_ := mload(0x40)
        }
    }

    /// @dev Give back the memory allocated since `pointer` was read; only safe when nothing
    ///      allocated since is used again.
    function _resetFreeMemoryPointer(uint256 pointer) private pure {
        // slither-disable-next-line assembly -- gives back scratch memory, as the @dev above says
        assembly {
            mstore(0x40, pointer)
        }
    }
}
