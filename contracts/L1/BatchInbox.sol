// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- pinned by OP's RLPErrors.sol (README, Toolchain)
pragma solidity 0.8.15;

import {IBatchInbox} from "../interfaces/IBatchInbox.sol";
import {IncrementalMerkleTree} from "../libraries/IncrementalMerkleTree.sol";
import {StateProofs} from "./StateProofs.sol";

/// @title BatchInbox
/// @notice See IBatchInbox. Deployed once on L1 for a fixed set of rollups.
/// @dev Both system contracts sit at the same address on every rollup and keep, for each
///      counterpart c, the outbound tree in mapping slot 2 and the inbound tree in mapping slot 3:
///      root at keccak256(abi.encode(c, slot)), count one slot after. The inbox derives every
///      trie key itself from those facts, so a proof for any other account or slot fails.
contract BatchInbox is IBatchInbox {
    /// @dev Mapping slot of the outbound (burn/trigger) trees in both system contracts.
    uint256 private constant _OUTBOUND_SLOT = 2;

    /// @dev Mapping slot of the inbound (mint/action) trees in both system contracts.
    uint256 private constant _INBOUND_SLOT = 3;

    /// @dev Storage proofs per counterpart in a ContractProof: root and count, out and in.
    uint256 private constant _PROOFS_PER_COUNTERPART = 4;

    /// @notice MintBurnSystemContract, at this address on every rollup.
    address public immutable MINT_BURN;

    /// @notice GeneralSystemContract, at this address on every rollup.
    address public immutable GENERAL;

    /// @notice Whether batches are optimistic (bond + challenges) rather than proven on submit.
    bool public immutable OPTIMISTIC;

    /// @notice Optimistic mode: the bond the sequencer must have posted to submit.
    uint256 public immutable BOND_AMOUNT;

    /// @notice Optimistic mode: seconds after acceptance during which a batch can be challenged.
    uint256 public immutable CHALLENGE_WINDOW;

    // slither-disable-start immutable-states -- gas only (read on rotation); keeps the storage layout
    /// @notice May rotate the sequencer.
    address public owner;
    // slither-disable-end immutable-states

    /// @notice The only account that may submit batches.
    address public sequencer;

    /// @notice Optimistic mode: the bond currently posted.
    uint256 public bond;

    uint256[] private _rollups;
    uint256 private _batchCount;
    mapping(uint256 => uint64) private _nextBlock;
    mapping(uint256 => uint256) private _submittedAt;
    mapping(uint256 => mapping(uint256 => RollupRecord)) private _records;

    /// @param owner_           May rotate the sequencer.
    /// @param sequencer_       May submit batches.
    /// @param rollups_         The rollups' chain ids, in submission order (distinct, non-zero).
    /// @param firstBlocks_     Per rollup, the first block of its first batch.
    /// @param mintBurn_        MintBurnSystemContract's address (the same on every rollup).
    /// @param general_         GeneralSystemContract's address (the same on every rollup).
    /// @param optimistic_      Optimistic mode instead of strict.
    /// @param bondAmount_      Optimistic mode: required bond (non-zero); strict mode: 0.
    /// @param challengeWindow_ Optimistic mode: window in seconds (non-zero); strict mode: 0.
    constructor(
        address owner_,
        address sequencer_,
        uint256[] memory rollups_,
        uint64[] memory firstBlocks_,
        address mintBurn_,
        address general_,
        bool optimistic_,
        uint256 bondAmount_,
        uint256 challengeWindow_
    ) {
        if (owner_ == address(0) || sequencer_ == address(0) || mintBurn_ == address(0) || general_ == address(0)) {
            revert InboxInvalidConfig();
        }
        if (rollups_.length < 2 || firstBlocks_.length != rollups_.length) revert InboxInvalidConfig();
        if (optimistic_ != (bondAmount_ != 0) || optimistic_ != (challengeWindow_ != 0)) revert InboxInvalidConfig();
        for (uint256 i; i < rollups_.length; ++i) {
            if (rollups_[i] == 0 || _isRollup(rollups_[i])) revert InboxInvalidConfig();
            _rollups.push(rollups_[i]);
            _nextBlock[rollups_[i]] = firstBlocks_[i];
        }
        owner = owner_;
        sequencer = sequencer_;
        MINT_BURN = mintBurn_;
        GENERAL = general_;
        OPTIMISTIC = optimistic_;
        BOND_AMOUNT = bondAmount_;
        CHALLENGE_WINDOW = challengeWindow_;
        emit SequencerChanged(address(0), sequencer_);
    }

    // ---------------------------------------------------------------------------------------
    // Submitting
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IBatchInbox
    function submitBatches(Batch[] calldata batches, RollupProof[] calldata proofs)
        external
        returns (uint256 batchIndex_)
    {
        if (msg.sender != sequencer) revert InboxUnauthorized(msg.sender);
        uint256 n = _rollups.length;
        if (batches.length != n) revert InboxWrongBatchCount(n, batches.length);
        uint256 expectedProofs = OPTIMISTIC ? 0 : n;
        if (proofs.length != expectedProofs) revert InboxWrongProofCount(expectedProofs, proofs.length);
        if (OPTIMISTIC && bond < BOND_AMOUNT) revert InboxBondTooLow(BOND_AMOUNT, bond);
        for (uint256 i; i < n; ++i) {
            _validateRange(i, batches[i]);
        }
        if (!OPTIMISTIC) _verifyAllPairs(batches, proofs);

        batchIndex_ = _batchCount++;
        _submittedAt[batchIndex_] = block.timestamp;
        for (uint256 i; i < n; ++i) {
            _record(batchIndex_, batches[i]);
        }
    }

    /// @dev The batch is for the i-th rollup and starts where that rollup's last batch ended.
    /// @param i     Position in the submission.
    /// @param batch The batch.
    function _validateRange(uint256 i, Batch calldata batch) private view {
        if (batch.chainId != _rollups[i]) revert InboxWrongRollup(i, _rollups[i], batch.chainId);
        uint64 expected = _nextBlock[batch.chainId];
        if (batch.firstBlock != expected) revert InboxNonContiguous(batch.chainId, expected, batch.firstBlock);
        if (batch.lastBlock < batch.firstBlock) {
            revert InboxEmptyRange(batch.chainId, batch.firstBlock, batch.lastBlock);
        }
    }

    /// @dev Store what is kept of one rollup's batch and advance its next block.
    /// @param batchIndex Index of the accepted batch.
    /// @param batch      The rollup's part of it.
    function _record(uint256 batchIndex, Batch calldata batch) private {
        bytes32 dataHash = keccak256(batch.data);
        _records[batchIndex][batch.chainId] =
            RollupRecord(batch.stateRoot, batch.blockHash, dataHash, batch.firstBlock, batch.lastBlock);
        _nextBlock[batch.chainId] = batch.lastBlock + 1;
        emit BatchAccepted(
            batchIndex, batch.chainId, batch.firstBlock, batch.lastBlock, batch.stateRoot, batch.blockHash, dataHash
        );
    }

    // ---------------------------------------------------------------------------------------
    // Strict mode: proving every pair
    // ---------------------------------------------------------------------------------------

    /// @dev Read every tree of every rollup from the proofs, then compare each ordered pair.
    ///      values[((r * 2 + tree) * n + c) * 4 + k] is rollup r's tree (Transfer or Call) for
    ///      counterpart c, k in (outbound root, outbound count, inbound root, inbound count).
    /// @param batches The batches (for the state roots).
    /// @param proofs  The proofs, one per batch.
    function _verifyAllPairs(Batch[] calldata batches, RollupProof[] calldata proofs) private view {
        uint256 n = batches.length;
        uint256[] memory values = new uint256[](n * 2 * n * _PROOFS_PER_COUNTERPART);
        for (uint256 r; r < n; ++r) {
            _readContract(values, r, Tree.Transfer, batches[r].stateRoot, proofs[r].mintBurn);
            _readContract(values, r, Tree.Call, batches[r].stateRoot, proofs[r].general);
        }
        for (uint256 s; s < n; ++s) {
            for (uint256 d; d < n; ++d) {
                if (s == d) continue;
                _comparePair(values, n, s, d, Tree.Transfer);
                _comparePair(values, n, s, d, Tree.Call);
            }
        }
    }

    /// @dev Prove one system contract's tree slots on rollup r into `values`.
    /// @param values    See _verifyAllPairs.
    /// @param r         Rollup position.
    /// @param tree      Which contract (Transfer: MintBurn, Call: General).
    /// @param stateRoot The rollup's claimed state root.
    /// @param proof     The contract's proofs.
    function _readContract(uint256[] memory values, uint256 r, Tree tree, bytes32 stateRoot, ContractProof calldata proof)
        private
        view
    {
        uint256 n = _rollups.length;
        uint256 expected = (n - 1) * _PROOFS_PER_COUNTERPART;
        if (proof.storageProofs.length != expected) {
            revert InboxWrongStorageProofCount(_rollups[r], expected, proof.storageProofs.length);
        }
        bytes32 storageRoot = StateProofs.storageRoot(stateRoot, _contractOf(tree), proof.accountProof);
        uint256 p = 0;
        for (uint256 c; c < n; ++c) {
            if (c == r) continue;
            uint256 base = ((r * 2 + uint256(tree)) * n + c) * _PROOFS_PER_COUNTERPART;
            (bytes32 outRoot, bytes32 inRoot) = (_treeSlot(_rollups[c], _OUTBOUND_SLOT), _treeSlot(_rollups[c], _INBOUND_SLOT));
            values[base] = StateProofs.slotValue(storageRoot, outRoot, proof.storageProofs[p]);
            values[base + 1] = StateProofs.slotValue(storageRoot, bytes32(uint256(outRoot) + 1), proof.storageProofs[p + 1]);
            values[base + 2] = StateProofs.slotValue(storageRoot, inRoot, proof.storageProofs[p + 2]);
            values[base + 3] = StateProofs.slotValue(storageRoot, bytes32(uint256(inRoot) + 1), proof.storageProofs[p + 3]);
            p += _PROOFS_PER_COUNTERPART;
        }
    }

    /// @dev Revert with InboxPairMismatch unless s's outbound tree for d equals d's inbound
    ///      tree for s.
    function _comparePair(uint256[] memory values, uint256 n, uint256 s, uint256 d, Tree tree) private view {
        uint256 out = ((s * 2 + uint256(tree)) * n + d) * _PROOFS_PER_COUNTERPART;
        uint256 inb = ((d * 2 + uint256(tree)) * n + s) * _PROOFS_PER_COUNTERPART + 2;
        if (values[out] != values[inb] || values[out + 1] != values[inb + 1]) {
            revert InboxPairMismatch(
                _rollups[s], _rollups[d], tree, bytes32(values[out]), bytes32(values[inb]), values[out + 1], values[inb + 1]
            );
        }
    }

    // ---------------------------------------------------------------------------------------
    // Optimistic mode: bond and challenges
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IBatchInbox
    function postBond() external payable {
        if (!OPTIMISTIC) revert InboxNotOptimistic();
        bond += msg.value;
        emit BondPosted(msg.sender, msg.value, bond);
    }

    /// @inheritdoc IBatchInbox
    function challenge(
        uint256 batchIndex,
        uint256 source,
        uint256 destination,
        Tree tree,
        TreeProof calldata sourceProof,
        TreeProof calldata destinationProof
    ) external {
        _requireChallengeable(batchIndex);
        if (source == destination || !_isRollup(source) || !_isRollup(destination)) {
            revert InboxInvalidPair(source, destination);
        }
        (bytes32 sourceRoot, uint256 sourceCount) =
            _provenTree(_records[batchIndex][source].stateRoot, tree, _OUTBOUND_SLOT, destination, sourceProof);
        (bytes32 destinationRoot, uint256 destinationCount) =
            _provenTree(_records[batchIndex][destination].stateRoot, tree, _INBOUND_SLOT, source, destinationProof);
        if (sourceRoot == destinationRoot && sourceCount == destinationCount) {
            revert InboxChallengeFailed(batchIndex, source, destination, tree);
        }

        _invalidateFrom(batchIndex);
        uint256 payout = _takeBond();
        emit BatchesInvalidated(batchIndex, source, destination, tree, msg.sender, payout);
        _pay(msg.sender, payout);
    }

    /// @inheritdoc IBatchInbox
    function challengeHeader(uint256 batchIndex, uint256 chainId, bytes calldata header) external {
        _requireChallengeable(batchIndex);
        if (!_isRollup(chainId)) revert InboxUnknownRollup(chainId);
        RollupRecord storage record = _records[batchIndex][chainId];
        bytes32 headerHash = keccak256(header);
        if (headerHash != record.blockHash) {
            revert InboxHeaderHashMismatch(batchIndex, chainId, record.blockHash, headerHash);
        }
        if (StateProofs.headerStateRoot(header) == record.stateRoot) {
            revert InboxHeaderChallengeFailed(batchIndex, chainId);
        }

        _invalidateFrom(batchIndex);
        uint256 payout = _takeBond();
        emit BatchHeaderDisproved(batchIndex, chainId, msg.sender, payout);
        _pay(msg.sender, payout);
    }

    /// @dev Reverts unless this is an optimistic inbox and batch `batchIndex` exists and is
    ///      still inside its challenge window.
    /// @param batchIndex The batch about to be challenged.
    function _requireChallengeable(uint256 batchIndex) private view {
        if (!OPTIMISTIC) revert InboxNotOptimistic();
        if (batchIndex >= _batchCount) revert InboxUnknownBatch(batchIndex);
        uint256 closesAt = _submittedAt[batchIndex] + CHALLENGE_WINDOW;
        // slither-disable-next-line timestamp -- a wall-clock challenge window, by design
        if (block.timestamp > closesAt) revert InboxChallengeWindowClosed(batchIndex, closesAt);
    }

    /// @dev Empty the bond and return what it held.
    /// @return payout_ The bond before this call.
    function _takeBond() private returns (uint256 payout_) {
        payout_ = bond;
        bond = 0;
    }

    /// @dev Send `amount` wei to `to`; reverts if the transfer fails.
    /// @param to     The challenger.
    /// @param amount The bond.
    function _pay(address to, uint256 amount) private {
        // slither-disable-next-line low-level-calls -- plain ETH payout; the result is checked below
        (bool sent,) = to.call{value: amount}("");
        if (!sent) revert InboxPayoutFailed(to, amount);
    }

    /// @dev Void batch `batchIndex` and all later ones: each rollup's next batch starts again at
    ///      the first block of the voided batch.
    /// @param batchIndex The first void batch.
    function _invalidateFrom(uint256 batchIndex) private {
        // slither-disable-next-line cache-array-length -- gas only, over a handful of rollups
        for (uint256 i; i < _rollups.length; ++i) {
            _nextBlock[_rollups[i]] = _records[batchIndex][_rollups[i]].firstBlock;
        }
        _batchCount = batchIndex;
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IBatchInbox
    function verifyMessageInclusion(
        uint256 batchIndex,
        uint256 chainId,
        uint256 counterpart,
        Tree tree,
        bool outbound,
        bytes32 leaf,
        uint256 leafIndex,
        bytes32[32] calldata path,
        TreeProof calldata proof
    ) external view returns (bool included_) {
        if (!isFinal(batchIndex)) revert InboxBatchNotFinal(batchIndex);
        if (chainId == counterpart || !_isRollup(chainId) || !_isRollup(counterpart)) {
            revert InboxInvalidPair(chainId, counterpart);
        }
        (bytes32 root, uint256 count) = _provenTree(
            _records[batchIndex][chainId].stateRoot, tree, outbound ? _OUTBOUND_SLOT : _INBOUND_SLOT, counterpart, proof
        );
        included_ = leafIndex < count && IncrementalMerkleTree.rootFromProof(leaf, leafIndex, path) == root;
    }

    /// @inheritdoc IBatchInbox
    function setSequencer(address newSequencer) external {
        if (msg.sender != owner) revert InboxUnauthorized(msg.sender);
        if (newSequencer == address(0)) revert InboxInvalidConfig();
        emit SequencerChanged(sequencer, newSequencer);
        sequencer = newSequencer;
    }

    /// @inheritdoc IBatchInbox
    function rollups() external view returns (uint256[] memory chainIds_) {
        chainIds_ = _rollups;
    }

    /// @inheritdoc IBatchInbox
    function batchCount() external view returns (uint256 count_) {
        count_ = _batchCount;
    }

    /// @inheritdoc IBatchInbox
    function nextBlock(uint256 chainId) external view returns (uint64 block_) {
        block_ = _nextBlock[chainId];
    }

    /// @inheritdoc IBatchInbox
    function rollupRecord(uint256 batchIndex, uint256 chainId) external view returns (RollupRecord memory record_) {
        if (batchIndex >= _batchCount) revert InboxUnknownBatch(batchIndex);
        record_ = _records[batchIndex][chainId];
    }

    /// @inheritdoc IBatchInbox
    function submittedAt(uint256 batchIndex) external view returns (uint256 timestamp_) {
        if (batchIndex >= _batchCount) revert InboxUnknownBatch(batchIndex);
        timestamp_ = _submittedAt[batchIndex];
    }

    /// @inheritdoc IBatchInbox
    function isFinal(uint256 batchIndex) public view returns (bool final_) {
        // slither-disable-next-line timestamp -- a wall-clock challenge window, by design
        final_ = batchIndex < _batchCount && (!OPTIMISTIC || block.timestamp > _submittedAt[batchIndex] + CHALLENGE_WINDOW);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev Root and count of one tree, proven under `stateRoot`.
    /// @param stateRoot    The rollup's state root in an accepted batch.
    /// @param tree         Transfer or Call (which contract).
    /// @param mappingSlot  _OUTBOUND_SLOT or _INBOUND_SLOT.
    /// @param counterpart  The tree's key.
    /// @param proof        Account, root and count proofs.
    function _provenTree(bytes32 stateRoot, Tree tree, uint256 mappingSlot, uint256 counterpart, TreeProof calldata proof)
        private
        view
        returns (bytes32 root_, uint256 count_)
    {
        bytes32 storageRoot = StateProofs.storageRoot(stateRoot, _contractOf(tree), proof.accountProof);
        bytes32 rootSlot = _treeSlot(counterpart, mappingSlot);
        root_ = bytes32(StateProofs.slotValue(storageRoot, rootSlot, proof.rootProof));
        count_ = StateProofs.slotValue(storageRoot, bytes32(uint256(rootSlot) + 1), proof.countProof);
    }

    /// @dev The system contract holding `tree`'s trees.
    function _contractOf(Tree tree) private view returns (address contract_) {
        contract_ = tree == Tree.Transfer ? MINT_BURN : GENERAL;
    }

    /// @dev First slot (the root) of the tree keyed `counterpart` in mapping `mappingSlot`.
    function _treeSlot(uint256 counterpart, uint256 mappingSlot) private pure returns (bytes32 slot_) {
        slot_ = keccak256(abi.encode(counterpart, mappingSlot));
    }

    /// @dev Whether `chainId` is one of the configured rollups.
    function _isRollup(uint256 chainId) private view returns (bool known_) {
        // slither-disable-next-line cache-array-length -- gas only, over a handful of rollups
        for (uint256 i; i < _rollups.length; ++i) {
            if (_rollups[i] == chainId) return true;
        }
        return false;
    }
}
