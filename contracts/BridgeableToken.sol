// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC7802} from "@openzeppelin/contracts/interfaces/draft-IERC7802.sol";

/// @title BridgeableToken
/// @notice An ERC-20 that moves between rollups by ERC-7802 burn and mint, which only the
///         MintBurn system contract may call. The constructor takes no chain-specific value, so
///         the same deployer (or CREATE2 salt) puts it at the same address on every rollup.
/// @dev `initialSupply` is minted to `initialHolder` on every rollup it is deployed to. After
///      that, supply changes only through cross-chain burns and mints, which cancel out across
///      rollups: the sum of supplies over all rollups is constant.
contract BridgeableToken is ERC20, IERC7802 {
    /// @dev `caller` is not the MintBurn system contract.
    error BridgeableTokenUnauthorized(address caller);

    /// @dev The MintBurn system contract cannot be the zero address.
    error BridgeableTokenZeroMintBurn();

    address private immutable _MINT_BURN;

    /// @param name_          ERC-20 name.
    /// @param symbol_        ERC-20 symbol.
    /// @param mintBurn_      The MintBurn system contract, sole caller of crosschainMint/Burn.
    /// @param initialHolder  Receives `initialSupply` on this rollup.
    /// @param initialSupply  Amount minted at deployment.
    constructor(
        string memory name_,
        string memory symbol_,
        address mintBurn_,
        address initialHolder,
        uint256 initialSupply
    ) ERC20(name_, symbol_) {
        if (mintBurn_ == address(0)) revert BridgeableTokenZeroMintBurn();
        _MINT_BURN = mintBurn_;
        _mint(initialHolder, initialSupply);
    }

    /// @dev Reverts with BridgeableTokenUnauthorized unless the caller is the MintBurn contract.
    modifier onlyMintBurn() {
        if (msg.sender != _MINT_BURN) revert BridgeableTokenUnauthorized(msg.sender);
        _;
    }

    /// @inheritdoc IERC7802
    function crosschainMint(address _to, uint256 _amount) external onlyMintBurn {
        _mint(_to, _amount);
        emit CrosschainMint(_to, _amount, msg.sender);
    }

    /// @inheritdoc IERC7802
    function crosschainBurn(address _from, uint256 _amount) external onlyMintBurn {
        _burn(_from, _amount);
        emit CrosschainBurn(_from, _amount, msg.sender);
    }

    /// @notice The MintBurn system contract allowed to mint and burn cross-chain.
    /// @return mintBurn_ Its address.
    function mintBurn() external view returns (address mintBurn_) {
        mintBurn_ = _MINT_BURN;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC7802).interfaceId || interfaceId == type(IERC20).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }
}
