// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IGeneralSystemContract} from "./interfaces/IGeneralSystemContract.sol";
import {CounterpartTrees} from "./CounterpartTrees.sol";

/// @title GeneralSystemContract
/// @notice See IGeneralSystemContract. One copy per rollup, at the same address on each.
/// @dev Trigger trees are the outbound trees of CounterpartTrees (slot 2, keyed by destination),
///      action trees the inbound ones (slot 3, keyed by source), laid out as in
///      MintBurnSystemContract; nonces start at 1 after the genesis leaf.
///      The running action's sender and source live in transient storage, so they are visible
///      only while `action` runs and cost no storage writes.
contract GeneralSystemContract is CounterpartTrees, ReentrancyGuardTransient, IGeneralSystemContract {

    /// @dev Largest gas limit a trigger may ask for: a destination block must always fit one.
    uint256 private constant _MAX_GAS_LIMIT = 10_000_000;

    /// @dev Gas kept back for the work after the call (first insert into a tree writes three
    ///      fresh slots, ~70k), so a call that returns is never followed by an out-of-gas.
    uint256 private constant _RESERVED_GAS = 100_000;

    /// @dev At most this much of a failed call's revert data is copied: a target that returns
    ///      megabytes cannot make the action run out of gas copying it (return-data bomb).
    uint256 private constant _MAX_REASON_BYTES = 256;

    address private immutable _MINT_BURN;

    address private transient _messageSender;
    uint256 private transient _messageSourceChainId;

    /// @param owner_          Account allowed to rotate the sequencer.
    /// @param sequencer_      The sequencer, sole caller of `action`.
    /// @param mintBurn_       The MintBurn system contract on this rollup, which actions may not call.
    /// @param rollupChainIds_ Every rollup of the shared sequencer (see CounterpartTrees).
    /// @param synchronous_    Bind leg hashes to block heights (see CounterpartTrees).
    constructor(
        address owner_,
        address sequencer_,
        address mintBurn_,
        uint256[] memory rollupChainIds_,
        bool synchronous_
    ) CounterpartTrees(owner_, sequencer_, rollupChainIds_, synchronous_, 0) {
        // slither-disable-next-line missing-zero-check -- svs/deploy.py passes the MintBurn it deploys
        _MINT_BURN = mintBurn_;
    }

    /// @inheritdoc IGeneralSystemContract
    function trigger(uint256 destinationChainId, address target, bytes calldata data, uint256 gasLimit)
        external
        nonReentrant
        returns (bytes32 legHash_)
    {
        _validateCall(destinationChainId, target, gasLimit);

        uint256 nonce = _outboundTrees[destinationChainId].count;
        legHash_ = _legHash(block.chainid, destinationChainId, nonce, _legHeight(destinationChainId), msg.sender, target, gasLimit, data);
        _append(true, destinationChainId, legHash_);

        emit TriggerLeg(destinationChainId, nonce, msg.sender, target, gasLimit, data, legHash_);
    }

    /// @inheritdoc IGeneralSystemContract
    function action(
        uint256 sourceChainId,
        uint256 nonce,
        address sender,
        address target,
        bytes calldata data,
        uint256 gasLimit
    ) external onlySequencer nonReentrant returns (bytes32 legHash_) {
        _validateCall(sourceChainId, target, gasLimit);
        uint256 expected = _inboundTrees[sourceChainId].count;
        if (nonce != expected) revert GeneralUnexpectedNonce(sourceChainId, expected, nonce);
        // EIP-150 forwards at most 63/64 of what is left: demand enough that the target gets
        // all of gasLimit, so the sequencer cannot make a call fail by starving it.
        uint256 required = gasLimit + gasLimit / 63 + _RESERVED_GAS;
        if (gasleft() < required) revert GeneralInsufficientGas(required, gasleft());

        // slither-disable-start write-after-write,missing-zero-check -- transient: set for the call, read
        // by the target through messageSender(), then cleared; sender is relayed as the source leg had it
        _messageSender = sender;
        _messageSourceChainId = sourceChainId;
        bool success = _call(target, data, gasLimit);
        _messageSender = address(0);
        _messageSourceChainId = 0;
        // slither-disable-end write-after-write,missing-zero-check
        if (!success) revert GeneralActionFailed(target, _boundedReturnData());

        legHash_ = _legHash(sourceChainId, block.chainid, nonce, _legHeight(sourceChainId), sender, target, gasLimit, data);
        _append(false, sourceChainId, legHash_);

        emit ActionLeg(sourceChainId, nonce, sender, target, gasLimit, data, legHash_);
    }

    /// @inheritdoc IGeneralSystemContract
    function messageSender() external view returns (address sender_) {
        if (_messageSourceChainId == 0) revert GeneralNotInAction();
        sender_ = _messageSender;
    }

    /// @inheritdoc IGeneralSystemContract
    function messageSourceChainId() external view returns (uint256 chainId_) {
        chainId_ = _messageSourceChainId;
        if (chainId_ == 0) revert GeneralNotInAction();
    }

    /// @inheritdoc IGeneralSystemContract
    function triggerRoot(uint256 destinationChainId) external view returns (bytes32 root_) {
        root_ = _outboundTrees[destinationChainId].root;
    }

    /// @inheritdoc IGeneralSystemContract
    function triggerCount(uint256 destinationChainId) external view returns (uint256 count_) {
        count_ = _outboundTrees[destinationChainId].count;
    }

    /// @inheritdoc IGeneralSystemContract
    function actionRoot(uint256 sourceChainId) external view returns (bytes32 root_) {
        root_ = _inboundTrees[sourceChainId].root;
    }

    /// @inheritdoc IGeneralSystemContract
    function actionCount(uint256 sourceChainId) external view returns (uint256 count_) {
        count_ = _inboundTrees[sourceChainId].count;
    }

    /// @inheritdoc IGeneralSystemContract
    function mintBurn() external view returns (address mintBurn_) {
        mintBurn_ = _MINT_BURN;
    }

    /// @inheritdoc IGeneralSystemContract
    function maxGasLimit() external pure returns (uint256 maxGasLimit_) {
        maxGasLimit_ = _MAX_GAS_LIMIT;
    }

    /// @inheritdoc IGeneralSystemContract
    function legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        uint256 height,
        address sender,
        address target,
        uint256 gasLimit,
        bytes calldata data
    ) external pure returns (bytes32 legHash_) {
        legHash_ = _legHash(sourceChainId, destinationChainId, nonce, height, sender, target, gasLimit, data);
    }

    /// @dev Checks shared by both legs: counterpart chain, target and gas limit.
    /// @param counterpartChainId The other rollup of the pair.
    /// @param target             Contract to call on the destination.
    /// @param gasLimit           Gas for the call.
    function _validateCall(uint256 counterpartChainId, address target, uint256 gasLimit) private view {
        if (!_isCounterpart(counterpartChainId)) revert GeneralInvalidCounterpart(counterpartChainId);
        // System contracts sit at the same address on every rollup, so these checks on the
        // source rollup already hold for the destination.
        if (target == address(0) || target == address(this) || target == _MINT_BURN) {
            revert GeneralForbiddenTarget(target);
        }
        if (gasLimit == 0 || gasLimit > _MAX_GAS_LIMIT) revert GeneralInvalidGasLimit(gasLimit, _MAX_GAS_LIMIT);
    }

    /// @dev Call `target` with exactly `gasLimit` gas and copy no return data.
    /// @param target   Contract to call.
    /// @param data     Calldata.
    /// @param gasLimit Gas for the call.
    /// @return success_ Whether the call succeeded.
    function _call(address target, bytes calldata data, uint256 gasLimit) private returns (bool success_) {
        // slither-disable-next-line assembly -- a call that copies no return data (no return-data bomb)
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, data.offset, data.length)
            success_ := call(gasLimit, target, 0, ptr, data.length, 0, 0)
        }
    }

    /// @dev The last call's return data, cut to _MAX_REASON_BYTES.
    /// @return reason_ The (possibly truncated) revert data.
    function _boundedReturnData() private view returns (bytes memory reason_) {
        uint256 size = _MAX_REASON_BYTES;
        // slither-disable-next-line assembly -- copies at most _MAX_REASON_BYTES of return data
        assembly ("memory-safe") {
            if lt(returndatasize(), size) { size := returndatasize() }
        }
        reason_ = new bytes(size);
        assembly ("memory-safe") {
            returndatacopy(add(reason_, 0x20), 0, size)
        }
    }

    /// @dev keccak256(abi.encode(...)) of the eight leg fields; see IGeneralSystemContract.
    function _legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        uint256 height,
        address sender,
        address target,
        uint256 gasLimit,
        bytes calldata data
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(sourceChainId, destinationChainId, nonce, height, sender, target, gasLimit, data));
    }
}
