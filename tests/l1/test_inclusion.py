"""The inbox's message-inclusion view agrees with the Python tree's proofs (svs/codec/merkle.py)."""

from __future__ import annotations

import pytest
from web3.exceptions import ContractCustomError

from svs.codec.merkle import MerkleTree
from svs.l1.proofs import commitment_proof

TRANSFER, CALL = 0, 1


def _included(net, mode, index, chain_id, counterpart, tree, outbound, leaf, leaf_index, path):
    inbox = net.inboxes[mode]
    record = inbox.record(index, chain_id)
    contract = net.contracts["MintBurnSystemContract" if tree == TRANSFER else "GeneralSystemContract"]
    proof = commitment_proof(net.rpc[chain_id], contract, record["lastBlock"])
    return inbox.contract.functions.verifyMessageInclusion(
        index, chain_id, counterpart, tree, outbound, leaf, leaf_index, path, proof.as_abi()).call()


def test_every_leg_is_proven_included_on_both_sides_with_python_paths(net):
    a, b = net.chain_ids
    legs = net.transfers(a, b, 5)
    call = net.call(a, b)
    net.post("strict")
    transfers = MerkleTree.seeded([leg.leg_hash() for leg in legs])
    assert "0x" + transfers.root().hex() == net.tree(a, "MintBurnSystemContract", "outbound", b)[0]
    for leg in legs:
        path = transfers.proof(leg.nonce)
        assert _included(net, "strict", 0, a, b, TRANSFER, True, leg.leg_hash(), leg.nonce, path)  # burn tree
        assert _included(net, "strict", 0, b, a, TRANSFER, False, leg.leg_hash(), leg.nonce, path)  # mint tree
    calls = MerkleTree.seeded([call.leg_hash()])
    assert _included(net, "strict", 0, b, a, CALL, False, call.leg_hash(), call.nonce, calls.proof(call.nonce))


def test_wrong_leaf_index_or_path_is_not_included(net):
    a, b = net.chain_ids
    legs = net.transfers(a, b, 3)
    net.post("strict")
    tree = MerkleTree.seeded([leg.leg_hash() for leg in legs])
    leg = legs[1]
    path = tree.proof(leg.nonce)
    assert not _included(net, "strict", 0, a, b, TRANSFER, True, legs[0].leg_hash(), leg.nonce, path)
    assert not _included(net, "strict", 0, a, b, TRANSFER, True, leg.leg_hash(), leg.nonce + 1, path)
    assert not _included(net, "strict", 0, a, b, TRANSFER, False, leg.leg_hash(), leg.nonce, path)  # b never sent it
    # Past the count: the zero leaf after the last one has a valid path, but no message is there
    # (counts are not proven: the inbox refuses a zero leaf instead).
    beyond = tree.count
    padded = MerkleTree.seeded([x.leg_hash() for x in legs] + [b"\0" * 32])
    assert not _included(net, "strict", 0, a, b, TRANSFER, True, b"\0" * 32, beyond, padded.proof(beyond))


def test_inclusion_waits_for_the_challenge_window_in_optimistic_mode(net):
    a, b = net.chain_ids
    legs = net.transfers(a, b, 1)
    net.post("optimistic")
    path = MerkleTree.seeded([legs[0].leg_hash()]).proof(1)
    with pytest.raises(ContractCustomError):
        _included(net, "optimistic", 0, a, b, TRANSFER, True, legs[0].leg_hash(), 1, path)
    net.rpc_l1("evm_increaseTime", 3601)
    net.rpc_l1("evm_mine")
    assert _included(net, "optimistic", 0, a, b, TRANSFER, True, legs[0].leg_hash(), 1, path)
