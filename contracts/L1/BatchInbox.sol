// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- pinned by OP's RLPErrors.sol (README, Toolchain)
pragma solidity 0.8.15;

import {IBatchInbox} from "../interfaces/IBatchInbox.sol";
import {IBlobHashes} from "../interfaces/IBlobHashes.sol";
import {IL1Bridge} from "../interfaces/IL1Bridge.sol";
import {IncrementalMerkleTree} from "../libraries/IncrementalMerkleTree.sol";
import {StateProofs} from "./StateProofs.sol";

/// @title BatchInbox
/// @notice See IBatchInbox. Deployed once on L1 for a fixed set of rollups.
/// @dev Both system contracts sit at the same address on every rollup and keep, in slot 4, a
///      commitment to all of their pair roots: keccak256 over (outbound root, inbound root) of
///      every counterpart in rollup order (CounterpartTrees). The inbox takes the roots from
///      calldata, hashes them and compares the hash with the slot it proves, so a rollup costs
///      one account and one storage proof per contract whatever the number of rollups, and the
///      pair comparison is done on calldata. The inbox derives the account and slot keys itself,
///      so a proof for any other account or slot fails. The system contracts must have been
///      deployed with this inbox's rollup list, in this order, and MintBurn with L1 (this chain)
///      as its last counterpart: its commitment covers 2n roots, General's 2(n-1).
///
///      L1 is a member of the pair set through the L1Bridge this inbox creates in its
///      constructor (from the init code it is given, so the bridge's INBOX is this contract and
///      no setter is needed). For every accepted batch each rollup's inbound tree from L1 must be
///      a prefix of the bridge's deposit tree for it, and the first deposit it has not served
///      must be younger than DEPOSIT_WINDOW L1 blocks (forced inclusion): checked on submit in
///      strict mode, by `challengeDeposits` in optimistic mode. Exits are not compared pairwise;
///      the bridge proves each one through `verifyMessageInclusion`.
contract BatchInbox is IBatchInbox {
    /// @dev Storage slot of the roots commitment in both system contracts.
    bytes32 private constant _COMMITMENT_SLOT = bytes32(uint256(4));

    /// @notice Blobs one batch may claim at most: more than any L1 transaction carries (6 since
    ///         Osaka), so the bound only keeps a claimed count from asking for unbounded memory.
    uint256 public constant MAX_BLOBS_PER_BATCH = 16;

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

    /// @notice The L1 bridge this inbox created (deposits and exits).
    IL1Bridge public immutable L1_BRIDGE;

    /// @notice L1 blocks within which every deposit must be served by an accepted batch.
    uint256 public immutable DEPOSIT_WINDOW;

    /// @notice Reads the submitting transaction's blob versioned hashes (BlobHashes; this
    ///         compiler has no `blobhash`).
    IBlobHashes public immutable BLOB_HASHES;

    /// @notice Whether the rollups advance together (local deployments): then one submission is
    ///         one cut (every batch covers the same heights) and leg hashes carry the height.
    bool public immutable SYNCHRONOUS;

    // slither-disable-start immutable-states -- gas only (read on rotation); keeps the storage layout
    /// @notice May rotate the sequencer.
    address public owner;
    // slither-disable-end immutable-states

    /// @notice The only account that may submit batches.
    address public sequencer;

    /// @notice Optimistic mode: the bond currently posted.
    uint256 public bond;

    /// @dev When a batch was accepted (one slot).
    struct Submission {
        uint64 timestamp;
        uint64 l1Block;
    }

    uint256[] private _rollups;
    uint256 private _batchCount;
    uint256 private _highestBatchCount; // batchCount before the last challenge, if higher than now
    mapping(uint256 => bytes32) private _lastExitRoot; // strict mode: per rollup, the last one recorded
    mapping(uint256 => mapping(uint256 => bytes32)) private _exitRoots; // strict: batch -> rollup -> root, where it changed
    mapping(uint256 => uint64) private _nextBlock;
    mapping(uint256 => Submission) private _submissions;
    mapping(uint256 => mapping(uint256 => RollupRecord)) private _records;

    /// @notice The inbox's configuration (constructor argument).
    /// @param owner           May rotate the sequencer.
    /// @param sequencer       May submit batches.
    /// @param rollups         The rollups' chain ids, in submission order (distinct, non-zero, not L1).
    /// @param firstBlocks     Per rollup, the first block of its first batch.
    /// @param mintBurn        MintBurnSystemContract's address (the same on every rollup).
    /// @param general         GeneralSystemContract's address (the same on every rollup).
    /// @param optimistic      Optimistic mode instead of strict.
    /// @param bondAmount      Optimistic mode: required bond (non-zero); strict mode: 0.
    /// @param challengeWindow Optimistic mode: window in seconds (non-zero); strict mode: 0.
    /// @param synchronous     The rollups advance together (then every first block is equal).
    /// @param depositWindow   L1 blocks within which a deposit must be served (non-zero).
    /// @param blobHashes      A BlobHashes contract (batches in blobs are read through it).
    struct Config {
        address owner;
        address sequencer;
        uint256[] rollups;
        uint64[] firstBlocks;
        address mintBurn;
        address general;
        bool optimistic;
        uint256 bondAmount;
        uint256 challengeWindow;
        bool synchronous;
        uint256 depositWindow;
        address blobHashes;
    }

    /// @param config         See Config; reverts with InboxInvalidConfig if inconsistent.
    /// @param bridgeInitCode L1Bridge's creation code and constructor arguments, for the same
    ///                       rollups; created here, so its INBOX is this contract.
    constructor(Config memory config, bytes memory bridgeInitCode) {
        if (
            config.owner == address(0) || config.sequencer == address(0) || config.mintBurn == address(0)
                || config.general == address(0) || config.blobHashes.code.length == 0
        ) {
            revert InboxInvalidConfig();
        }
        uint256[] memory rollups_ = config.rollups;
        if (rollups_.length < 2 || config.firstBlocks.length != rollups_.length || config.depositWindow == 0) {
            revert InboxInvalidConfig();
        }
        bool optimistic_ = config.optimistic;
        if (optimistic_ != (config.bondAmount != 0) || optimistic_ != (config.challengeWindow != 0)) {
            revert InboxInvalidConfig();
        }
        for (uint256 i; i < rollups_.length; ++i) {
            if (rollups_[i] == 0 || rollups_[i] == block.chainid || _isRollup(rollups_[i])) revert InboxInvalidConfig();
            if (config.synchronous && config.firstBlocks[i] != config.firstBlocks[0]) revert InboxInvalidConfig();
            _rollups.push(rollups_[i]);
            _nextBlock[rollups_[i]] = config.firstBlocks[i];
        }
        owner = config.owner;
        sequencer = config.sequencer;
        MINT_BURN = config.mintBurn;
        GENERAL = config.general;
        OPTIMISTIC = optimistic_;
        BOND_AMOUNT = config.bondAmount;
        CHALLENGE_WINDOW = config.challengeWindow;
        SYNCHRONOUS = config.synchronous;
        DEPOSIT_WINDOW = config.depositWindow;
        BLOB_HASHES = IBlobHashes(config.blobHashes);
        L1_BRIDGE = _createBridge(bridgeInitCode, rollups_);
        emit SequencerChanged(address(0), config.sequencer);
    }

    /// @dev Create the L1 bridge from `initCode` and check that it serves exactly `rollups_`.
    function _createBridge(bytes memory initCode, uint256[] memory rollups_) private returns (IL1Bridge bridge_) {
        address created;
        // slither-disable-next-line assembly -- CREATE of the bridge's init code, as the constructor notes say
        assembly {
            created := create(0, add(initCode, 0x20), mload(initCode))
        }
        if (created == address(0)) revert InboxInvalidConfig();
        bridge_ = IL1Bridge(created);
        for (uint256 i; i < rollups_.length; ++i) {
            // slither-disable-next-line calls-loop -- the bridge was just created by this constructor
            if (bridge_.depositCount(rollups_[i]) != 1) revert InboxInvalidConfig();
        }
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
            if (SYNCHRONOUS) _validateCut(batches[0], batches[i]);
        }
        bytes32[] memory blobHashes = _claimedBlobs(batches);
        if (!OPTIMISTIC) _verifyAllPairs(batches, proofs);

        batchIndex_ = _batchCount++;
        _submissions[batchIndex_] = Submission(uint64(block.timestamp), uint64(block.number));
        uint256 nextBlob = 0;
        for (uint256 i; i < n; ++i) {
            nextBlob = _record(batchIndex_, batches[i], blobHashes, nextBlob);
        }
        if (!OPTIMISTIC) _recordExitRoots(batchIndex_, proofs);
    }

    /// @dev Strict mode: keep each rollup's outbound root for L1 (proven just now) in the batches
    ///      where it changed, so an exit proven against such a batch needs no commitment proof
    ///      (`recordedExitRoot`, L1Bridge). One cold read per rollup per batch; a write only in
    ///      batches with new exits.
    /// @param batchIndex The batch being accepted.
    /// @param proofs     Its proofs (commitment-checked by `_verifyAllPairs`).
    function _recordExitRoots(uint256 batchIndex, RollupProof[] calldata proofs) private {
        uint256 l1Slot = 2 * (_rollups.length - 1);
        for (uint256 r; r < proofs.length; ++r) {
            uint256 chainId = _rollups[r];
            bytes32 root = proofs[r].mintBurn.roots[l1Slot];
            if (root == _lastExitRoot[chainId]) continue;
            _lastExitRoot[chainId] = root;
            _exitRoots[batchIndex][chainId] = root;
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
        uint256 blocks = uint256(batch.lastBlock) - batch.firstBlock + 1;
        uint256 claimed = batch.blockHashes.length;
        if (claimed != blocks || batch.blockHashes[claimed - 1] != batch.blockHash) {
            revert InboxWrongBlockHashes(batch.chainId, blocks, claimed);
        }
    }

    /// @dev Synchronous mode: `batch` covers the same heights as `first`.
    /// @param first The submission's first batch.
    /// @param batch Another batch of the submission.
    function _validateCut(Batch calldata first, Batch calldata batch) private pure {
        if (batch.firstBlock != first.firstBlock || batch.lastBlock != first.lastBlock) {
            revert InboxCutMismatch(
                first.chainId, first.firstBlock, first.lastBlock, batch.chainId, batch.firstBlock, batch.lastBlock
            );
        }
    }

    /// @dev Store what is kept of one rollup's batch and advance its next block.
    /// @param batchIndex  Index of the accepted batch.
    /// @param batch       The rollup's part of it.
    /// @param blobHashes  The versioned hashes of the submission's blobs (`_claimedBlobs`).
    /// @param firstBlob   Blobs claimed by the batches before it (its first blob, if in blobs).
    /// @return nextBlob_  Blobs claimed with this batch's.
    function _record(uint256 batchIndex, Batch calldata batch, bytes32[] memory blobHashes, uint256 firstBlob)
        private
        returns (uint256 nextBlob_)
    {
        bytes32 dataHash;
        (dataHash, nextBlob_) = _dataHash(batch, blobHashes, firstBlob);
        bytes32 blocksRoot = IncrementalMerkleTree.rootOf(batch.blockHashes);
        _records[batchIndex][batch.chainId] =
            RollupRecord(batch.stateRoot, batch.blockHash, blocksRoot, dataHash, batch.firstBlock, batch.lastBlock);
        _nextBlock[batch.chainId] = batch.lastBlock + 1;
        emit BatchAccepted(
            batchIndex,
            batch.chainId,
            batch.firstBlock,
            batch.lastBlock,
            batch.stateRoot,
            batch.blockHash,
            blocksRoot,
            dataHash
        );
    }

    /// @dev The blobs the batches claim, checked against the transaction's: a batch in blobs has
    ///      no calldata data and at most MAX_BLOBS_PER_BATCH blobs, every claimed blob is there,
    ///      and none follows them. One call reads them all. A submission wholly in calldata reads
    ///      none (so it also works on an L1 without blobs; blobs it carries are its sender's loss).
    /// @param batches The submission's batches.
    /// @return hashes_ The versioned hashes of the claimed blobs in order, then a zero (empty if
    ///                 none is claimed).
    function _claimedBlobs(Batch[] calldata batches) private view returns (bytes32[] memory hashes_) {
        uint256 total = 0;
        for (uint256 i; i < batches.length; ++i) {
            uint256 blobs = batches[i].blobs;
            if (blobs == 0) continue;
            if (batches[i].data.length != 0) revert InboxDataInBothPlaces(batches[i].chainId);
            if (blobs > MAX_BLOBS_PER_BATCH) revert InboxTooManyBlobs(batches[i].chainId, blobs);
            total += blobs;
        }
        if (total == 0) return new bytes32[](0);
        hashes_ = BLOB_HASHES.hashes(0, total + 1);
        uint256 next = 0;
        for (uint256 i; i < batches.length; ++i) {
            for (uint256 end = next + batches[i].blobs; next < end; ++next) {
                if (hashes_[next] == bytes32(0)) revert InboxMissingBlob(batches[i].chainId, next);
            }
        }
        if (hashes_[total] != bytes32(0)) revert InboxUnclaimedBlob(total);
    }

    /// @dev What a batch's record commits to as its data: keccak256 of its calldata `data`, or
    ///      of the versioned hashes of its `blobs` blobs from `firstBlob` on.
    /// @param batch      The batch.
    /// @param blobHashes The submission's claimed blob hashes (`_claimedBlobs`).
    /// @param firstBlob  Its first blob, if it is in blobs.
    /// @return dataHash_ The record's data hash.
    /// @return nextBlob_ The first blob after the batch's.
    function _dataHash(Batch calldata batch, bytes32[] memory blobHashes, uint256 firstBlob)
        private
        pure
        returns (bytes32 dataHash_, uint256 nextBlob_)
    {
        uint256 blobs = batch.blobs;
        if (blobs == 0) return (keccak256(batch.data), firstBlob);
        bytes32[] memory own = new bytes32[](blobs);
        for (uint256 i; i < blobs; ++i) {
            own[i] = blobHashes[firstBlob + i];
        }
        return (keccak256(abi.encodePacked(own)), firstBlob + blobs);
    }

    // ---------------------------------------------------------------------------------------
    // Strict mode: proving every pair
    // ---------------------------------------------------------------------------------------

    /// @dev Check every rollup's revealed roots against its proven commitments, then compare
    ///      every ordered pair on the revealed roots. Linear in the number of rollups in proofs
    ///      (2 account + 2 storage proofs each); the comparisons are calldata reads.
    /// @param batches The batches (for the state roots).
    /// @param proofs  The proofs, one per batch.
    function _verifyAllPairs(Batch[] calldata batches, RollupProof[] calldata proofs) private view {
        uint256 n = batches.length;
        for (uint256 r; r < n; ++r) {
            _checkCommitment(r, Tree.Transfer, batches[r].stateRoot, proofs[r].mintBurn);
            _checkCommitment(r, Tree.Call, batches[r].stateRoot, proofs[r].general);
            (bool served, uint256 nonce, uint256 depositBlock) = _depositsServed(r, proofs[r].mintBurn.roots, block.number);
            if (!served) {
                // slither-disable-next-line incorrect-equality -- 0 is depositCountOf's "never had this root", not a balance
                if (nonce == 0) revert InboxDepositsNotPrefix(_rollups[r], _inboundFromL1(proofs[r].mintBurn.roots));
                revert InboxDepositOverdue(_rollups[r], nonce, depositBlock, depositBlock + DEPOSIT_WINDOW);
            }
        }
        for (uint256 s; s < n; ++s) {
            for (uint256 d; d < n; ++d) {
                if (s == d) continue;
                _comparePair(s, d, Tree.Transfer, proofs[s].mintBurn.roots, proofs[d].mintBurn.roots);
                _comparePair(s, d, Tree.Call, proofs[s].general.roots, proofs[d].general.roots);
            }
        }
    }

    /// @dev Revert unless `proof.roots` are what rollup `r`'s `tree` contract commits to under
    ///      `stateRoot`.
    /// @param r         Rollup position.
    /// @param tree      Which contract (Transfer: MintBurn, Call: General).
    /// @param stateRoot The rollup's claimed state root.
    /// @param proof     The commitment's proofs and the revealed roots.
    function _checkCommitment(uint256 r, Tree tree, bytes32 stateRoot, CommitmentProof calldata proof) private view {
        uint256 expected = tree == Tree.Transfer ? 2 * _rollups.length : 2 * (_rollups.length - 1);
        if (proof.roots.length != expected) revert InboxWrongRootCount(_rollups[r], expected, proof.roots.length);
        bytes32 storageRoot = StateProofs.storageRoot(stateRoot, _contractOf(tree), proof.accountProof);
        bytes32 committed = bytes32(StateProofs.slotValue(storageRoot, _COMMITMENT_SLOT, proof.commitmentProof));
        bytes32 revealed = keccak256(abi.encodePacked(proof.roots));
        if (revealed != committed) revert InboxRootsMismatch(_rollups[r], tree, committed, revealed);
    }

    /// @dev Revert with InboxPairMismatch unless s's outbound root for d equals d's inbound root
    ///      for s, both read from commitment-checked roots.
    /// @param s           Source position.
    /// @param d           Destination position.
    /// @param tree        Which pair of trees.
    /// @param sourceRoots The source's revealed roots.
    /// @param destRoots   The destination's revealed roots.
    function _comparePair(uint256 s, uint256 d, Tree tree, bytes32[] calldata sourceRoots, bytes32[] calldata destRoots)
        private
        view
    {
        bytes32 outbound = sourceRoots[2 * _slotOf(s, d)];
        bytes32 inbound = destRoots[2 * _slotOf(d, s) + 1];
        if (outbound != inbound) revert InboxPairMismatch(_rollups[s], _rollups[d], tree, outbound, inbound);
    }

    /// @dev Whether rollup position `r`, with MintBurn roots `roots` (commitment-checked), has
    ///      served L1's deposits as of L1 block `atBlock`: its inbound tree from L1 is a prefix of
    ///      the deposit tree, and the first deposit it has not served is not older than the
    ///      window. If not: `nonce` 0 for "not a prefix", else the overdue deposit and its block.
    function _depositsServed(uint256 r, bytes32[] calldata roots, uint256 atBlock)
        private
        view
        returns (bool served_, uint256 nonce_, uint256 depositBlock_)
    {
        uint256 chainId = _rollups[r];
        // slither-disable-next-line calls-loop -- the inbox's own bridge (created in its constructor), once per rollup
        nonce_ = L1_BRIDGE.depositCountOf(chainId, _inboundFromL1(roots));
        if (nonce_ == 0) return (false, 0, 0);
        // slither-disable-next-line calls-loop -- likewise
        depositBlock_ = L1_BRIDGE.depositBlock(chainId, nonce_);
        served_ = depositBlock_ == 0 || atBlock <= depositBlock_ + DEPOSIT_WINDOW;
    }

    /// @dev The inbound-from-L1 root among a rollup's MintBurn roots (L1's pair is last).
    function _inboundFromL1(bytes32[] calldata roots) private pure returns (bytes32 root_) {
        root_ = roots[roots.length - 1];
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
        CommitmentProof calldata sourceProof,
        CommitmentProof calldata destinationProof
    ) external {
        _requireChallengeable(batchIndex);
        (bool sourceKnown, uint256 s) = _positionOf(source);
        (bool destinationKnown, uint256 d) = _positionOf(destination);
        if (source == destination || !sourceKnown || !destinationKnown) revert InboxInvalidPair(source, destination);
        _checkCommitment(s, tree, _records[batchIndex][source].stateRoot, sourceProof);
        _checkCommitment(d, tree, _records[batchIndex][destination].stateRoot, destinationProof);
        if (sourceProof.roots[2 * _slotOf(s, d)] == destinationProof.roots[2 * _slotOf(d, s) + 1]) {
            revert InboxChallengeFailed(batchIndex, source, destination, tree);
        }

        _invalidateFrom(batchIndex);
        uint256 payout = _takeBond();
        emit BatchesInvalidated(batchIndex, source, destination, tree, msg.sender, payout);
        _pay(msg.sender, payout);
    }

    /// @inheritdoc IBatchInbox
    function challengeBlocks(
        uint256 batchIndex,
        uint256 chainId,
        uint256 link,
        bytes calldata header,
        bytes32[32] calldata path,
        bytes32 previous,
        bytes32[32] calldata previousPath
    ) external {
        _requireChallengeable(batchIndex);
        if (!_isRollup(chainId)) revert InboxUnknownRollup(chainId);
        RollupRecord storage record = _records[batchIndex][chainId];
        uint256 blocks = uint256(record.lastBlock) - record.firstBlock + 1;
        if (link > blocks) revert InboxInvalidLink(batchIndex, chainId, link);
        if (link > 0) _requireLeaf(batchIndex, chainId, record.blocksRoot, previous, link - 1, previousPath);

        bool holds;
        if (link == blocks) {
            holds = previous == record.blockHash;
        } else {
            _requireLeaf(batchIndex, chainId, record.blocksRoot, keccak256(header), link, path);
            if (link == 0) {
                if (batchIndex == 0) revert InboxBlocksChallengeFailed(batchIndex, chainId, link);
                previous = _records[batchIndex - 1][chainId].blockHash;
            }
            holds = StateProofs.headerParentHash(header) == previous;
        }
        if (holds) revert InboxBlocksChallengeFailed(batchIndex, chainId, link);

        _invalidateFrom(batchIndex);
        uint256 payout = _takeBond();
        emit BatchBlocksDisproved(batchIndex, chainId, msg.sender, payout);
        _pay(msg.sender, payout);
    }

    /// @dev Revert unless `path` leads from `leaf` at `position` to `blocksRoot`.
    function _requireLeaf(
        uint256 batchIndex,
        uint256 chainId,
        bytes32 blocksRoot,
        bytes32 leaf,
        uint256 position,
        bytes32[32] calldata path
    ) private pure {
        if (IncrementalMerkleTree.rootFromProof(leaf, position, path) != blocksRoot) {
            revert InboxBlockPathInvalid(batchIndex, chainId, position);
        }
    }

    /// @inheritdoc IBatchInbox
    function challengeDeposits(uint256 batchIndex, uint256 chainId, CommitmentProof calldata proof) external {
        _requireChallengeable(batchIndex);
        (bool known, uint256 r) = _positionOf(chainId);
        if (!known) revert InboxUnknownRollup(chainId);
        _checkCommitment(r, Tree.Transfer, _records[batchIndex][chainId].stateRoot, proof);
        (bool served,,) = _depositsServed(r, proof.roots, _submissions[batchIndex].l1Block);
        if (served) revert InboxDepositsChallengeFailed(batchIndex, chainId);

        _invalidateFrom(batchIndex);
        uint256 payout = _takeBond();
        emit BatchDepositsDisproved(batchIndex, chainId, msg.sender, payout);
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
        uint256 closesAt = _submissions[batchIndex].timestamp + CHALLENGE_WINDOW;
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
        if (_batchCount > _highestBatchCount) _highestBatchCount = _batchCount;
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
        CommitmentProof calldata proof
    ) external view returns (bool included_) {
        if (!isFinal(batchIndex)) revert InboxBatchNotFinal(batchIndex);
        bytes32 root = _provenRoot(batchIndex, chainId, counterpart, tree, outbound, proof);
        // No count is proven: a leaf is never zero, and an index past the last leaf holds zero.
        included_ = leaf != bytes32(0) && leafIndex < IncrementalMerkleTree.CAPACITY
            && IncrementalMerkleTree.rootFromProof(leaf, leafIndex, path) == root;
    }

    /// @inheritdoc IBatchInbox
    function recordedExitRoot(uint256 batchIndex, uint256 chainId) external view returns (bytes32 root_) {
        if (batchIndex < _batchCount) root_ = _exitRoots[batchIndex][chainId];
    }

    /// @inheritdoc IBatchInbox
    function provenRoot(
        uint256 batchIndex,
        uint256 chainId,
        uint256 counterpart,
        Tree tree,
        bool outbound,
        CommitmentProof calldata proof
    ) external view returns (bytes32 root_) {
        if (batchIndex >= _batchCount) revert InboxUnknownBatch(batchIndex);
        root_ = _provenRoot(batchIndex, chainId, counterpart, tree, outbound, proof);
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
        timestamp_ = _submissions[batchIndex].timestamp;
    }

    /// @inheritdoc IBatchInbox
    function submittedBlock(uint256 batchIndex) external view returns (uint256 block_) {
        if (batchIndex >= _batchCount) revert InboxUnknownBatch(batchIndex);
        block_ = _submissions[batchIndex].l1Block;
    }

    /// @inheritdoc IBatchInbox
    function batchState(uint256 batchIndex, uint256 chainId, bytes32 stateRoot) external view returns (BatchState state_) {
        if (batchIndex >= _batchCount) {
            return batchIndex < _highestBatchCount ? BatchState.Voided : BatchState.Unknown;
        }
        if (_records[batchIndex][chainId].stateRoot != stateRoot) return BatchState.Voided;
        state_ = isFinal(batchIndex) ? BatchState.Final : BatchState.Pending;
    }

    /// @inheritdoc IBatchInbox
    function isFinal(uint256 batchIndex) public view returns (bool final_) {
        // slither-disable-next-line timestamp -- a wall-clock challenge window, by design
        final_ = batchIndex < _batchCount
            && (!OPTIMISTIC || block.timestamp > _submissions[batchIndex].timestamp + CHALLENGE_WINDOW);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev The root of `chainId`'s outbound or inbound `tree` for `counterpart` in batch
    ///      `batchIndex`, from roots checked against the proven commitment.
    function _provenRoot(
        uint256 batchIndex,
        uint256 chainId,
        uint256 counterpart,
        Tree tree,
        bool outbound,
        CommitmentProof calldata proof
    ) private view returns (bytes32 root_) {
        (bool known, uint256 r) = _positionOf(chainId);
        (bool counterpartKnown, uint256 c) = _positionOf(counterpart);
        if (counterpart == block.chainid && tree == Tree.Transfer) {
            (counterpartKnown, c) = (true, _rollups.length); // L1's pair comes after every rollup's
        }
        if (chainId == counterpart || !known || !counterpartKnown) revert InboxInvalidPair(chainId, counterpart);
        _checkCommitment(r, tree, _records[batchIndex][chainId].stateRoot, proof);
        root_ = proof.roots[2 * _slotOf(r, c) + (outbound ? 0 : 1)];
    }

    /// @dev The system contract holding `tree`'s trees.
    function _contractOf(Tree tree) private view returns (address contract_) {
        contract_ = tree == Tree.Transfer ? MINT_BURN : GENERAL;
    }

    /// @dev Where counterpart position `c` sits among rollup position `r`'s counterparts (the
    ///      rollup order with `r` itself skipped): its roots are at 2 * slot and 2 * slot + 1.
    function _slotOf(uint256 r, uint256 c) private pure returns (uint256 slot_) {
        slot_ = c < r ? c : c - 1;
    }

    /// @dev Position of `chainId` in the rollup order, if it is a rollup.
    function _positionOf(uint256 chainId) private view returns (bool known_, uint256 position_) {
        // slither-disable-next-line cache-array-length -- gas only, over a handful of rollups
        for (uint256 i; i < _rollups.length; ++i) {
            if (_rollups[i] == chainId) return (true, i);
        }
        return (false, 0);
    }

    /// @dev Whether `chainId` is one of the configured rollups.
    function _isRollup(uint256 chainId) private view returns (bool known_) {
        (known_,) = _positionOf(chainId);
    }
}
