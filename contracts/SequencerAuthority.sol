// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ISequencerAuthority} from "./interfaces/ISequencerAuthority.sol";

/// @title SequencerAuthority
/// @notice Holds the sequencer address for a system contract; the owner rotates it.
/// @dev Storage: Ownable's owner in slot 0, the sequencer in slot 1. The system contracts put
///      their trees right after, in slots 2 and 3 (the L1 inbox proves those slots).
abstract contract SequencerAuthority is Ownable, ISequencerAuthority {
    address private _sequencer;

    /// @param owner_     Account allowed to rotate the sequencer.
    /// @param sequencer_ The first sequencer (not zero).
    constructor(address owner_, address sequencer_) Ownable(owner_) {
        _setSequencer(sequencer_);
    }

    /// @dev Reverts with SequencerUnauthorized unless the caller is the sequencer.
    modifier onlySequencer() {
        if (msg.sender != _sequencer) revert SequencerUnauthorized(msg.sender);
        _;
    }

    /// @inheritdoc ISequencerAuthority
    function setSequencer(address newSequencer) external onlyOwner {
        _setSequencer(newSequencer);
    }

    /// @inheritdoc ISequencerAuthority
    function sequencer() external view returns (address sequencer_) {
        sequencer_ = _sequencer;
    }

    /// @dev Validate, store, emit.
    /// @param newSequencer The new sequencer.
    function _setSequencer(address newSequencer) private {
        if (newSequencer == address(0)) revert SequencerZeroAddress();
        address previous = _sequencer;
        _sequencer = newSequencer;
        emit SequencerChanged(previous, newSequencer);
    }
}
