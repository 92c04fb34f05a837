// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGeneralSystemContract} from "../interfaces/IGeneralSystemContract.sol";

/// @title CrossChainCounter
/// @notice Example action target: counts increments that arrive as cross-chain actions and
///         remembers who sent the last one from where. Used by the demo and the tests.
contract CrossChainCounter {
    /// @notice An action from `sender` on `sourceChainId` added `by`; the count is now `count`.
    /// @param sourceChainId Rollup of the trigger.
    /// @param sender        Caller of `trigger` there.
    /// @param by            Amount added.
    /// @param count         Count after the increment.
    event Incremented(uint256 indexed sourceChainId, address indexed sender, uint256 by, uint256 count);

    /// @dev The caller is not the General system contract.
    error CrossChainCounterNotGeneral(address caller);

    /// @dev The increment asked for is zero (the demo's failing action).
    error CrossChainCounterZeroIncrement();

    IGeneralSystemContract private immutable _GENERAL;

    /// @notice Sum of all increments.
    uint256 public count;
    /// @notice Source-chain sender of the last increment.
    address public lastSender;
    /// @notice Source rollup of the last increment.
    uint256 public lastSourceChainId;

    /// @param general_ The General system contract on this rollup.
    constructor(IGeneralSystemContract general_) {
        _GENERAL = general_;
    }

    /// @notice Add `by` to the count. Only callable from a cross-chain action.
    /// @param by Amount to add (not zero).
    function increment(uint256 by) external {
        if (msg.sender != address(_GENERAL)) revert CrossChainCounterNotGeneral(msg.sender);
        if (by == 0) revert CrossChainCounterZeroIncrement();
        address sender = _GENERAL.messageSender();
        uint256 source = _GENERAL.messageSourceChainId();
        count += by;
        lastSender = sender;
        lastSourceChainId = source;
        emit Incremented(source, sender, by, count);
    }
}
