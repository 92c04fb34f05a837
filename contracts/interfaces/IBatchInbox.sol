// SPDX-License-Identifier: MIT
// 0.8.15 because the inbox links OP's RLP library, which pins it.
// slither-disable-next-line solc-version -- a range so the 0.8.28 code can import it; the inbox pins 0.8.15
pragma solidity ^0.8.15;

/// @title IBatchInbox
/// @notice The L1 inbox of the shared sequencer. One transaction carries one batch per rollup.
///         In a synchronous deployment it is one cut: every rollup's batch covers the same
///         heights. In strict mode the inbox accepts it only if, under the claimed state roots,
///         every ordered pair of rollups (S, D) has S's outbound tree for D equal to D's inbound
///         tree for S, for transfers (burn/mint) and for calls (trigger/action). The roots come
///         in calldata and are checked against each system contract's roots commitment, proven
///         with one Merkle-Patricia storage proof: 2 account and 2 storage proofs per rollup.
///         Equal roots imply equal counts (no leaf is ever zero), so counts are not proven. In
///         optimistic mode batches come without proofs, the sequencer posts a bond, and anyone
///         may prove a mismatch during the challenge window.
/// @dev What the inbox does NOT check: that a claimed state root is the correct result of
///      executing the batch data. That needs a fault or validity proof of execution, which is
///      out of scope; the verifier (`ape run verify`) compares the claims with the rollup nodes.
interface IBatchInbox {
    /// @notice The two kinds of cross-chain legs, each with its own pair of trees.
    enum Tree {
        Transfer, // burn tree on the source, mint tree on the destination (MintBurn contract)
        Call // trigger tree on the source, action tree on the destination (General contract)
    }

    /// @notice What an accepted-or-not batch index is to a caller naming it with a rollup's
    ///         state root (the L1 bridge asks before finalizing an exit).
    enum BatchState {
        Unknown, // no batch was ever accepted at this index
        Voided, // no accepted batch at this index claims that state root: voided by a challenge, or a wrong root
        Pending, // accepted, challenge window open (optimistic mode)
        Final // accepted and final
    }

    /// @notice One rollup's part of a submission.
    /// @param chainId    The rollup.
    /// @param firstBlock First L2 block of the batch; must follow the previous batch's last.
    /// @param lastBlock  Last L2 block of the batch.
    /// @param stateRoot  Claimed state root after `lastBlock`.
    /// @param blockHash  Claimed hash of `lastBlock`.
    /// @param blockHashes Claimed hash of every block of the batch, `firstBlock` first; the last
    ///                    must be `blockHash`. The inbox keeps their Merkle root (`blocksRoot`),
    ///                    so later proofs about one transaction can reach any block, not only
    ///                    the last. They stay in calldata for challengers (`challengeBlocks`).
    /// @param data        The batch's transactions in calldata (opaque to the inbox; its
    ///                    keccak256 is stored). Empty when they come in blobs.
    /// @param blobs       How many of the transaction's EIP-4844 blobs hold the batch's
    ///                    transactions instead (0: calldata). The batches of a submission take
    ///                    the blobs in order, each the next `blobs` of them; if any batch is
    ///                    in blobs, no blob may be left over. The keccak256 of the batch's
    ///                    blobs' versioned hashes is stored.
    struct Batch {
        uint256 chainId;
        uint64 firstBlock;
        uint64 lastBlock;
        bytes32 stateRoot;
        bytes32 blockHash;
        bytes32[] blockHashes;
        bytes data;
        uint256 blobs;
    }

    /// @notice One system contract's roots, revealed, and the proof of the commitment to them.
    /// @param accountProof    The contract's account under the state root (`eth_getProof`).
    /// @param commitmentProof The roots commitment slot (slot 4) under the account's storage root.
    /// @param roots           For each counterpart in rollup order (this rollup skipped): the
    ///                        outbound root, then the inbound root. Their keccak256 must be the
    ///                        proven commitment.
    struct CommitmentProof {
        bytes[] accountProof;
        bytes[] commitmentProof;
        bytes32[] roots;
    }

