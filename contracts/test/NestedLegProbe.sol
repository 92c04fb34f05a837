// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMintBurnSystemContract} from "../interfaces/IMintBurnSystemContract.sol";

/// @title NestedLegProbe
/// @notice Test-only action target that starts a further cross-chain transfer from inside an
///         action (a nested leg), which the sequencer must refuse.
contract NestedLegProbe {
    /// @notice Burn tokens this contract holds towards `destinationChainId`.
    /// @param mintBurn           The MintBurn system contract.
    /// @param destinationChainId Where the onward transfer goes.
    /// @param recipient          Its recipient.
    /// @param token              The token.
    /// @param amount             The amount.
    function burnOnward(
        IMintBurnSystemContract mintBurn,
        uint256 destinationChainId,
        address recipient,
        address token,
        uint256 amount
    ) external {
        mintBurn.burn(destinationChainId, recipient, token, amount);
    }
}
