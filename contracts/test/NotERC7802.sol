// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title NotERC7802
/// @notice Test-only: a plain ERC-20 without ERC-165 or ERC-7802, which burns must refuse.
contract NotERC7802 is ERC20 {
    /// @param holder Receives the initial supply.
    constructor(address holder) ERC20("Plain", "PLN") {
        _mint(holder, 1e24);
    }
}
