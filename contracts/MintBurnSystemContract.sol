// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC7802} from "@openzeppelin/contracts/interfaces/draft-IERC7802.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {IMintBurnSystemContract} from "./interfaces/IMintBurnSystemContract.sol";
import {IncrementalMerkleTree} from "./libraries/IncrementalMerkleTree.sol";
import {SequencerAuthority} from "./SequencerAuthority.sol";

/// @title MintBurnSystemContract
/// @notice See IMintBurnSystemContract. One copy per rollup, at the same address on each.
/// @dev Storage (the L1 inbox proves it): slot 2 maps destination chain id => burn tree, slot 3
///      maps source chain id => mint tree; each tree's root is at keccak256(chainId . slot) and
///      its count one slot after. The nonce of a leg is its tree's count, so no nonce is stored.
contract MintBurnSystemContract is SequencerAuthority, IMintBurnSystemContract {
    using IncrementalMerkleTree for IncrementalMerkleTree.Tree;

    mapping(uint256 destinationChainId => IncrementalMerkleTree.Tree) private _burnTrees;
    mapping(uint256 sourceChainId => IncrementalMerkleTree.Tree) private _mintTrees;

    /// @param owner_     Account allowed to rotate the sequencer.
    /// @param sequencer_ The sequencer, sole caller of `mint`.
    constructor(address owner_, address sequencer_) SequencerAuthority(owner_, sequencer_) {}

    /// @inheritdoc IMintBurnSystemContract
    function burn(uint256 destinationChainId, address recipient, address token, uint256 amount)
        external
        returns (bytes32 legHash_)
    {
        _validateTransfer(destinationChainId, recipient, amount);
        if (!ERC165Checker.supportsERC165InterfaceUnchecked(token, type(IERC7802).interfaceId)) {
            revert MintBurnUnsupportedToken(token);
        }

        IncrementalMerkleTree.Tree storage tree = _burnTrees[destinationChainId];
        uint256 nonce = tree.count;
        legHash_ = _legHash(block.chainid, destinationChainId, nonce, msg.sender, recipient, token, amount);

        IERC7802(token).crosschainBurn(msg.sender, amount);
        tree.insert(legHash_);

        emit BurnLeg(destinationChainId, nonce, msg.sender, recipient, token, amount, legHash_);
    }

    /// @inheritdoc IMintBurnSystemContract
    function mint(
        uint256 sourceChainId,
        uint256 nonce,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) external onlySequencer returns (bytes32 legHash_) {
        _validateTransfer(sourceChainId, recipient, amount);
        IncrementalMerkleTree.Tree storage tree = _mintTrees[sourceChainId];
        uint256 expected = tree.count;
        if (nonce != expected) revert MintBurnUnexpectedNonce(sourceChainId, expected, nonce);

        legHash_ = _legHash(sourceChainId, block.chainid, nonce, sender, recipient, token, amount);

        IERC7802(token).crosschainMint(recipient, amount);
        tree.insert(legHash_);

        emit MintLeg(sourceChainId, nonce, recipient, sender, token, amount, legHash_);
    }

    /// @inheritdoc IMintBurnSystemContract
    function burnRoot(uint256 destinationChainId) external view returns (bytes32 root_) {
        root_ = _burnTrees[destinationChainId].root;
    }

    /// @inheritdoc IMintBurnSystemContract
    function burnCount(uint256 destinationChainId) external view returns (uint256 count_) {
        count_ = _burnTrees[destinationChainId].count;
    }

    /// @inheritdoc IMintBurnSystemContract
    function mintRoot(uint256 sourceChainId) external view returns (bytes32 root_) {
        root_ = _mintTrees[sourceChainId].root;
    }

    /// @inheritdoc IMintBurnSystemContract
    function mintCount(uint256 sourceChainId) external view returns (uint256 count_) {
        count_ = _mintTrees[sourceChainId].count;
    }

    /// @inheritdoc IMintBurnSystemContract
    function legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) external pure returns (bytes32 legHash_) {
        legHash_ = _legHash(sourceChainId, destinationChainId, nonce, sender, recipient, token, amount);
    }

    /// @dev Checks shared by both legs: counterpart chain, recipient and amount.
    /// @param counterpartChainId The other rollup of the pair.
    /// @param recipient          Account credited on the destination.
    /// @param amount             Amount moved.
    function _validateTransfer(uint256 counterpartChainId, address recipient, uint256 amount) private view {
        if (counterpartChainId == 0 || counterpartChainId == block.chainid) {
            revert MintBurnInvalidCounterpart(counterpartChainId);
        }
        if (recipient == address(0)) revert MintBurnZeroRecipient();
        if (amount == 0) revert MintBurnZeroAmount();
    }

    /// @dev keccak256(abi.encode(...)) of the seven leg fields; see IMintBurnSystemContract.
    function _legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(sourceChainId, destinationChainId, nonce, sender, recipient, token, amount));
    }
}
