// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- a range so the 0.8.15 inbox can read the bridge; the bridge pins 0.8.28
pragma solidity ^0.8.15;

import {IBatchInbox} from "./IBatchInbox.sol";

/// @title IL1Bridge
/// @notice L1 as one more member of the pair set, for the project's token. Deposits: `deposit`
///         burns the L1 token and appends a leg to L1's outbound tree for the rollup; the shared
///         sequencer mints it on the rollup (MintBurn, source = L1), and the inbox refuses, or
///         lets anyone challenge, a batch whose rollup has not served a deposit older than its
///         deposit window. Exits: a rollup burn with destination L1 appends a leg to the rollup's
///         outbound tree for L1; once a batch that holds it is final, anyone finalizes it here
///         with a proof through the inbox, and the L1 token is minted to the recipient once.
/// @dev Legs with L1 on either side hash height 0 (see CounterpartTrees), with the leg layout of
///      IMintBurnSystemContract: keccak256(abi.encode(source, destination, nonce, 0, sender,
///      recipient, token, amount)), where `token` is the token's address on the rollups.
///
///      Accounting: the L1 token is an ERC-7802 token this bridge creates and alone may mint and
///      burn. A deposit burns on L1 and mints on the rollup; an exit burns on the rollup and
///      mints on L1. So the sum of the token's supplies over L1 and every rollup only changes
///      while a leg is in flight: a deposit between its L1 block and its mint, an exit between
///      its burn and its finalization.
interface IL1Bridge {
    /// @notice An exit being finalized: the fields of the rollup's burn leg.
    /// @param rollup    The rollup it was burned on.
    /// @param nonce     Its index in the rollup's outbound tree for L1 (its BurnLeg nonce).
    /// @param sender    Who burned.
    /// @param recipient Who receives the L1 tokens.
    /// @param token     The token's address on the rollups (the BurnLeg's token).
    /// @param amount    The amount.
    struct Exit {
        uint256 rollup;
        uint256 nonce;
        address sender;
        address recipient;
        address token;
        uint256 amount;
    }

    /// @notice Where an exit is proven: an accepted batch, identified by its index and the
    ///         state root it claims for the rollup (so a voided and refilled index is told apart),
    ///         the leaf's Merkle path, and the rollup's commitment to its MintBurn roots. The
    ///         first exit proven against a batch proves the rollup's outbound root for L1 from the
    ///         commitment and the bridge keeps it (`exitRootOf`); later exits of that batch may
    ///         leave `commitment` empty. A strict inbox records the root in the batch where it
    ///         changed (`IBatchInbox.recordedExitRoot`): exits proven against that batch leave
    ///         `commitment` empty from the first.
    struct ExitProof {
        uint256 batchIndex;
        bytes32 stateRoot;
        bytes32[32] path;
        IBatchInbox.CommitmentProof commitment;
    }

    /// @notice `sender` deposited `amount` for `recipient` on `rollup`. Same fields, in the same
    ///         order, as MintBurn's BurnLeg, with L1 as the source.
    event DepositLeg(
        uint256 indexed rollup,
        uint256 indexed nonce,
        address indexed sender,
        address recipient,
        address token,
        uint256 amount,
        bytes32 legHash
    );

    /// @notice The outbound root for L1 of `rollup` under batch `batchIndex` (claiming
    ///         `stateRoot`) was proven from its commitment and kept for later exits.
    event ExitRootProven(uint256 indexed batchIndex, uint256 indexed rollup, bytes32 stateRoot, bytes32 root);

    /// @notice Exit number `nonce` from `rollup` was finalized: `amount` L1 tokens went to
    ///         `recipient`.
    event ExitFinalized(
        uint256 indexed rollup,
        uint256 indexed nonce,
        address indexed recipient,
        address sender,
        address token,
        uint256 amount,
        bytes32 legHash
    );

