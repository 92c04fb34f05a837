// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IBatchInbox} from "../interfaces/IBatchInbox.sol";
import {IL1Bridge} from "../interfaces/IL1Bridge.sol";
import {IncrementalMerkleTree} from "../libraries/IncrementalMerkleTree.sol";
import {BridgeableToken} from "../BridgeableToken.sol";

/// @title L1Bridge
/// @notice See IL1Bridge. The BatchInbox creates it in its constructor (so each knows the
///         other without a setter: the inbox is `msg.sender` here), and it creates the L1 token.
/// @dev Trees: per rollup an outbound tree (deposits) and an inbound tree (finalized exits), each
///      seeded with the genesis leaf like the system contracts' trees. Every deposit records the
///      count its root stands for and its L1 block, so the inbox can check that a rollup's
///      inbound tree from L1 is a prefix of the deposit tree, and that the first deposit it has
///      not served is younger than the deposit window. Exits may be finalized in any order; a
///      bitmap by nonce (256 to a slot) keeps each to one finalization. The root an exit is
///      proven against is proven once per (batch, rollup) and kept: a commitment proof is the
///      bulk of an exit's cost (two Merkle-Patricia proofs), a Merkle path is 32 hashes.
contract L1Bridge is IL1Bridge {
    using IncrementalMerkleTree for IncrementalMerkleTree.Tree;

    /// @notice Leaf 0 of every tree (the same as CounterpartTrees.GENESIS_LEAF).
    bytes32 public constant GENESIS_LEAF = keccak256("shared-validity-sequencer.genesis-leaf");

    /// @notice The inbox whose batches exits are proven against (the creator of this bridge).
    IBatchInbox public immutable INBOX;

    /// @notice The project's token on the rollups (the address legs carry).
    address public immutable ROLLUP_TOKEN;

    /// @notice The project's token on L1, created by this bridge, which alone mints and burns it.
    BridgeableToken public immutable L1_TOKEN;

    mapping(uint256 rollup => IncrementalMerkleTree.Tree) private _depositTrees;
    mapping(uint256 rollup => IncrementalMerkleTree.Tree) private _exitTrees;
    mapping(uint256 rollup => mapping(bytes32 root => uint256 count)) private _depositCountOf;
    mapping(uint256 rollup => mapping(uint256 nonce => uint256 l1Block)) private _depositBlock;
    mapping(uint256 rollup => mapping(uint256 word => uint256 bits)) private _exitsFinalized;
    mapping(bytes32 batchKey => bytes32 root) private _exitRoots;

    /// @param rollupToken_  The project's token on the rollups (legs carry this address).
    /// @param rollups_      The inbox's rollups (distinct, non-zero, not L1).
    /// @param name_         The L1 token's name.
    /// @param symbol_       The L1 token's symbol.
    /// @param holder_       Receives the L1 token's initial supply.
    /// @param supply_       The L1 token's initial supply.
    constructor(
        address rollupToken_,
        uint256[] memory rollups_,
        string memory name_,
        string memory symbol_,
        address holder_,
        uint256 supply_
    ) {
        if (rollupToken_ == address(0) || rollups_.length == 0) revert BridgeInvalidConfig();
        INBOX = IBatchInbox(msg.sender);
        ROLLUP_TOKEN = rollupToken_;
        for (uint256 i; i < rollups_.length; ++i) {
            uint256 rollup = rollups_[i];
            if (rollup == 0 || rollup == block.chainid || _depositTrees[rollup].count != 0) revert BridgeInvalidConfig();
            // slither-disable-next-line unused-return -- the genesis leaf's index (0) is not needed
            (, bytes32 root) = _depositTrees[rollup].insert(GENESIS_LEAF);
            _depositCountOf[rollup][root] = 1;
            // slither-disable-next-line unused-return -- likewise
            _exitTrees[rollup].insert(GENESIS_LEAF);
        }
        L1_TOKEN = new BridgeableToken(name_, symbol_, address(this), holder_, supply_);
    }

    /// @inheritdoc IL1Bridge
    function deposit(uint256 rollup, address recipient, address token, uint256 amount)
        external
        returns (uint256 nonce_)
    {
        IncrementalMerkleTree.Tree storage tree = _depositTrees[rollup];
        if (tree.count == 0) revert BridgeUnknownRollup(rollup);
        if (recipient == address(0)) revert BridgeZeroRecipient();
        if (amount == 0) revert BridgeZeroAmount();
        if (token != address(L1_TOKEN)) revert BridgeUnsupportedToken(token);

        nonce_ = tree.count;
        bytes32 leaf = _legHash(block.chainid, rollup, nonce_, msg.sender, recipient, amount);
        // slither-disable-next-line unused-return -- the leaf's index is nonce_, read above
        (, bytes32 root) = tree.insert(leaf);
        _depositCountOf[rollup][root] = nonce_ + 1;
        _depositBlock[rollup][nonce_] = block.number;
        emit DepositLeg(rollup, nonce_, msg.sender, recipient, ROLLUP_TOKEN, amount, leaf);

        L1_TOKEN.crosschainBurn(msg.sender, amount); // the bridge's own token: a failed burn reverts it all
    }

    /// @inheritdoc IL1Bridge
    function finalizeExit(Exit calldata exit, ExitProof calldata proof) external {
        if (_exitTrees[exit.rollup].count == 0) revert BridgeUnknownRollup(exit.rollup);
        if (exit.token != ROLLUP_TOKEN) revert BridgeUnsupportedToken(exit.token);
        (uint256 word, uint256 bit) = (exit.nonce >> 8, uint256(1) << (exit.nonce & 0xff));
        if (_exitsFinalized[exit.rollup][word] & bit != 0) revert BridgeExitReplayed(exit.rollup, exit.nonce);
        _requireFinal(exit.rollup, proof.batchIndex, proof.stateRoot);
        bytes32 leaf = _legHash(exit.rollup, block.chainid, exit.nonce, exit.sender, exit.recipient, exit.amount);
        bytes32 root = _exitRoot(exit.rollup, proof);
        if (exit.nonce >= IncrementalMerkleTree.CAPACITY || IncrementalMerkleTree.rootFromProof(leaf, exit.nonce, proof.path) != root) {
            revert BridgeExitNotProven(exit.rollup, exit.nonce, leaf);
        }

        _exitsFinalized[exit.rollup][word] |= bit;
        // slither-disable-next-line unused-return -- the record's index and root are not needed here
        _exitTrees[exit.rollup].insert(leaf);
        emit ExitFinalized(exit.rollup, exit.nonce, exit.recipient, exit.sender, exit.token, exit.amount, leaf);

        L1_TOKEN.crosschainMint(exit.recipient, exit.amount); // the bridge's own token, after every effect
    }

    /// @inheritdoc IL1Bridge
    function depositCount(uint256 rollup) external view returns (uint256 count_) {
        count_ = _depositTrees[rollup].count;
    }

    /// @inheritdoc IL1Bridge
    function depositRoot(uint256 rollup) external view returns (bytes32 root_) {
        root_ = _depositTrees[rollup].root;
    }

    /// @inheritdoc IL1Bridge
    function depositCountOf(uint256 rollup, bytes32 root) external view returns (uint256 count_) {
        count_ = _depositCountOf[rollup][root];
    }

    /// @inheritdoc IL1Bridge
    function depositBlock(uint256 rollup, uint256 nonce) external view returns (uint256 block_) {
        block_ = _depositBlock[rollup][nonce];
    }

    /// @inheritdoc IL1Bridge
    function exitCount(uint256 rollup) external view returns (uint256 count_) {
        count_ = _exitTrees[rollup].count;
    }

    /// @inheritdoc IL1Bridge
    function exitRoot(uint256 rollup) external view returns (bytes32 root_) {
        root_ = _exitTrees[rollup].root;
    }

    /// @inheritdoc IL1Bridge
    function exitFinalized(uint256 rollup, uint256 nonce) external view returns (bool finalized_) {
        finalized_ = _exitsFinalized[rollup][nonce >> 8] & (uint256(1) << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IL1Bridge
    function exitRootOf(uint256 batchIndex, uint256 rollup, bytes32 stateRoot) external view returns (bytes32 root_) {
        root_ = _exitRoots[_batchKey(batchIndex, rollup, stateRoot)];
    }

    /// @dev The rollup's outbound root for L1 under the proof's batch: recorded by a strict inbox
    ///      when the proof brings no commitment, kept from an earlier exit, or proven now from the
    ///      commitment (and kept). A recorded or kept root is never zero.
    function _exitRoot(uint256 rollup, ExitProof calldata proof) private returns (bytes32 root_) {
        if (proof.commitment.roots.length == 0) {
            root_ = INBOX.recordedExitRoot(proof.batchIndex, rollup);
            if (root_ != bytes32(0)) return root_;
        }
        bytes32 key = _batchKey(proof.batchIndex, rollup, proof.stateRoot);
        root_ = _exitRoots[key];
        if (root_ != bytes32(0)) return root_;
        root_ = INBOX.provenRoot(proof.batchIndex, rollup, block.chainid, IBatchInbox.Tree.Transfer, true, proof.commitment);
        _exitRoots[key] = root_;
        emit ExitRootProven(proof.batchIndex, rollup, proof.stateRoot, root_);
    }

    /// @dev Where the root proven for (batch, rollup, claimed state root) is kept.
    function _batchKey(uint256 batchIndex, uint256 rollup, bytes32 stateRoot) private pure returns (bytes32 key_) {
        key_ = keccak256(abi.encode(batchIndex, rollup, stateRoot));
    }

    /// @dev Revert unless batch `batchIndex` is accepted with `stateRoot` for `rollup`, and final.
    function _requireFinal(uint256 rollup, uint256 batchIndex, bytes32 stateRoot) private view {
        IBatchInbox.BatchState state = INBOX.batchState(batchIndex, rollup, stateRoot);
        if (state == IBatchInbox.BatchState.Unknown) revert BridgeUnknownBatch(batchIndex);
        if (state == IBatchInbox.BatchState.Voided) revert BridgeBatchVoided(batchIndex);
        if (state == IBatchInbox.BatchState.Pending) revert BridgeBatchNotFinal(batchIndex);
    }

    /// @dev The leg hash of IMintBurnSystemContract, at height 0, for the project's token.
    function _legHash(
        uint256 source,
        uint256 destination,
        uint256 nonce,
        address sender,
        address recipient,
        uint256 amount
    ) private view returns (bytes32) {
        return keccak256(abi.encode(source, destination, nonce, uint256(0), sender, recipient, ROLLUP_TOKEN, amount));
    }
}
