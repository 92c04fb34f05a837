// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISequencerAuthority} from "./ISequencerAuthority.sol";

/// @title IMintBurnSystemContract
/// @notice Atomic cross-rollup token transfers. One copy lives on every rollup, at the same
///         address. A user burns on the source rollup; in the same tick the shared sequencer
///         mints on the destination rollup, or leaves the burn out of the block.
/// @dev Every successful leg appends its leg hash
///      `keccak256(abi.encode(sourceChainId, destinationChainId, nonce, height, sender, recipient,
///      token, amount))` to a Merkle tree (height: the block number in a synchronous deployment,
///      the same on both rollups since they advance together; 0 in an asynchronous one): burns to the burn tree of their destination, mints to the
///      mint tree of their source. An honest sequencer keeps, for every pair of rollups S and D,
///      `burnRoot(D)` on S equal to `mintRoot(S)` on D, with equal counts. Nonces count per
///      (source, destination) pair: the nonce of a leg is its index in its tree, whose leaf 0 is
///      the genesis leaf (see CounterpartTrees), so the first leg of a pair has nonce 1.
interface IMintBurnSystemContract is ISequencerAuthority {
    /// @notice `sender` burned `amount` of `token` on this chain for `recipient` on
    ///         `destinationChainId`. Carries everything the sequencer needs to build the mint.
    /// @param destinationChainId Rollup where the matching mint must land.
    /// @param nonce              Index of the leg in the burn tree for that destination.
    /// @param sender             Account whose tokens were burned (always msg.sender of `burn`).
    /// @param recipient          Account to mint to on the destination.
    /// @param token              The ERC-7802 token (same address on every rollup).
    /// @param amount             Amount burned.
    /// @param legHash            The leaf appended to the burn tree.
    event BurnLeg(
        uint256 indexed destinationChainId,
        uint256 indexed nonce,
        address indexed sender,
        address recipient,
        address token,
        uint256 amount,
        bytes32 legHash
    );

    /// @notice The sequencer minted `amount` of `token` to `recipient`, the destination leg of
    ///         burn number `nonce` from `sourceChainId`.
    /// @param sourceChainId Rollup where the matching burn happened.
    /// @param nonce         Index of the leg in the mint tree for that source.
    /// @param recipient     Account credited.
    /// @param sender        Account that burned on the source rollup.
    /// @param token         The ERC-7802 token.
    /// @param amount        Amount minted.
    /// @param legHash       The leaf appended to the mint tree (equal to the burn's).
    event MintLeg(
        uint256 indexed sourceChainId,
        uint256 indexed nonce,
        address indexed recipient,
        address sender,
        address token,
        uint256 amount,
        bytes32 legHash
    );

    /// @dev The amount is zero.
    error MintBurnZeroAmount();

    /// @dev The recipient is the zero address.
    error MintBurnZeroRecipient();

    /// @dev The chain id is not a configured counterpart rollup (0, this chain, or unknown).
    error MintBurnInvalidCounterpart(uint256 chainId);

    /// @dev `token` does not report the ERC-7802 interface through ERC-165.
    error MintBurnUnsupportedToken(address token);

    /// @dev A mint from `sourceChainId` carried `actual` where the next nonce is `expected`.
    error MintBurnUnexpectedNonce(uint256 sourceChainId, uint256 expected, uint256 actual);

    /// @notice Burn `amount` of `token` from the caller, to be minted to `recipient` on
    ///         `destinationChainId` in the same tick. Not re-entrant: a token that calls
    ///         `burn` from its `crosschainBurn` makes the outer burn revert, so a leaf's index
    ///         is always the nonce in its hash.
    /// @param destinationChainId Destination rollup (not 0, not this chain).
    /// @param recipient          Account credited on the destination (not zero).
    /// @param token              An ERC-7802 token whose minter and burner is this contract.
    /// @param amount             Amount to move (not zero).
    /// @return legHash_ The leg hash appended to the burn tree.
    function burn(uint256 destinationChainId, address recipient, address token, uint256 amount)
        external
        returns (bytes32 legHash_);

    /// @notice Destination leg of a burn: mint to `recipient`. Only the sequencer may call it,
    ///         and only with the next nonce from `sourceChainId`, so a mint is never replayed
    ///         and never skips one. The token check is left to the burn that this mirrors: a
    ///         token without ERC-7802 makes `crosschainMint` revert.
    /// @param sourceChainId Source rollup (not 0, not this chain).
    /// @param nonce         The burn's nonce; must equal `mintCount(sourceChainId)`.
    /// @param sender        Account that burned on the source rollup.
    /// @param recipient     Account to credit (not zero).
    /// @param token         The ERC-7802 token.
    /// @param amount        Amount to mint (not zero).
    /// @return legHash_ The leg hash appended to the mint tree.
    function mint(
        uint256 sourceChainId,
        uint256 nonce,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) external returns (bytes32 legHash_);

    /// @notice Root of the burn tree for `destinationChainId` (0 while empty).
    /// @param destinationChainId The counterpart rollup.
    /// @return root_ The root.
    function burnRoot(uint256 destinationChainId) external view returns (bytes32 root_);

    /// @notice Number of burns to `destinationChainId`, which is also the next burn's nonce.
    /// @param destinationChainId The counterpart rollup.
    /// @return count_ The count.
    function burnCount(uint256 destinationChainId) external view returns (uint256 count_);

    /// @notice Root of the mint tree for `sourceChainId` (0 while empty).
    /// @param sourceChainId The counterpart rollup.
    /// @return root_ The root.
    function mintRoot(uint256 sourceChainId) external view returns (bytes32 root_);

    /// @notice Number of mints from `sourceChainId`, which is also the next expected nonce.
    /// @param sourceChainId The counterpart rollup.
    /// @return count_ The count.
    function mintCount(uint256 sourceChainId) external view returns (uint256 count_);

    /// @notice The leg hash both legs of a transfer append to their trees.
    /// @param sourceChainId      Rollup of the burn.
    /// @param destinationChainId Rollup of the mint.
    /// @param nonce              Index of the leg for this (source, destination) pair.
    /// @param height             Block number both legs execute in (synchronous), or 0.
    /// @param sender             Account that burned.
    /// @param recipient          Account credited.
    /// @param token              The token.
    /// @param amount             The amount.
    /// @return legHash_ keccak256 of the ABI encoding of all eight values, in this order.
    function legHash(
        uint256 sourceChainId,
        uint256 destinationChainId,
        uint256 nonce,
        uint256 height,
        address sender,
        address recipient,
        address token,
        uint256 amount
    ) external pure returns (bytes32 legHash_);
}
