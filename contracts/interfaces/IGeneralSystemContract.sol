// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISequencerAuthority} from "./ISequencerAuthority.sol";

/// @title IGeneralSystemContract
/// @notice Atomic cross-rollup calls. A contract or account on the source rollup triggers a call;
///         in the same tick the shared sequencer runs it on the destination rollup as an action,
///         or leaves the trigger out of the block if the action fails.
/// @dev Leg hash: `keccak256(abi.encode(sourceChainId, destinationChainId, nonce, height, sender,
///      target, gasLimit, data))` (height: the block number in a synchronous deployment, 0 in an
///      asynchronous one), appended to the trigger tree of the destination on the source
///      rollup and to the action tree of the source on the destination, each only on success.
///      An honest sequencer keeps `triggerRoot(D)` on S equal to `actionRoot(S)` on D.
///      While an action runs, `messageSender()` and `messageSourceChainId()` tell the target who
///      triggered it and from where; outside an action they revert.
interface IGeneralSystemContract is ISequencerAuthority {
    /// @notice `sender` asked for `target.call{gas: gasLimit}(data)` on `destinationChainId`.
    /// @param destinationChainId Rollup where the action must run.
    /// @param nonce              Index of the leg in the trigger tree for that destination.
    /// @param sender             The caller of `trigger`.
    /// @param target             Contract to call on the destination.
    /// @param gasLimit           Exact gas the call gets.
    /// @param data               Calldata for the call.
    /// @param legHash            The leaf appended to the trigger tree.
    event TriggerLeg(
        uint256 indexed destinationChainId,
        uint256 indexed nonce,
        address indexed sender,
        address target,
        uint256 gasLimit,
        bytes data,
        bytes32 legHash
    );

    /// @notice The sequencer ran trigger number `nonce` from `sourceChainId` and the call succeeded.
    /// @param sourceChainId Rollup of the trigger.
    /// @param nonce         Index of the leg in the action tree for that source.
    /// @param sender        The caller of `trigger` on the source rollup.
    /// @param target        The contract called.
    /// @param gasLimit      Gas the call was given.
    /// @param data          Calldata of the call.
    /// @param legHash       The leaf appended to the action tree (equal to the trigger's).
    event ActionLeg(
        uint256 indexed sourceChainId,
        uint256 indexed nonce,
        address indexed sender,
        address target,
        uint256 gasLimit,
        bytes data,
        bytes32 legHash
    );

    /// @dev The chain id is not a configured counterpart rollup (0, this chain, or unknown).
    error GeneralInvalidCounterpart(uint256 chainId);

    /// @dev `target` is zero, this contract or the MintBurn system contract.
    error GeneralForbiddenTarget(address target);

    /// @dev `gasLimit` is zero or above `maxGasLimit`.
    error GeneralInvalidGasLimit(uint256 gasLimit, uint256 maxGasLimit);

    /// @dev An action from `sourceChainId` carried `actual` where the next nonce is `expected`.
    error GeneralUnexpectedNonce(uint256 sourceChainId, uint256 expected, uint256 actual);

    /// @dev Less gas is left than the call needs (`required`), so the target could be starved.
    error GeneralInsufficientGas(uint256 required, uint256 available);

    /// @dev The call to `target` reverted; `reason` is its revert data, cut to 256 bytes.
    error GeneralActionFailed(address target, bytes reason);

    /// @dev `messageSender` or `messageSourceChainId` was called outside an action.
    error GeneralNotInAction();

    /// @notice Ask for `target.call{gas: gasLimit}(data)` on `destinationChainId` in this tick.
    /// @param destinationChainId Destination rollup (not 0, not this chain).
    /// @param target             Contract to call there (not zero, not a system contract).
    /// @param data               Calldata.
    /// @param gasLimit           Exact gas for the call, 1 to `maxGasLimit()`.
    /// @return legHash_ The leg hash appended to the trigger tree.
    function trigger(uint256 destinationChainId, address target, bytes calldata data, uint256 gasLimit)
        external
        returns (bytes32 legHash_);

    /// @notice Destination leg of a trigger: call `target` with exactly `gasLimit` gas while
    ///         `messageSender()` is `sender`. Only the sequencer may call it, with the next nonce
    ///         from `sourceChainId`. Reverts unless the call succeeds; re-entry into `action` or
    ///         `trigger` from inside the call reverts (ReentrancyGuardReentrantCall).
    /// @param sourceChainId Source rollup (not 0, not this chain).
    /// @param nonce         The trigger's nonce; must equal `actionCount(sourceChainId)`.
    /// @param sender        The caller of `trigger` on the source rollup.
    /// @param target        Contract to call.
    /// @param data          Calldata.
    /// @param gasLimit      Gas for the call.
    /// @return legHash_ The leg hash appended to the action tree.
    function action(
        uint256 sourceChainId,
        uint256 nonce,
        address sender,
        address target,
        bytes calldata data,
        uint256 gasLimit
    ) external returns (bytes32 legHash_);

    /// @notice The source-chain caller of `trigger` for the action now running.
    /// @return sender_ Its address. Reverts with GeneralNotInAction outside an action.
    function messageSender() external view returns (address sender_);

    /// @notice The source rollup of the action now running.
    /// @return chainId_ Its chain id. Reverts with GeneralNotInAction outside an action.
    function messageSourceChainId() external view returns (uint256 chainId_);

    /// @notice Root of the trigger tree for `destinationChainId` (0 while empty).
    /// @param destinationChainId The counterpart rollup.
    /// @return root_ The root.
    function triggerRoot(uint256 destinationChainId) external view returns (bytes32 root_);

    /// @notice Number of triggers to `destinationChainId`, also the next trigger's nonce.
    /// @param destinationChainId The counterpart rollup.
    /// @return count_ The count.
    function triggerCount(uint256 destinationChainId) external view returns (uint256 count_);

    /// @notice Root of the action tree for `sourceChainId` (0 while empty).
    /// @param sourceChainId The counterpart rollup.
    /// @return root_ The root.
    function actionRoot(uint256 sourceChainId) external view returns (bytes32 root_);

    /// @notice Number of actions from `sourceChainId`, also the next expected nonce.
    /// @param sourceChainId The counterpart rollup.
    /// @return count_ The count.
    function actionCount(uint256 sourceChainId) external view returns (uint256 count_);

    /// @notice The MintBurn system contract, which actions may not call.
    /// @return mintBurn_ Its address.
    function mintBurn() external view returns (address mintBurn_);

    /// @notice Largest gas limit a trigger may ask for.
    /// @return maxGasLimit_ The limit.
    function maxGasLimit() external pure returns (uint256 maxGasLimit_);

    /// @notice The leg hash both legs of a call append to their trees.
    /// @param sourceChainId      Rollup of the trigger.
    /// @param destinationChainId Rollup of the action.
    /// @param nonce              Index of the leg for this (source, destination) pair.
    /// @param height             Block number both legs execute in (synchronous), or 0.
    /// @param sender             Caller of `trigger`.
    /// @param target             Contract called.
    /// @param gasLimit           Gas for the call.
    /// @param data               Calldata.
    /// @return legHash_ keccak256 of the ABI encoding of all eight values, in this order.
    function legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        uint256 height,
        address sender,
        address target,
        uint256 gasLimit,
        bytes calldata data
    ) external pure returns (bytes32 legHash_);
}