    /// @dev `rollup` is not one of the inbox's rollups.
    error BridgeUnknownRollup(uint256 rollup);
    /// @dev The recipient is the zero address.
    error BridgeZeroRecipient();
    /// @dev The amount is zero.
    error BridgeZeroAmount();
    /// @dev Only the project's token moves through the bridge (`L1_TOKEN` here, `ROLLUP_TOKEN` in
    ///      legs).
    error BridgeUnsupportedToken(address token);
    /// @dev The bridge was built with an inconsistent configuration.
    error BridgeInvalidConfig();
    /// @dev Exit `nonce` from `rollup` was finalized already.
    error BridgeExitReplayed(uint256 rollup, uint256 nonce);
    /// @dev No batch with this index has ever been accepted.
    error BridgeUnknownBatch(uint256 batchIndex);
    /// @dev The batch was voided by a challenge (its index is gone, or now holds another batch).
    error BridgeBatchVoided(uint256 batchIndex);
    /// @dev The batch is accepted but not final (optimistic mode: its challenge window is open).
    error BridgeBatchNotFinal(uint256 batchIndex);
    /// @dev The Merkle path does not lead from the exit's leaf to the proven root of the rollup's
    ///      outbound tree for L1: the leg was never burned, or the fields or path are wrong.
    error BridgeExitNotProven(uint256 rollup, uint256 nonce, bytes32 legHash);

    /// @notice Burn `amount` L1 tokens from the caller, to be minted to `recipient` on `rollup`
    ///         by the shared sequencer within the inbox's deposit window.
    /// @param rollup    One of the inbox's rollups.
    /// @param recipient Account credited on the rollup (not zero).
    /// @param token     `L1_TOKEN`.
    /// @param amount    Amount (not zero).
    /// @return nonce_   The deposit's index in L1's outbound tree for `rollup`.
    function deposit(uint256 rollup, address recipient, address token, uint256 amount) external returns (uint256 nonce_);

    /// @notice Mint an exit's L1 tokens to its recipient, once, given a proof that its burn leg is
    ///         in the rollup's outbound tree for L1 under a final batch. Anyone may call it.
    /// @param exit  The burn leg's fields.
    /// @param proof The batch, the leaf's path and the rollup's commitment proof.
    function finalizeExit(Exit calldata exit, ExitProof calldata proof) external;

    /// @notice Number of deposits to `rollup` so far (leaf 0 is the genesis leaf: the first
    ///         deposit has nonce 1), the length of L1's outbound tree for it.
    function depositCount(uint256 rollup) external view returns (uint256 count_);

    /// @notice Root of L1's outbound (deposit) tree for `rollup`.
    function depositRoot(uint256 rollup) external view returns (bytes32 root_);

    /// @notice The count L1's deposit tree for `rollup` had when its root was `root`; 0 if it
    ///         never had that root. The inbox's prefix check.
    function depositCountOf(uint256 rollup, bytes32 root) external view returns (uint256 count_);

    /// @notice The L1 block deposit `nonce` to `rollup` was made in; 0 if there is no such
    ///         deposit. The inbox's forced-inclusion check.
    function depositBlock(uint256 rollup, uint256 nonce) external view returns (uint256 block_);

    /// @notice Number of exits from `rollup` finalized so far, plus the genesis leaf.
    function exitCount(uint256 rollup) external view returns (uint256 count_);

    /// @notice Root of L1's inbound tree for `rollup`: finalized exits, in finalization order.
    function exitRoot(uint256 rollup) external view returns (bytes32 root_);

    /// @notice The outbound root for L1 of `rollup` kept for batch `batchIndex` claiming
    ///         `stateRoot`; zero if no exit was proven against it yet.
    function exitRootOf(uint256 batchIndex, uint256 rollup, bytes32 stateRoot) external view returns (bytes32 root_);

    /// @notice Whether exit `nonce` from `rollup` was finalized.
    function exitFinalized(uint256 rollup, uint256 nonce) external view returns (bool finalized_);
}
