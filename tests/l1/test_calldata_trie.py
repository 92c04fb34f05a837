"""CalldataTrie (the inbox's hand-written Merkle-Patricia proof check) against OP's audited
SecureMerkleTrie, on the same inputs through contracts/test/TrieHarness.sol.

Tries are built with py-trie (`trie.HexaryTrie`) under hashed 32-byte keys, as Ethereum's state
and storage tries are, with RLP values of random length. For a key in the trie both libraries
return its value; for a key that is not, or a damaged proof, both revert; and on any input,
whenever one returns, the other returns the same bytes. Hypothesis profile: tests/conftest.py
(`thorough` runs 2,000 examples of each)."""

from __future__ import annotations

import ape
import pytest
import rlp
from eth_abi import decode
from eth_utils import keccak
from hexbytes import HexBytes
from hypothesis import given
from hypothesis import strategies as st
from trie import HexaryTrie
from web3.exceptions import ContractCustomError, ContractLogicError

from tests.support.proofs import damage_nodes

EXAMPLES = {"present": 0, "damaged": 0}


@pytest.fixture(scope="module")
def harness(project, owner):
    return owner.deploy(project.TrieHarness)


def _trie(entries: dict[bytes, bytes]) -> HexaryTrie:
    trie = HexaryTrie({})
    for preimage, value in entries.items():
        trie[keccak(preimage)] = value
    return trie


def _proof(trie: HexaryTrie, preimage: bytes) -> list[bytes]:
    return [rlp.encode(node) for node in trie.get_proof(keccak(preimage))]


def _outcome(call, *args) -> tuple[bool, bytes | None]:
    """(returned, value) of an eth_call straight through web3 (ape's revert enrichment takes
    seconds per call): a revert of any kind is (False, None)."""
    web3 = call.contract.chain_manager.provider.web3
    try:
        reply = web3.eth.call({"to": call.contract.address, "data": call.encode_input(*args)})
    except (ContractLogicError, ContractCustomError):
        return False, None
    return True, decode(["bytes"], reply)[0]


entries = st.dictionaries(st.binary(min_size=32, max_size=32),
                          st.binary(min_size=1, max_size=90).map(rlp.encode), min_size=1, max_size=80)


@given(entries=entries, data=st.data())
def test_a_present_key_gives_the_same_value_in_both_libraries(harness, entries, data):
    trie = _trie(entries)
    preimage = data.draw(st.sampled_from(sorted(entries)), label="key")
    proof = _proof(trie, preimage)
    assert bytes(harness.ours(preimage, proof, trie.root_hash)) == entries[preimage]
    assert bytes(harness.op(preimage, proof, trie.root_hash)) == entries[preimage]
    EXAMPLES["present"] += 1


@given(entries=entries, data=st.data())
def test_damaged_proofs_and_absent_keys_agree_with_op(harness, entries, data):
    trie = _trie(entries)
    absent = data.draw(st.booleans(), label="absent key")
    if absent:
        preimage = data.draw(st.binary(min_size=32, max_size=32).filter(lambda k: k not in entries), label="key")
        proof = _proof(trie, preimage)
    else:
        preimage = data.draw(st.sampled_from(sorted(entries)), label="key")
        proof = damage_nodes(_proof(trie, preimage), data)
    ours = _outcome(harness.ours, preimage, proof, trie.root_hash)
    theirs = _outcome(harness.op, preimage, proof, trie.root_hash)
    if ours[0] or theirs[0]:  # whatever either accepts, both accept, with the stored value
        assert ours == theirs and ours[1] == entries.get(preimage), (ours, theirs)
    EXAMPLES["damaged"] += 1


def test_every_forged_inner_node_is_refused_at_its_hash(harness):
    """Swap in, at each depth below the root, a node that differs from the real one only off the
    key's path (a sibling's reference) or only in the value (the leaf): the path still leads to
    the key, so only the hash check stands between it and a forged value."""
    entries = {keccak(bytes([i])): rlp.encode(b"value %d" % i) for i in range(60)}
    trie = _trie(entries)
    preimage = keccak(bytes([7]))
    proof = _proof(trie, preimage)
    assert len(proof) >= 3, "the trie should be deep enough to have inner nodes"
    for depth in range(1, len(proof)):
        items = rlp.decode(proof[depth])
        if len(items) == 2:
            items[1] = rlp.encode(b"forged")
        else:
            on_path = items.index(keccak(proof[depth + 1])) if depth + 1 < len(proof) else None
            sibling = next(i for i in range(16) if i != on_path and items[i])
            items[sibling] = keccak(b"forged")
        forged = proof[:depth] + [rlp.encode(items)] + proof[depth + 1:]
        with ape.reverts(harness.TrieBadNodeHash, index=depth):
            harness.ours(preimage, forged, trie.root_hash)
        assert not _outcome(harness.op, preimage, forged, trie.root_hash)[0]


def test_real_state_and_storage_proofs_from_anvil_pass_both(harness, chain, mint_burn):
    """eth_getProof from the node itself (the inbox's input), for an account and slot 4."""
    web3 = chain.provider.web3
    block = web3.eth.block_number
    reply = web3.manager.request_blocking("eth_getProof", [mint_burn.address, ["0x" + "00" * 31 + "04"], hex(block)])
    state_root = web3.eth.get_block(block)["stateRoot"]
    account = [HexBytes(node) for node in reply["accountProof"]]
    preimage = bytes.fromhex(mint_burn.address[2:])
    assert bytes(harness.ours(preimage, account, state_root)) == bytes(harness.op(preimage, account, state_root))
    storage = [HexBytes(node) for node in reply["storageProof"][0]["proof"]]
    slot = (4).to_bytes(32, "big")
    storage_root = HexBytes(reply["storageHash"])
    value = bytes(harness.ours(slot, storage, storage_root))
    assert value == bytes(harness.op(slot, storage, storage_root))
    assert rlp.decode(value) == bytes(mint_burn.rootsCommitment()).lstrip(b"\0")
    print(f"\ncalldata trie: {EXAMPLES['present']} present-key and {EXAMPLES['damaged']} damaged/absent examples "
          "agreed with OP's SecureMerkleTrie")
