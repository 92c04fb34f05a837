// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LegSimulator
/// @notice Simulation-only code, never deployed. The sequencer places it at its own address with an
///         `eth_simulateV1` state override and calls it once per destination rollup with every
///         destination leg of the tick, so that one simulated call judges every leg.
/// @dev Legs from one source form a stream with consecutive nonces: in a real block, once a leg
///      fails, every later leg of its stream fails on its nonce alone, and the sequencer would
///      learn the failures one execution at a time. Here each leg is sent with the nonce its tree
///      expects at that moment, i.e. as if every failed leg before it had been dropped, which is
///      what the sequencer does next. Running at the sequencer's address, the calls pass the
///      system contracts' `onlySequencer` check.
contract LegSimulator {
    /// @notice One destination leg as the sequencer would send it.
    /// @param system        The system contract the leg calls (MintBurn or General).
    /// @param countSelector Selector of the view that returns the inbound tree's count for a
    ///                      source (`mintCount(uint256)` or `actionCount(uint256)`).
    /// @param gas           Gas for the call (the leg transaction's gas limit).
    /// @param data          Calldata of `mint` or `action`; both take (sourceChainId, nonce, ...),
    ///                      so the nonce is the second word after the selector and is rewritten.
    struct Leg {
        address system;
        bytes4 countSelector;
        uint256 gas;
        bytes data;
    }

    /// @notice The outcome of one leg.
    /// @param success Whether the call returned (the leaf was appended).
    /// @param gasUsed Gas the call used, measured around it.
    struct Outcome {
        bool success;
        uint256 gasUsed;
    }

    /// @dev Byte offset of the nonce word in a leg's calldata, past the length word of `bytes`.
    uint256 private constant _NONCE_OFFSET = 32 + 4 + 32;

    /// @notice Run every leg in order, each with the nonce its tree expects at that moment.
    /// @param legs The destination legs of one rollup, in block order.
    /// @return outcomes_ One outcome per leg, in the same order.
    function simulate(Leg[] calldata legs) external returns (Outcome[] memory outcomes_) {
        outcomes_ = new Outcome[](legs.length);
        for (uint256 i = 0; i < legs.length; ++i) {
            Leg calldata leg = legs[i];
            bytes memory data = leg.data;
            uint256 source;
            // slither-disable-next-line assembly -- reads and rewrites words of the leg's calldata copy
            assembly {
                source := mload(add(data, 36))
            }
            // slither-disable-next-line low-level-calls,calls-loop -- simulation-only: one view call per leg
            (bool read, bytes memory count) = leg.system.staticcall(abi.encodeWithSelector(leg.countSelector, source));
            if (!read || count.length != 32) continue;
            uint256 expected = abi.decode(count, (uint256));
            assembly {
                mstore(add(data, _NONCE_OFFSET), expected)
            }
            uint256 before = gasleft();
            // slither-disable-next-line calls-loop,return-bomb -- simulation-only; our own system contracts
            (bool success,) = leg.system.call{gas: leg.gas}(data);
            outcomes_[i] = Outcome(success, before - gasleft());
        }
    }
}
