// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC7802} from "@openzeppelin/contracts/interfaces/draft-IERC7802.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMintBurnSystemContract} from "./interfaces/IMintBurnSystemContract.sol";
import {CounterpartTrees} from "./CounterpartTrees.sol";

/// @title MintBurnSystemContract
/// @notice See IMintBurnSystemContract. One copy per rollup, at the same address on each.
/// @dev Burn trees are the outbound trees of CounterpartTrees (slot 2, keyed by destination),
///      mint trees the inbound ones (slot 3, keyed by source); the roots commitment is slot 4.
///      The nonce of a leg is its tree's count, so no nonce is stored; leaf 0 is the genesis
///      leaf, so nonces start at 1.
contract MintBurnSystemContract is CounterpartTrees, ReentrancyGuardTransient, IMintBurnSystemContract {

    /// @param owner_          Account allowed to rotate the sequencer.
    /// @param sequencer_      The sequencer, sole caller of `mint`.
    /// @param rollupChainIds_ Every rollup of the shared sequencer (see CounterpartTrees).
    /// @param synchronous_    Bind leg hashes to block heights (see CounterpartTrees).
    /// @param l1ChainId_      L1's chain id (deposits from and exits to L1: its L1Bridge), or 0.
    constructor(
        address owner_,
        address sequencer_,
        uint256[] memory rollupChainIds_,
        bool synchronous_,
        uint256 l1ChainId_
    ) CounterpartTrees(owner_, sequencer_, rollupChainIds_, synchronous_, l1ChainId_) {}

    /// @inheritdoc IMintBurnSystemContract
    function burn(uint256 destinationChainId, address recipient, address token, uint256 amount)
        external
        nonReentrant
        returns (bytes32 legHash_)
    {
        _validateTransfer(destinationChainId, recipient, amount);
        if (!ERC165Checker.supportsERC165InterfaceUnchecked(token, type(IERC7802).interfaceId)) {
            revert MintBurnUnsupportedToken(token);
        }

        uint256 nonce = _outboundTrees[destinationChainId].count;
        legHash_ =
            _legHash(block.chainid, destinationChainId, nonce, _legHeight(destinationChainId), msg.sender, recipient, token, amount);

        _append(true, destinationChainId, legHash_); // before the token call: a failed burn reverts it
        // slither-disable-next-line reentrancy-events -- the event's values are fixed before the call, and nonReentrant keeps a token from burning again in between
        IERC7802(token).crosschainBurn(msg.sender, amount);

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
        uint256 expected = _inboundTrees[sourceChainId].count;
        if (nonce != expected) revert MintBurnUnexpectedNonce(sourceChainId, expected, nonce);

        legHash_ = _legHash(sourceChainId, block.chainid, nonce, _legHeight(sourceChainId), sender, recipient, token, amount);

        _append(false, sourceChainId, legHash_); // before the token call: a failed mint reverts it
        // slither-disable-next-line reentrancy-events -- onlySequencer: a token cannot re-enter mint
        IERC7802(token).crosschainMint(recipient, amount);

        emit MintLeg(sourceChainId, nonce, recipient, sender, token, amount, legHash_);
    }

    /// @inheritdoc IMintBurnSystemContract
    function burnRoot(uint256 destinationChainId) external view returns (bytes32 root_) {
        root_ = _outboundTrees[destinationChainId].root;
    }

    /// @inheritdoc IMintBurnSystemContract
    function burnCount(uint256 destinationChainId) external view returns (uint256 count_) {
        count_ = _outboundTrees[destinationChainId].count;
    }

    /// @inheritdoc IMintBurnSystemContract
    function mintRoot(uint256 sourceChainId) external view returns (bytes32 root_) {
        root_ = _inboundTrees[sourceChainId].root;
    }

    /// @inheritdoc IMintBurnSystemContract
    function mintCount(uint256 sourceChainId) external view returns (uint256 count_) {
        count_ = _inboundTrees[sourceChainId].count;
    }

    /// @inheritdoc IMintBurnSystemContract
    function legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        uint256 height,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) external pure returns (bytes32 legHash_) {
        legHash_ = _legHash(sourceChainId, destinationChainId, nonce, height, sender, recipient, token, amount);
    }

    /// @dev Checks shared by both legs: counterpart chain, recipient and amount.
    /// @param counterpartChainId The other rollup of the pair.
    /// @param recipient          Account credited on the destination.
    /// @param amount             Amount moved.
    function _validateTransfer(uint256 counterpartChainId, address recipient, uint256 amount) private view {
        if (!_isCounterpart(counterpartChainId)) revert MintBurnInvalidCounterpart(counterpartChainId);
        if (recipient == address(0)) revert MintBurnZeroRecipient();
        if (amount == 0) revert MintBurnZeroAmount();
    }

    /// @dev keccak256(abi.encode(...)) of the eight leg fields; see IMintBurnSystemContract.
    function _legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        uint256 height,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(sourceChainId, destinationChainId, nonce, height, sender, recipient, token, amount));
    }
}
