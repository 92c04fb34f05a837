// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IncrementalMerkleTree} from "./libraries/IncrementalMerkleTree.sol";
import {SequencerAuthority} from "./SequencerAuthority.sol";

/// @title CounterpartTrees
/// @notice The pair of Merkle trees a system contract keeps for every other rollup (an outbound
///         tree of the legs it sent there, an inbound tree of the legs it received from there),
///         one commitment to all of their roots, and the height every leg is bound to.
/// @dev Storage: SequencerAuthority takes slots 0 and 1; the outbound mapping is slot 2, the
///      inbound mapping slot 3 and the roots commitment slot 4. The L1 inbox proves slot 4 alone
///      with a Merkle-Patricia proof and takes the roots it commits to from calldata, so checking
///      a rollup costs one storage proof per contract whatever the number of rollups.
///
///      The commitment is keccak256 over the roots of every counterpart in rollup order (this
///      chain skipped): outbound root, then inbound root, 32 bytes each. It is rewritten after
///      every leg, which reads the other 2(N-1)-1 roots (cold: 2,100 gas each) and writes one
///      slot (5,000 gas). Counts are not committed to: no leaf is ever zero (the genesis leaf, and
///      keccak256 hashes), so two trees with equal roots hold the same leaves and have equal counts.
///
///      Merkle-Patricia proofs can only show that a slot holds a value, never that it is empty.
///      So the constructor seeds both trees of every counterpart with GENESIS_LEAF: every root,
///      and the commitment, is non-zero from the start, and both sides of a pair start equal. A
///      leg's nonce is its leaf index, so the first real leg has nonce 1. A chain id whose trees
///      were never seeded is not a counterpart, and no leg may name it.
///
///      Height binding: in a synchronous deployment (every rollup's blocks built together by the
///      shared sequencer, all rollups at the same height) each leg hash includes `block.number`,
///      so a destination leg executed at another height than its source leaves the pair's roots
///      different forever. An asynchronous deployment (attach mode on public testnets, where
///      heights cannot match) hashes height 0.
abstract contract CounterpartTrees is SequencerAuthority {
    using IncrementalMerkleTree for IncrementalMerkleTree.Tree;

    /// @notice Leaf 0 of every tree: keccak256("shared-validity-sequencer.genesis-leaf").
    bytes32 public constant GENESIS_LEAF = keccak256("shared-validity-sequencer.genesis-leaf");

    /// @notice Most counterparts a system contract can have (so at most 16 rollups).
    uint256 public constant MAX_COUNTERPARTS = 15;

    /// @dev Chain ids are packed four to a word (64 bits each) into immutables.
    uint256 private constant _IDS_PER_WORD = 4;

    /// @notice Whether leg hashes bind the leg to its block height (see the contract notes).
    bool public immutable SYNCHRONOUS;

    /// @notice L1's chain id when L1 is a counterpart (deposits and exits), else 0.
    uint256 public immutable L1_CHAIN_ID;

    uint256 private immutable _COUNTERPART_COUNT;
    uint256 private immutable _COUNTERPARTS_0;
    uint256 private immutable _COUNTERPARTS_1;
    uint256 private immutable _COUNTERPARTS_2;
    uint256 private immutable _COUNTERPARTS_3;

    mapping(uint256 counterpartChainId => IncrementalMerkleTree.Tree) internal _outboundTrees;
    mapping(uint256 counterpartChainId => IncrementalMerkleTree.Tree) internal _inboundTrees;
    bytes32 private _rootsCommitment;

    /// @dev `chainId` is 0, above 64 bits, or appears twice in the rollup list, or the list has
    ///      more than MAX_COUNTERPARTS counterparts.
    error TreesInvalidRollupList(uint256 chainId);

    /// @param owner_          Account allowed to rotate the sequencer.
    /// @param sequencer_      The sequencer.
    /// @param rollupChainIds_ Every rollup of the shared sequencer, this one included, in the same
    ///                        order on every rollup (so the init code, and with it the CREATE2
    ///                        address, is the same everywhere) and on the L1 inbox. This chain's
    ///                        own id is skipped.
    /// @param synchronous_    Bind leg hashes to block heights (see the contract notes).
    /// @param l1ChainId_      L1's chain id to make L1 the last counterpart, or 0 for none.
    constructor(
        address owner_,
        address sequencer_,
        uint256[] memory rollupChainIds_,
        bool synchronous_,
        uint256 l1ChainId_
    ) SequencerAuthority(owner_, sequencer_) {
        uint256[_IDS_PER_WORD] memory packed = [uint256(0), 0, 0, 0];
        uint256 count = 0;
        uint256 members = rollupChainIds_.length + (l1ChainId_ == 0 ? 0 : 1);
        for (uint256 i; i < members; ++i) {
            uint256 chainId = i < rollupChainIds_.length ? rollupChainIds_[i] : l1ChainId_;
            if (chainId == block.chainid) continue;
            bool seeded = _outboundTrees[chainId].count != 0; // the immutables are not set yet
            if (chainId == 0 || chainId > type(uint64).max || count == MAX_COUNTERPARTS || seeded) {
                revert TreesInvalidRollupList(chainId);
            }
            packed[count / _IDS_PER_WORD] |= chainId << (64 * (count % _IDS_PER_WORD));
            ++count;
            // slither-disable-start unused-return -- the genesis leaf's index (0) and root are not needed
            _outboundTrees[chainId].insert(GENESIS_LEAF);
            _inboundTrees[chainId].insert(GENESIS_LEAF);
            // slither-disable-end unused-return
        }
        SYNCHRONOUS = synchronous_;
        L1_CHAIN_ID = l1ChainId_;
        _COUNTERPART_COUNT = count;
        (_COUNTERPARTS_0, _COUNTERPARTS_1, _COUNTERPARTS_2, _COUNTERPARTS_3) = (packed[0], packed[1], packed[2], packed[3]);
        _rootsCommitment = _commitment(count, packed);
    }

    /// @notice The commitment to every pair root (slot 4; see the contract notes).
    /// @return commitment_ keccak256 of the roots returned by `roots()`, concatenated.
    function rootsCommitment() external view returns (bytes32 commitment_) {
        commitment_ = _rootsCommitment;
    }

    /// @notice The counterparts in commitment order, with the roots the commitment covers.
    /// @return counterparts_ Every other rollup, in the order of the constructor's list.
    /// @return roots_        For each counterpart: outbound root, then inbound root.
    function roots() external view returns (uint256[] memory counterparts_, bytes32[] memory roots_) {
        uint256 count = _COUNTERPART_COUNT;
        counterparts_ = new uint256[](count);
        roots_ = new bytes32[](2 * count);
        for (uint256 i; i < count; ++i) {
            uint256 chainId = _counterpartAt(i);
            counterparts_[i] = chainId;
            roots_[2 * i] = _outboundTrees[chainId].root;
            roots_[2 * i + 1] = _inboundTrees[chainId].root;
        }
    }

    /// @dev Append `leaf` to the outbound or inbound tree of `counterpart` and rewrite the
    ///      commitment.
    /// @param outbound    True for the outbound tree.
    /// @param counterpart The tree's key (a counterpart: the caller checked it).
    /// @param leaf        The leg hash.
    function _append(bool outbound, uint256 counterpart, bytes32 leaf) internal {
        IncrementalMerkleTree.Tree storage tree = outbound ? _outboundTrees[counterpart] : _inboundTrees[counterpart];
        // slither-disable-next-line unused-return -- the caller read the index (its nonce); the root is stored
        tree.insert(leaf);
        _rootsCommitment =
            _commitment(_COUNTERPART_COUNT, [_COUNTERPARTS_0, _COUNTERPARTS_1, _COUNTERPARTS_2, _COUNTERPARTS_3]);
    }

    /// @dev The height a leg with `counterpart` executed now is bound to: the block number, or 0
    ///      when asynchronous or when the counterpart is L1.
    /// @param counterpart The other chain of the leg.
    /// @return height_ What the leg hash commits to.
    function _legHeight(uint256 counterpart) internal view returns (uint256 height_) {
        height_ = SYNCHRONOUS && counterpart != L1_CHAIN_ID ? block.number : 0;
    }

    /// @dev Whether `chainId` is a configured counterpart (reads immutables only).
    /// @param chainId Chain id to test.
    /// @return known_ True for a counterpart.
    function _isCounterpart(uint256 chainId) internal view returns (bool known_) {
        uint256 count = _COUNTERPART_COUNT;
        for (uint256 i; i < count; ++i) {
            if (_counterpartAt(i) == chainId) return true;
        }
        return false;
    }

    /// @dev The i-th counterpart (i < _COUNTERPART_COUNT).
    /// @param i Position in the commitment order.
    /// @return chainId_ Its chain id.
    function _counterpartAt(uint256 i) private view returns (uint256 chainId_) {
        chainId_ = _unpack([_COUNTERPARTS_0, _COUNTERPARTS_1, _COUNTERPARTS_2, _COUNTERPARTS_3], i);
    }

    /// @dev keccak256 over (outbound root, inbound root) of the first `count` packed counterparts.
    /// @param count  Number of counterparts.
    /// @param packed Their chain ids, four 64-bit ids per word.
    /// @return commitment_ The commitment.
    function _commitment(uint256 count, uint256[_IDS_PER_WORD] memory packed) private view returns (bytes32 commitment_) {
        bytes32[] memory pairRoots = new bytes32[](2 * count);
        for (uint256 i; i < count; ++i) {
            uint256 chainId = _unpack(packed, i);
            pairRoots[2 * i] = _outboundTrees[chainId].root;
            pairRoots[2 * i + 1] = _inboundTrees[chainId].root;
        }
        commitment_ = keccak256(abi.encodePacked(pairRoots));
    }

    /// @dev The i-th 64-bit chain id of `packed`.
    function _unpack(uint256[_IDS_PER_WORD] memory packed, uint256 i) private pure returns (uint256 chainId_) {
        chainId_ = uint64(packed[i / _IDS_PER_WORD] >> (64 * (i % _IDS_PER_WORD)));
    }
}
