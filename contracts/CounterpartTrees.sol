// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IncrementalMerkleTree} from "./libraries/IncrementalMerkleTree.sol";
import {SequencerAuthority} from "./SequencerAuthority.sol";

/// @title CounterpartTrees
/// @notice The pair of Merkle trees a system contract keeps for every other rollup: an outbound
///         tree of the legs it sent there and an inbound tree of the legs it received from there.
/// @dev Storage: SequencerAuthority takes slots 0 and 1; the outbound mapping is slot 2 and the
///      inbound mapping slot 3. The L1 inbox proves these slots with Merkle-Patricia proofs, and
///      those proofs can only show that a slot holds a value, never that it is empty. So the
///      constructor seeds both trees of every configured counterpart with GENESIS_LEAF: every
///      root and count the inbox reads is non-zero from the start, and both sides of a pair
///      start equal. A leg's nonce is its leaf index, so the first real leg has nonce 1. A chain
///      id whose trees were never seeded is not a counterpart, and no leg may name it.
abstract contract CounterpartTrees is SequencerAuthority {
    using IncrementalMerkleTree for IncrementalMerkleTree.Tree;

    /// @notice Leaf 0 of every tree: keccak256("shared-validity-sequencer.genesis-leaf").
    bytes32 public constant GENESIS_LEAF = keccak256("shared-validity-sequencer.genesis-leaf");

    mapping(uint256 counterpartChainId => IncrementalMerkleTree.Tree) internal _outboundTrees;
    mapping(uint256 counterpartChainId => IncrementalMerkleTree.Tree) internal _inboundTrees;

    /// @dev `chainId` is 0 or appears twice in the rollup list.
    error TreesInvalidRollupList(uint256 chainId);

    /// @param owner_          Account allowed to rotate the sequencer.
    /// @param sequencer_      The sequencer.
    /// @param rollupChainIds_ Every rollup of the shared sequencer, this one included, in the same
    ///                        order on every rollup (so the init code, and with it the CREATE2
    ///                        address, is the same everywhere). This chain's own id is skipped.
    constructor(address owner_, address sequencer_, uint256[] memory rollupChainIds_)
        SequencerAuthority(owner_, sequencer_)
    {
        for (uint256 i; i < rollupChainIds_.length; ++i) {
            uint256 chainId = rollupChainIds_[i];
            if (chainId == block.chainid) continue;
            if (chainId == 0 || _isCounterpart(chainId)) revert TreesInvalidRollupList(chainId);
            // slither-disable-start unused-return -- the genesis leaf's index (0) and root are not needed
            _outboundTrees[chainId].insert(GENESIS_LEAF);
            _inboundTrees[chainId].insert(GENESIS_LEAF);
            // slither-disable-end unused-return
        }
    }

    /// @dev Whether `chainId` was configured as a counterpart (its trees hold the genesis leaf).
    /// @param chainId Chain id to test.
    /// @return known_ True for a counterpart.
    function _isCounterpart(uint256 chainId) internal view returns (bool known_) {
        known_ = _outboundTrees[chainId].count != 0;
    }
}
