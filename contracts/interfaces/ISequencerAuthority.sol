// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISequencerAuthority
/// @notice The one account allowed to execute destination legs (mints and actions) on a rollup.
///         It is set at deployment; the owner can rotate it.
interface ISequencerAuthority {
    /// @notice The sequencer changed from `previousSequencer` to `newSequencer`.
    /// @param previousSequencer The account that was the sequencer.
    /// @param newSequencer      The account that is the sequencer from now on.
    event SequencerChanged(address indexed previousSequencer, address indexed newSequencer);

    /// @dev `caller` is not the sequencer.
    error SequencerUnauthorized(address caller);

    /// @dev The sequencer cannot be the zero address.
    error SequencerZeroAddress();

    /// @notice The current sequencer.
    /// @return sequencer_ Its address.
    function sequencer() external view returns (address sequencer_);

    /// @notice Rotate the sequencer. Only the owner may call it.
    /// @param newSequencer The new sequencer (not zero).
    function setSequencer(address newSequencer) external;
}
