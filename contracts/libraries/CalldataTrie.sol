// SPDX-License-Identifier: MIT
// slither-disable-next-line solc-version -- compiled with 0.8.15 beside OP's libraries (README, Toolchain)
pragma solidity ^0.8.15;

/// @title CalldataTrie
/// @notice Inclusion proofs in an Ethereum Merkle-Patricia trie with 32-byte (hashed) keys, the
///         state and storage tries, read in place from calldata.
/// @dev Why not OP's audited `SecureMerkleTrie`: it copies the proof to memory and decodes every
///      item of every node into memory structures, about 90k gas per proof, and a strict batch
///      checks four proofs per rollup. This walks each node once in calldata and decodes only the
///      item headers it steps over and the one child it follows (about 10k gas per proof).
///      `tests/l1/test_calldata_trie.py` checks it against OP's library on random tries and on
///      damaged proofs: both return the same value or both revert.
///
///      What it accepts: `proof` is eth_getProof's list of nodes, root first, each node the RLP
///      of a branch (17 items) or of a leaf or extension (2 items: hex-prefix path, then the
///      value or the child). Each node must hash to the reference its parent holds (the root to
///      `root`); the path must lead to a leaf holding the whole key, which must be the last node.
///      It proves inclusion only: an absent key reverts (`TrieKeyNotFound`), as does a child
///      embedded in its parent (shorter than 32 bytes): with hashed 32-byte keys a leaf keeps a
///      path of about 30 bytes, so a real node under a hashed key is never that short.
library CalldataTrie {
    /// @dev Proof node `index` does not hash to the reference its parent holds.
    error TrieBadNodeHash(uint256 index);

    /// @dev Proof node `index` is not a well-formed branch, extension or leaf.
    error TrieMalformedNode(uint256 index);

    /// @dev The key is not in the trie along this proof (an empty branch slot or another path).
    error TrieKeyNotFound(uint256 index);

    /// @dev Proof node `index` refers to a child embedded in it, which hashed keys never need.
    error TrieInlineNode(uint256 index);

    /// @dev The proof ends before reaching a leaf, or goes on after it.
    error TrieWrongProofLength(uint256 length);

    uint256 private constant _BRANCH_ITEMS = 17;
    uint256 private constant _KEY_NIBBLES = 64;

    /// @notice The value stored under `key` in the trie whose root hash is `root`.
    /// @param key   The trie key: keccak256 of the account address or of the storage slot.
    /// @param proof The nodes from the root to the key's leaf.
    /// @param root  The trie's root hash (a state root or an account's storage root).
    /// @return value_ The leaf's value (the payload of its RLP string), as a slice of `proof`.
    function get(bytes32 key, bytes[] calldata proof, bytes32 root) internal pure returns (bytes calldata value_) {
        // slither-disable-next-line uninitialized-local -- _splitList writes every entry that is read
        uint256[_BRANCH_ITEMS] memory items;
        uint256 consumed = 0; // key nibbles matched so far
        for (uint256 n; n < proof.length; ++n) {
            bytes calldata node = proof[n];
            if (keccak256(node) != root) revert TrieBadNodeHash(n); // `root`: the reference followed
            uint256 leafValue;
            (root, consumed, leafValue) = _follow(node, key, consumed, n, items);
            if (leafValue != 0) {
                if (n + 1 != proof.length) revert TrieWrongProofLength(proof.length);
                return _leafValue(node, leafValue, n);
            }
        }
        revert TrieWrongProofLength(proof.length);
    }

    /// @dev One step down: from node `n`, the reference to the next node and the key nibbles
    ///      matched after it; or, for a leaf, the offset of its value item (else 0).
    function _follow(bytes calldata node, bytes32 key, uint256 consumed, uint256 n,
                     uint256[_BRANCH_ITEMS] memory items)
        private
        pure
        returns (bytes32 next_, uint256 consumed_, uint256 leafValue_)
    {
        uint256 count = _splitList(node, n, items);
        if (count == 2) {
            bool leaf;
            (leaf, consumed_) = _matchPath(node, items[0], key, consumed, n);
            if (leaf) {
                if (consumed_ != _KEY_NIBBLES) revert TrieKeyNotFound(n);
                return (bytes32(0), consumed_, items[1]);
            }
            next_ = _childReference(node, items[1], n);
        } else if (count == _BRANCH_ITEMS && consumed < _KEY_NIBBLES) { // 32-byte keys end in leaves
            next_ = _childReference(node, items[_nibble(key, consumed)], n);
            consumed_ = consumed + 1;
        } else {
            revert TrieMalformedNode(n);
        }
    }

    /// @dev The value of leaf node `n`: the payload of the RLP string at `offset`.
    function _leafValue(bytes calldata node, uint256 offset, uint256 n) private pure returns (bytes calldata value_) {
        (bool isList, uint256 start, uint256 length) = _header(node, offset, node.length, n);
        if (isList) revert TrieMalformedNode(n);
        value_ = node[start:start + length];
    }

    /// @dev Split RLP list `node` into its items: their header offsets go into `items`, the
    ///      count is returned (reverts past 17 items or if the list does not fill `node` exactly).
    function _splitList(bytes calldata node, uint256 n, uint256[_BRANCH_ITEMS] memory items)
        private
        pure
        returns (uint256 count_)
    {
        unchecked { // offsets and lengths stay below 2**40 (lengths take at most 4 bytes)
            (bool isList, uint256 cursor, uint256 length) = _header(node, 0, node.length, n);
            uint256 end = cursor + length;
            if (!isList || end != node.length) revert TrieMalformedNode(n);
            while (cursor < end) {
                if (count_ == _BRANCH_ITEMS) revert TrieMalformedNode(n);
                items[count_++] = cursor;
                (, uint256 start, uint256 itemLength) = _header(node, cursor, end, n);
                cursor = start + itemLength;
            }
        }
    }

    /// @dev The hash a branch slot or an extension refers to: a 32-byte string. An empty string
    ///      means the key is absent; anything else is an embedded node.
    function _childReference(bytes calldata node, uint256 offset, uint256 n) private pure returns (bytes32 hash_) {
        (bool isList, uint256 start, uint256 length) = _header(node, offset, node.length, n);
        if (!isList && length == 0) revert TrieKeyNotFound(n);
        if (isList || length != 32) revert TrieInlineNode(n);
        hash_ = bytes32(node[start:start + 32]);
    }

    /// @dev Match the hex-prefix path of a leaf or extension against the key from nibble
    ///      `consumed` on. Returns whether the node is a leaf and how many nibbles are now
    ///      matched; reverts with TrieKeyNotFound where the path leaves the key.
    function _matchPath(bytes calldata node, uint256 offset, bytes32 key, uint256 consumed, uint256 n)
        private
        pure
        returns (bool leaf_, uint256 consumed_)
    {
        (bool isList, uint256 start, uint256 length) = _header(node, offset, node.length, n);
        if (isList || length == 0) revert TrieMalformedNode(n);
        uint256 flag = uint8(node[start]) >> 4;
        if (flag > 3) revert TrieMalformedNode(n);
        leaf_ = flag >= 2;
        uint256 skip = flag % 2 == 1 ? 1 : 2; // odd paths keep a nibble in the flag byte
        consumed_ = consumed + 2 * length - skip;
        if (consumed_ > _KEY_NIBBLES || !_pathMatches(node[start:start + length], skip, key, consumed)) {
            revert TrieKeyNotFound(n);
        }
    }

    /// @dev Whether the nibbles of hex-prefix `path` after the first `skip` (1 or 2) equal the
    ///      key's from nibble `from` on (the caller checked that the key is long enough, so the
    ///      path has at most 64 nibbles). Compares one left-aligned word of each.
    function _pathMatches(bytes calldata path, uint256 skip, bytes32 key, uint256 from)
        private
        pure
        returns (bool matches_)
    {
        uint256 nibbles = 2 * path.length - skip;
        uint256 word = uint256(bytes32(path[1:])); // the full bytes after the flag byte
        if (skip == 1) word = (uint256(uint8(path[0]) & 0x0f) << 252) | (word >> 4);
        uint256 mask = nibbles == 0 ? 0 : type(uint256).max << (256 - 4 * nibbles);
        matches_ = word & mask == (uint256(key) << (4 * from)) & mask;
    }

    /// @dev The header of the RLP item at `offset`, whose payload must end by `limit`:
    ///      whether it is a list, where its payload starts and how long it is.
    function _header(bytes calldata data, uint256 offset, uint256 limit, uint256 n)
        private
        pure
        returns (bool isList_, uint256 start_, uint256 length_)
    {
        unchecked { // offsets and lengths stay below 2**40 (lengths take at most 4 bytes)
            if (offset >= limit) revert TrieMalformedNode(n);
            uint256 prefix = uint8(data[offset]);
            if (prefix < 0x80) return (false, offset, 1);
            if (prefix < 0xb8) {
                (start_, length_) = (offset + 1, prefix - 0x80);
            } else if (prefix < 0xc0) {
                (start_, length_) = _longLength(data, offset, prefix - 0xb7, limit, n);
            } else if (prefix < 0xf8) {
                (isList_, start_, length_) = (true, offset + 1, prefix - 0xc0);
            } else {
                isList_ = true;
                (start_, length_) = _longLength(data, offset, prefix - 0xf7, limit, n);
            }
            if (start_ + length_ > limit) revert TrieMalformedNode(n);
        }
    }

    /// @dev A long RLP length: `size` big-endian bytes after the prefix (at most 4: a node is
    ///      far below 4 GB, and this keeps the sums from overflowing).
    function _longLength(bytes calldata data, uint256 offset, uint256 size, uint256 limit, uint256 n)
        private
        pure
        returns (uint256 start_, uint256 length_)
    {
        unchecked { // offsets and lengths stay below 2**40 (lengths take at most 4 bytes)
            start_ = offset + 1 + size;
            if (size > 4 || start_ > limit) revert TrieMalformedNode(n);
            for (uint256 i = offset + 1; i < start_; ++i) {
                length_ = (length_ << 8) | uint8(data[i]);
            }
        }
    }

    /// @dev Nibble `i` (0 = most significant) of `key`.
    function _nibble(bytes32 key, uint256 i) private pure returns (uint256 nibble_) {
        nibble_ = (uint256(key) >> (4 * (_KEY_NIBBLES - 1 - i))) & 0x0f;
    }
}