    /// @notice All proofs for one rollup of a strict submission.
    struct RollupProof {
        CommitmentProof mintBurn;
        CommitmentProof general;
    }

    /// @notice What the inbox keeps of each rollup's part of an accepted batch. `blocksRoot` is
    ///         the root of the depth-32 Merkle tree (IncrementalMerkleTree's hashing, empty
    ///         leaves zero) whose leaf i is the hash of block `firstBlock + i`. `dataHash` is
    ///         keccak256 of the batch's calldata `data`, or, for a batch in blobs, keccak256 of
    ///         its blobs' versioned hashes concatenated (`abi.encodePacked`).
    struct RollupRecord {
        bytes32 stateRoot;
        bytes32 blockHash;
        bytes32 blocksRoot;
        bytes32 dataHash;
        uint64 firstBlock;
        uint64 lastBlock;
    }

    /// @notice Batch `batchIndex` was accepted; one event per rollup.
    event BatchAccepted(
        uint256 indexed batchIndex,
        uint256 indexed chainId,
        uint64 firstBlock,
        uint64 lastBlock,
        bytes32 stateRoot,
        bytes32 blockHash,
        bytes32 blocksRoot,
        bytes32 dataHash
    );

    /// @notice A challenge proved a pair mismatch: batch `fromBatchIndex` and every later one
    ///         are void, and the bond went to `challenger`.
    event BatchesInvalidated(
        uint256 indexed fromBatchIndex, uint256 source, uint256 destination, Tree tree, address challenger, uint256 bond
    );

    /// @notice A challenge proved that batch `fromBatchIndex` claims, for rollup `chainId`, a
    ///         state root that is not the one in the header of its claimed block: that batch and
    ///         every later one are void, and the bond went to `challenger`.
    event BatchHeaderDisproved(uint256 indexed fromBatchIndex, uint256 chainId, address challenger, uint256 bond);

    /// @notice A challenge proved that the block hashes batch `fromBatchIndex` commits to for
    ///         rollup `chainId` are not a chain ending at its claimed block hash: that batch and
    ///         every later one are void, and the bond went to `challenger`.
    event BatchBlocksDisproved(uint256 indexed fromBatchIndex, uint256 chainId, address challenger, uint256 bond);

    /// @notice A challenge proved that batch `fromBatchIndex` leaves rollup `chainId`'s inbound
    ///         tree from L1 off L1's deposit history, or a deposit to it unserved past the
    ///         deposit window: that batch and every later one are void, and the bond went to
    ///         `challenger`.
    event BatchDepositsDisproved(uint256 indexed fromBatchIndex, uint256 chainId, address challenger, uint256 bond);

    /// @notice The sequencer's bond grew by `amount` to `total`.
    event BondPosted(address indexed from, uint256 amount, uint256 total);

    /// @notice The owner made `newSequencer` the only account that may submit.
    event SequencerChanged(address indexed previousSequencer, address indexed newSequencer);

    /// @dev The caller may not do this (not the sequencer, or not the owner).
    error InboxUnauthorized(address caller);

    /// @dev Constructor arguments are inconsistent (see the constructor's notes).
    error InboxInvalidConfig();

    /// @dev A submission must carry exactly one batch per configured rollup.
    error InboxWrongBatchCount(uint256 expected, uint256 actual);

    /// @dev Batch `index` is for `actual`, where the rollup order says `expected`.
    error InboxWrongRollup(uint256 index, uint256 expected, uint256 actual);

    /// @dev The batch does not start right after the previous one (a gap, a replay or an overlap).
    error InboxNonContiguous(uint256 chainId, uint256 expectedFirstBlock, uint256 firstBlock);

    /// @dev The batch's last block is before its first.
    error InboxEmptyRange(uint256 chainId, uint256 firstBlock, uint256 lastBlock);

    /// @dev The batch claims `actual` block hashes for its `expected` blocks, or its last block
    ///      hash is not its `blockHash`.
    error InboxWrongBlockHashes(uint256 chainId, uint256 expected, uint256 actual);

