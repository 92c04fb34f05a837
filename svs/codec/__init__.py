"""Encodings, no I/O: RLP, raw transactions, the sequencer's signer, leg hashes, Merkle trees, storage
slots, block headers, L1 batch data, revert reasons."""
