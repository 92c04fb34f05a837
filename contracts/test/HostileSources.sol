// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IGeneralSystemContract} from "../interfaces/IGeneralSystemContract.sol";
import {IMintBurnSystemContract} from "../interfaces/IMintBurnSystemContract.sol";

/// @title HostileSources
/// @notice Test-only user contract that starts cross-chain legs the way dApps do (from a
///         contract, several per transaction) and the ways an attacker would (legs that depend
///         on block fields or on state other transactions change, gas burners).
contract HostileSources {
    /// @notice The General system contract on this rollup.
    IGeneralSystemContract public immutable GENERAL;
    /// @notice The MintBurn system contract on this rollup.
    IMintBurnSystemContract public immutable MINT_BURN;
    /// @notice A switch any transaction may flip; `triggerOnFlag` reads it.
    bool public flag;

    /// @param general_  The General system contract.
    /// @param mintBurn_ The MintBurn system contract.
    constructor(IGeneralSystemContract general_, IMintBurnSystemContract mintBurn_) {
        GENERAL = general_;
        MINT_BURN = mintBurn_;
    }

    /// @notice Several triggers in one transaction, one leg each.
    /// @param destination The destination rollup.
    /// @param target      The action target on the destination.
    /// @param data        One calldata per leg.
    /// @param gasLimit    Gas limit of every action.
    function triggerMany(uint256 destination, address target, bytes[] calldata data, uint256 gasLimit) external {
        for (uint256 i = 0; i < data.length; ++i) {
            GENERAL.trigger(destination, target, data[i], gasLimit);
        }
    }

    /// @notice A trigger of `increment(1 + block.basefee % 1000)`: its leg depends on the base fee.
    /// @param destination The destination rollup.
    /// @param counter     The CrossChainCounter on the destination.
    function triggerOnBaseFee(uint256 destination, address counter) external {
        GENERAL.trigger(destination, counter, abi.encodeWithSignature("increment(uint256)", 1 + block.basefee % 1000), 100_000);
    }

    /// @notice A trigger of `increment(prevrandao % 2)`: its action fails for half the blocks,
    ///         which a simulation that does not know the block's prevrandao cannot tell.
    /// @param destination The destination rollup.
    /// @param counter     The CrossChainCounter on the destination.
    function triggerOnRandao(uint256 destination, address counter) external {
        GENERAL.trigger(destination, counter, abi.encodeWithSignature("increment(uint256)", block.prevrandao % 2), 100_000);
    }

    /// @notice Flip `flag`.
    /// @param value The new value.
    function setFlag(bool value) external {
        flag = value;
    }

    /// @notice A trigger whose action fails when `flag` is set: the leg depends on state another
    ///         transaction of the same block may change.
    /// @param destination The destination rollup.
    /// @param counter     The CrossChainCounter on the destination.
    function triggerOnFlag(uint256 destination, address counter) external {
        GENERAL.trigger(destination, counter, abi.encodeWithSignature("increment(uint256)", flag ? 0 : 1), 100_000);
    }

    /// @notice Bridge tokens for the caller, as a dApp would: pull them, then burn towards `destination`.
    /// @param destination The destination rollup.
    /// @param recipient   The recipient there.
    /// @param token       The ERC-7802 token (approved to this contract).
    /// @param amount      The amount.
    function bridge(uint256 destination, address recipient, address token, uint256 amount) external {
        IERC20(token).transferFrom(msg.sender, address(this), amount);
        MINT_BURN.burn(destination, recipient, token, amount);
    }

    /// @notice Use gas: `rounds` fresh storage writes (~22k gas each; slots keyed by caller and
    ///         block, so every filler of a block pays for fresh slots): a block filler.
    /// @param rounds Writes to make.
    function burnGas(uint256 rounds) external {
        for (uint256 i = 0; i < rounds; ++i) {
            assembly {
                sstore(add(shl(96, caller()), add(shl(64, number()), i)), gas())
            }
        }
    }
}