    /// @dev Synchronous mode: one submission is one cut, but two rollups' batches cover different
    ///      heights.
    error InboxCutMismatch(
        uint256 chainId, uint256 firstBlock, uint256 lastBlock, uint256 otherChainId, uint256 otherFirst, uint256 otherLast
    );

    /// @dev Strict mode needs one RollupProof per batch; optimistic mode takes none.
    error InboxWrongProofCount(uint256 expected, uint256 actual);

    /// @dev A CommitmentProof for `chainId` reveals `actual` roots; it must reveal two per
    ///      counterpart.
    error InboxWrongRootCount(uint256 chainId, uint256 expected, uint256 actual);

    /// @dev The roots revealed for `chainId`'s `tree` contract hash to `revealed`, not to the
    ///      proven commitment `committed`.
    error InboxRootsMismatch(uint256 chainId, Tree tree, bytes32 committed, bytes32 revealed);

    /// @dev Under the claimed state roots, `source`'s outbound tree for `destination` differs
    ///      from `destination`'s inbound tree for `source`.
    error InboxPairMismatch(uint256 source, uint256 destination, Tree tree, bytes32 sourceRoot, bytes32 destinationRoot);

    /// @dev Optimistic mode: the sequencer's bond is below the required amount.
    error InboxBondTooLow(uint256 required, uint256 posted);

    /// @dev Challenges and bonds exist only in optimistic mode.
    error InboxNotOptimistic();

    /// @dev No accepted batch has this index.
    error InboxUnknownBatch(uint256 batchIndex);

    /// @dev The challenge window of the batch closed at `closedAt`.
    error InboxChallengeWindowClosed(uint256 batchIndex, uint256 closedAt);

    /// @dev The proofs show the pair's trees equal: an honest batch cannot be challenged.
    error InboxChallengeFailed(uint256 batchIndex, uint256 source, uint256 destination, Tree tree);

    /// @dev `source` and `destination` are not two distinct configured rollups.
    error InboxInvalidPair(uint256 source, uint256 destination);

    /// @dev The batch is not final yet (optimistic mode: its challenge window is open).
    error InboxBatchNotFinal(uint256 batchIndex);

    /// @dev Sending the bond to the challenger failed.
    error InboxPayoutFailed(address to, uint256 amount);

    /// @dev `chainId` is not one of the inbox's rollups.
    error InboxUnknownRollup(uint256 chainId);

    /// @dev A header challenge gave a header whose hash is not the claimed block hash.
    error InboxHeaderHashMismatch(uint256 batchIndex, uint256 chainId, bytes32 claimed, bytes32 actual);

    /// @dev A header challenge showed the state root the batch claims: nothing to disprove.
    error InboxHeaderChallengeFailed(uint256 batchIndex, uint256 chainId);

    /// @dev A blocks challenge named a link outside 0..(number of blocks in the batch).
    error InboxInvalidLink(uint256 batchIndex, uint256 chainId, uint256 link);

    /// @dev A Merkle path given to a blocks challenge does not lead to the batch's blocksRoot.
    error InboxBlockPathInvalid(uint256 batchIndex, uint256 chainId, uint256 position);

    /// @dev The link a blocks challenge named holds: nothing to disprove.
    error InboxBlocksChallengeFailed(uint256 batchIndex, uint256 chainId, uint256 link);

    /// @dev Rollup `chainId`'s inbound tree from L1 has `root`, which L1's deposit tree for it
    ///      never had: it minted a deposit that was never made (or not in this order).
    error InboxDepositsNotPrefix(uint256 chainId, bytes32 root);
    /// @dev Rollup `chainId` has not served deposit `nonce`, made in L1 block `depositBlock`,
    ///      and the deposit window closed after block `deadline`.
    error InboxDepositOverdue(uint256 chainId, uint256 nonce, uint256 depositBlock, uint256 deadline);
    /// @dev A deposits challenge showed a rollup that served its deposits in time: nothing to
    ///      disprove.
    error InboxDepositsChallengeFailed(uint256 batchIndex, uint256 chainId);

    /// @dev A batch says its data is in blobs and also carries calldata `data`.
    error InboxDataInBothPlaces(uint256 chainId);

