// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC7802} from "@openzeppelin/contracts/interfaces/draft-IERC7802.sol";
import {IMintBurnSystemContract} from "../interfaces/IMintBurnSystemContract.sol";

/// @title ReenteringToken
/// @notice Test-only: an ERC-7802 token whose `crosschainBurn` calls `MintBurn.burn` again (with
///         itself as the token), so one burn emits two legs from inside each other.
contract ReenteringToken is IERC7802 {
    /// @dev The system contract to re-enter.
    IMintBurnSystemContract private immutable _MINT_BURN;
    /// @dev The destination the next `crosschainBurn` burns towards again; 0 once it has.
    uint256 private _again;

    /// @param mintBurn_ The MintBurn system contract of this rollup.
    constructor(IMintBurnSystemContract mintBurn_) {
        _MINT_BURN = mintBurn_;
    }

    /// @notice Burn `amount` towards `destination`; the token burns once more from inside.
    /// @param destination The destination rollup.
    /// @param recipient   The recipient of both legs.
    /// @param amount      The amount of each leg.
    function bridgeTwice(uint256 destination, address recipient, uint256 amount) external {
        _again = destination;
        // slither-disable-next-line unused-return -- test fixture
        _MINT_BURN.burn(destination, recipient, address(this), amount);
    }

    /// @inheritdoc IERC7802
    function crosschainBurn(address, uint256 amount) external {
        uint256 destination = _again;
        if (destination == 0) return;
        _again = 0;
        // slither-disable-next-line unused-return -- test fixture
        _MINT_BURN.burn(destination, address(this), address(this), amount);
    }

    /// @inheritdoc IERC7802
    function crosschainMint(address, uint256) external {}

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool supported_) {
        supported_ = interfaceId == type(IERC7802).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}
