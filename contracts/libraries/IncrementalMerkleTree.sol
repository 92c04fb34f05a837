// SPDX-License-Identifier: MIT
// Pragma range rather than a pin: the L1 inbox, compiled with 0.8.15 for OP's trie library,
// verifies inclusion proofs with this library too.
// slither-disable-next-line pragma,solc-version -- the range is deliberate (above); each build pins its solc
pragma solidity >=0.8.15 <0.9.0;

/// @title IncrementalMerkleTree
/// @notice Append-only keccak256 Merkle tree of depth 32, after the Ethereum deposit contract.
/// @dev Leaves are hashed pairwise with keccak256(left ++ right). Empty leaves are bytes32(0), so
///      an empty subtree of height h hashes to zeroHash(h), where zeroHash(0) = 0 and
///      zeroHash(h + 1) = keccak256(zeroHash(h) ++ zeroHash(h)).
///
///      The current root is kept in storage (`Tree.root`, the struct's first slot) so that a
///      reader, or a storage proof on L1, needs one slot. A tree with no leaves has root 0 (the
///      slot was never written), not zeroHash(32): both sides of a cross-chain pair start equal.
///
///      An insert hashes 32 times up the path of the new leaf (the empty right siblings come
///      from a table of zero hashes), reads `branch[h]` at each level h
///      where the index has bit h set, and writes three slots: one `branch` entry, the root and
///      the count. `branch[h]` holds the root of the latest complete subtree of height h that is
///      a left child, which is exactly the left sibling any later leaf needs at that height.
library IncrementalMerkleTree {
    /// @notice Height of the tree; it holds 2**32 leaves.
    uint256 internal constant DEPTH = 32;

    /// @notice Number of leaves a tree can hold.
    uint256 internal constant CAPACITY = 1 << DEPTH;

    /// @notice One append-only tree.
    /// @param root    Root over all leaves so far (0 while empty). Slot offset 0.
    /// @param count   Number of leaves so far, which is also the next leaf's index. Offset 1.
    /// @param branch  Left siblings kept for future inserts (see the library notes). Offsets 2-33.
    struct Tree {
        bytes32 root;
        uint256 count;
        bytes32[DEPTH] branch;
    }

    // slither-disable-start too-many-digits -- a table of 32 hashes, checked against zeroHash by a test
    /// @dev zeroHash(0) ... zeroHash(31), 32 bytes each: insert reads them instead of hashing
    ///      64 times per leaf (~2k gas). `zeroHash` recomputes them; a test compares the two.
    bytes private constant _ZERO_HASHES =
        hex"0000000000000000000000000000000000000000000000000000000000000000ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"
        hex"b4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d3021ddb9a356815c3fac1026b6dec5df3124afbadb485c9ba5a3e3398a04b7ba85"
        hex"e58769b32a1beaf1ea27375a44095a0d1fb664ce2dd358e7fcbfb78c26a193440eb01ebfc9ed27500cd4dfc979272d1f0913cc9f66540d7e8005811109e1cf2d"
        hex"887c22bd8750d34016ac3c66b5ff102dacdd73f6b014e710b51e8022af9a1968ffd70157e48063fc33c97a050f7f640233bf646cc98d9524c6b92bcf3ab56f83"
        hex"9867cc5f7f196b93bae1e27e6320742445d290f2263827498b54fec539f756afcefad4e508c098b9a7e1d8feb19955fb02ba9675585078710969d3440f5054e0"
        hex"f9dc3e7fe016e050eff260334f18a5d4fe391d82092319f5964f2e2eb7c1c3a5f8b13a49e282f609c317a833fb8d976d11517c571d1221a265d25af778ecf892"
        hex"3490c6ceeb450aecdc82e28293031d10c7d73bf85e57bf041a97360aa2c5d99cc1df82d9c4b87413eae2ef048f94b4d3554cea73d92b0f7af96e0271c691e2bb"
        hex"5c67add7c6caf302256adedf7ab114da0acfe870d449a3a489f781d659e8beccda7bce9f4e8618b6bd2f4132ce798cdc7a60e7e1460a7299e3c6342a579626d2"
        hex"2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981fe1d3b5c807b281e4683cc6d6315cf95b9ade8641defcb32372f1c126e398ef7a"
        hex"5a2dce0a8a7f68bb74560f8f71837c2c2ebbcbf7fffb42ae1896f13f7c7479a0b46a28b6f55540f89444f63de0378e3d121be09e06cc9ded1c20e65876d36aa0"
        hex"c65e9645644786b620e2dd2ad648ddfcbf4a7e5b1a3a4ecfe7f64667a3f0b7e2f4418588ed35a2458cffeb39b93d26f18d2ab13bdce6aee58e7b99359ec2dfd9"
        hex"5a9c16dc00d6ef18b7933a6f8dc65ccb55667138776f7dea101070dc8796e3774df84f40ae0c8229d0d6069e5c8f39a7c299677a09d367fc7b05e3bc380ee652"
        hex"cdc72595f74c7b1043d0e1ffbab734648c838dfb0527d971b602bc216c9619ef0abf5ac974a1ed57f4050aa510dd9c74f508277b39d7973bb2dfccc5eeb0618d"
        hex"b8cd74046ff337f0a7bf2c8e03e10f642c1886798d71806ab1e888d9e5ee87d0838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e"
        hex"662ee4dd2dd7b2bc707961b1e646c4047669dcb6584f0d8d770daf5d7e7deb2e388ab20e2573d171a88108e79d820e98f26c0b84aa8b2f4aa4968dbb818ea322"
        hex"93237c50ba75ee485f4c22adf2f741400bdf8d6a9cc7df7ecae576221665d7358448818bb4ae4562849e949e17ac16e0be16688e156b5cf15e098c627c0056a9";
    // slither-disable-end too-many-digits

    /// @dev The tree already holds CAPACITY leaves.
    error MerkleTreeFull();

    /// @notice Append `leaf` and update the stored root.
    /// @param tree  The tree to append to.
    /// @param leaf  The new leaf.
    /// @return index_ Position of the new leaf (the count before the insert).
    /// @return root_  Root after the insert.
    function insert(Tree storage tree, bytes32 leaf) internal returns (uint256 index_, bytes32 root_) {
        index_ = tree.count;
        if (index_ >= CAPACITY) revert MerkleTreeFull();

        bytes32 node = leaf;
        bytes memory zeros = _ZERO_HASHES; // zeroHash(h): the right sibling while the index has bit h clear
        bool branchUpdated = false;
        for (uint256 h; h < DEPTH; ++h) {
            if ((index_ >> h) & 1 == 1) {
                node = hashPair(tree.branch[h], node);
            } else {
                // The lowest clear bit marks the height at which the new leaf completes a left
                // subtree: remember it for the leaves that will sit to its right.
                if (!branchUpdated) {
                    tree.branch[h] = node;
                    branchUpdated = true;
                }
                node = hashPair(node, _word(zeros, h));
            }
        }
        root_ = node;
        tree.root = root_;
        // Cannot overflow: index_ < CAPACITY = 2**32.
        unchecked {
            tree.count = index_ + 1;
        }
    }

    /// @notice Root of a depth-32 tree that holds `leaf` at `index`, given the 32 sibling hashes
    ///         from the leaf upwards. Compare it with a known root to verify inclusion.
    /// @param leaf   The leaf whose inclusion is claimed.
    /// @param index  Its position in the tree.
    /// @param proof  Sibling hashes, proof[0] next to the leaf.
    /// @return node_ The root implied by the proof.
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[DEPTH] memory proof)
        internal
        pure
        returns (bytes32 node_)
    {
        node_ = leaf;
        for (uint256 h; h < DEPTH; ++h) {
            node_ = (index >> h) & 1 == 1 ? hashPair(proof[h], node_) : hashPair(node_, proof[h]);
        }
    }

    /// @dev The `index`-th 32-byte word of `words`.
    /// @param words A byte array of whole words.
    /// @param index Which word (in range: the caller's loop bound; not checked).
    /// @return word_ The word.
    function _word(bytes memory words, uint256 index) private pure returns (bytes32 word_) {
        // slither-disable-next-line assembly -- one mload inside a bytes array the caller sized
        assembly ("memory-safe") {
            word_ := mload(add(add(words, 0x20), shl(5, index)))
        }
    }

    /// @notice Root of a depth-32 tree whose leaves are `leaves` (in order, then empty), as if
    ///         they had been inserted one by one; 0 for no leaves.
    /// @param leaves The leaves (at most CAPACITY).
    /// @return root_ The root.
    function rootOf(bytes32[] calldata leaves) internal pure returns (bytes32 root_) {
        uint256 n = leaves.length;
        if (n == 0) return bytes32(0);
        if (n > CAPACITY) revert MerkleTreeFull();
        bytes32[] memory level = leaves;
        bytes memory zeros = _ZERO_HASHES;
        for (uint256 h; h < DEPTH; ++h) {
            uint256 parents = (n + 1) / 2;
            for (uint256 i; i < parents; ++i) {
                bytes32 right = 2 * i + 1 < n ? level[2 * i + 1] : _word(zeros, h);
                level[i] = hashPair(level[2 * i], right);
            }
            n = parents;
        }
        root_ = level[0];
    }

    /// @notice Hash of an empty subtree of height `height`.
    /// @param height Height of the subtree (0 is a single empty leaf).
    /// @return zero_ zeroHash(height).
    function zeroHash(uint256 height) internal pure returns (bytes32 zero_) {
        for (uint256 h; h < height; ++h) {
            zero_ = hashPair(zero_, zero_);
        }
    }

    /// @notice keccak256(left ++ right), in scratch space.
    /// @param left  Left child.
    /// @param right Right child.
    /// @return parent_ The parent node.
    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 parent_) {
        // slither-disable-next-line assembly -- two words hashed in scratch space, memory-safe
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            parent_ := keccak256(0x00, 0x40)
        }
    }
}