    /// @dev A batch claims more blobs than any transaction can carry (`MAX_BLOBS_PER_BATCH`).
    error InboxTooManyBlobs(uint256 chainId, uint256 blobs);

    /// @dev A batch claims blob `index`, which the transaction does not carry.
    error InboxMissingBlob(uint256 chainId, uint256 index);

    /// @dev The transaction carries blob `index`, which no batch claims.
    error InboxUnclaimedBlob(uint256 index);

    /// @notice Submit one batch per rollup, in rollup order. Strict mode: with one RollupProof
    ///         per batch, and only if every pair's trees are proven equal. Optimistic mode:
    ///         without proofs, and only while the bond is posted. Sequencer only.
    /// @param batches One batch per configured rollup, in the order of `rollups()`.
    /// @param proofs  Strict: one RollupProof per batch, same order. Optimistic: empty.
    /// @return batchIndex_ Index of the new batch.
    function submitBatches(Batch[] calldata batches, RollupProof[] calldata proofs)
        external
        returns (uint256 batchIndex_);

    /// @notice Optimistic mode: show the RLP header of the block batch `batchIndex` claims for
    ///         `chainId` (it must hash to the claimed block hash) whose state root differs from
    ///         the claimed state root. On success that batch and all later ones are void and the
    ///         bond is paid to the caller.
    /// @param batchIndex The batch to challenge (its window must be open).
    /// @param chainId    The rollup whose claim is inconsistent.
    /// @param header     The RLP-encoded block header.
    function challengeHeader(uint256 batchIndex, uint256 chainId, bytes calldata header) external;

    /// @notice Optimistic mode: prove that under batch `batchIndex`'s state roots, `source`'s
    ///         outbound `tree` for `destination` differs from `destination`'s inbound tree for
    ///         `source`. On success that batch and all later ones are void and the bond is paid
    ///         to the caller.
    /// @param batchIndex       The batch to challenge (its window must be open).
    /// @param source           Source rollup of the pair.
    /// @param destination      Destination rollup of the pair.
    /// @param tree             Which pair of trees.
    /// @param sourceProof      `source`'s commitment to its roots of `tree`, with the roots.
    /// @param destinationProof `destination`'s, likewise.
    function challenge(
        uint256 batchIndex,
        uint256 source,
        uint256 destination,
        Tree tree,
        CommitmentProof calldata sourceProof,
        CommitmentProof calldata destinationProof
    ) external;

    /// @notice Optimistic mode: show that the block hashes batch `batchIndex` commits to for
    ///         `chainId` (its blocksRoot, leaves 0..n-1 for its n blocks) are not a chain of
    ///         parent links ending at its claimed block hash. Link k, for 0 < k < n: the header
    ///         of leaf k names a parent other than leaf k-1. Link 0: the header of leaf 0 names a
    ///         parent other than the previous batch's block hash (not for batch 0). Link n: leaf
    ///         n-1 is not the claimed block hash. An honest sequencer's leaves are real blocks,
    ///         so a challenger who walks down from the claimed block finds any lie at one link.
    ///         On success that batch and all later ones are void and the bond is paid.
    /// @param batchIndex   The batch to challenge (its window must be open).
    /// @param chainId      The rollup.
    /// @param link         Which link (see above).
    /// @param header       Links 0..n-1: the RLP header of leaf `link` (unused for link n).
    /// @param path         Links 0..n-1: the Merkle path of leaf `link` (unused for link n).
    /// @param previous     Links 1..n: leaf `link - 1` (unused for link 0).
    /// @param previousPath Links 1..n: its Merkle path (unused for link 0).
    function challengeBlocks(
        uint256 batchIndex,
        uint256 chainId,
        uint256 link,
        bytes calldata header,
        bytes32[32] calldata path,
        bytes32 previous,
        bytes32[32] calldata previousPath
    ) external;

