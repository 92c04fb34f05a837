// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGeneralSystemContract} from "../interfaces/IGeneralSystemContract.sol";

/// @title ActionProbes
/// @notice Test-only action targets that misbehave in the ways the General system contract must
///         survive: re-entry, huge revert data, burning all gas, reporting the gas it got.
contract ActionProbes {
    /// @notice Gas left at the start of the last `recordGas` call.
    uint256 public gasSeen;

    /// @notice Call `action` on the General contract again from inside an action.
    /// @param general The General system contract.
    function reenterAction(IGeneralSystemContract general) external {
        general.action(1, 0, address(this), address(this), "", 50_000);
    }

    /// @notice Call `trigger` on the General contract from inside an action.
    /// @param general The General system contract.
    function reenterTrigger(IGeneralSystemContract general) external {
        general.trigger(1, address(this), "", 50_000);
    }

    /// @notice Revert with `size` bytes of revert data.
    /// @param size Bytes of revert data.
    function revertWithBomb(uint256 size) external pure {
        assembly {
            revert(0, size)
        }
    }

    /// @notice Loop until out of gas.
    function burnAllGas() external pure {
        while (true) {}
    }

    /// @notice Record the gas available on entry.
    function recordGas() external {
        gasSeen = gasleft();
    }
}