    /// @notice Optimistic mode: show that under batch `batchIndex`'s state root, rollup
    ///         `chainId`'s inbound tree from L1 is not a prefix of L1's deposit tree, or leaves a
    ///         deposit unserved that was older than the deposit window when the batch was
    ///         accepted. On success that batch and all later ones are void and the bond is paid.
    /// @param batchIndex The batch to challenge (its window must be open).
    /// @param chainId    The rollup.
    /// @param proof      Its commitment to its MintBurn roots (L1's pair last), with the roots.
    function challengeDeposits(uint256 batchIndex, uint256 chainId, CommitmentProof calldata proof) external;

    /// @notice Optimistic mode: add `msg.value` to the sequencer's bond.
    function postBond() external payable;

    /// @notice Whether `leaf` sits at `leafIndex` of a tree in a final batch: the tree's root
    ///         is taken from the roots revealed in `proof`, whose commitment is proven from the
    ///         batch's stored state root, then the Merkle path is checked against it. The building
    ///         block for exits to L1.
    ///         `counterpart` may be L1 (this chain) for the Transfer tree: its pair is the last of
    ///         the MintBurn roots.
    /// @param batchIndex  A final batch.
    /// @param chainId     The rollup holding the tree.
    /// @param counterpart The other rollup of the tree's pair.
    /// @param tree        Transfer or Call.
    /// @param outbound    True for the outbound (burn/trigger) tree, false for inbound.
    /// @param leaf        The leg hash.
    /// @param leafIndex   Its index (the leg's nonce). No count is proven: a path from a
    ///                    non-zero leaf to the root shows the index holds that leaf (a zero
    ///                    leaf is never included: it is what an index past the last holds).
    /// @param path        The 32 sibling hashes, leaf level first.
    /// @param proof       `chainId`'s commitment to its roots of `tree`, with the roots.
    /// @return included_  True if the path leads from the leaf to the proven root.
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
    ) external view returns (bool included_);

    /// @notice What batch `batchIndex` is, for a caller who expects it to claim `stateRoot` for
    ///         rollup `chainId` (see BatchState).
    function batchState(uint256 batchIndex, uint256 chainId, bytes32 stateRoot) external view returns (BatchState state_);

    /// @notice The L1 block batch `batchIndex` was accepted in.
    function submittedBlock(uint256 batchIndex) external view returns (uint256 block_);

    /// @notice Strict mode: `chainId`'s outbound root for L1 (MintBurn) as batch `batchIndex`
    ///         proved it, if it changed in that batch (the batch that holds a burn to L1 always
    ///         records it); else zero. Optimistic mode: always zero (exits prove the root).
    function recordedExitRoot(uint256 batchIndex, uint256 chainId) external view returns (bytes32 root_);

    /// @notice The root of `chainId`'s outbound or inbound `tree` for `counterpart` under batch
    ///         `batchIndex`'s stored state root, taken from roots checked against the commitment
    ///         `proof` proves. No finality check (see `batchState`). `counterpart` may be L1 (this
    ///         chain) for the Transfer tree. The L1 bridge proves an exit root once per batch
    ///         with it.
    function provenRoot(
        uint256 batchIndex,
        uint256 chainId,
        uint256 counterpart,
        Tree tree,
        bool outbound,
        CommitmentProof calldata proof
    ) external view returns (bytes32 root_);

    /// @notice The owner moves the submit right to `newSequencer`.
    function setSequencer(address newSequencer) external;

    /// @notice The configured rollups, in submission order.
    function rollups() external view returns (uint256[] memory chainIds_);

    /// @notice Number of accepted (and not invalidated) batches; the next batch's index.
    function batchCount() external view returns (uint256 count_);

    /// @notice The block a rollup's next batch must start at.
    function nextBlock(uint256 chainId) external view returns (uint64 block_);

    /// @notice What was kept of `chainId`'s part of batch `batchIndex`.
    function rollupRecord(uint256 batchIndex, uint256 chainId) external view returns (RollupRecord memory record_);

    /// @notice When batch `batchIndex` was accepted (L1 timestamp).
    function submittedAt(uint256 batchIndex) external view returns (uint256 timestamp_);

    /// @notice Whether batch `batchIndex` is accepted and past its challenge window.
    function isFinal(uint256 batchIndex) external view returns (bool final_);
}
