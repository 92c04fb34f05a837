"""BatchInbox against real rollup state: honest batches are accepted, and every kind of lie or
malformed submission is rejected (strict) or successfully challenged (optimistic)."""

from __future__ import annotations

import pytest

from svs.codec.batches import Batch
from svs.codec.hashing import keccak
from svs.codec.headers import HeaderError, header_rlp
from svs.codec.layout import tree_slots
from svs.deploy import accounts
from svs.l1.inbox import InboxRejected
from svs.l1.proofs import ContractProof, tree_proof

from .conftest import as_account

MINT_BURN = "MintBurnSystemContract"


def test_honest_batches_are_accepted_across_many_ticks_in_strict_mode(net):
    inbox = net.inboxes["strict"]
    a, b = net.chain_ids
    for round_ in range(4):
        net.transfers(a, b, 3)
        net.transfers(b, a, 2)
        net.call(a, b)
        before = {c: inbox.next_block(c) for c in net.chain_ids}
        index = inbox.batch_count()
        batches, proofs = net.collect("strict")
        inbox.submit(batches, proofs)
        assert inbox.batch_count() == index + 1 == round_ + 1
        for batch in batches:
            record = inbox.record(index, batch.chain_id)
            assert (record["firstBlock"], record["lastBlock"]) == (before[batch.chain_id], batch.last_block)
            assert record["stateRoot"] == batch.state_root and record["blockHash"] == batch.block_hash
            assert record["dataHash"] == batch.data_hash
            assert inbox.next_block(batch.chain_id) == batch.last_block + 1


def test_honest_batches_are_accepted_in_optimistic_mode_and_become_final(net):
    inbox = net.inboxes["optimistic"]
    a, b = net.chain_ids
    for _ in range(3):
        net.transfers(a, b, 2)
        net.call(b, a)
        net.post("optimistic")
    assert inbox.batch_count() == 3
    assert not inbox.contract.functions.isFinal(2).call()  # window open
    net.rpc_l1("evm_increaseTime", 3601)
    net.rpc_l1("evm_mine")
    assert all(inbox.contract.functions.isFinal(i).call() for i in range(3))


def _strict_rejection(net) -> str:
    batches, proofs = net.collect("strict")
    with pytest.raises(InboxRejected) as err:
        net.inboxes["strict"].submit(batches, proofs)
    assert net.inboxes["strict"].batch_count() == 0
    return err.value.reason


def test_dropped_mint_is_rejected_naming_the_pair_and_tree(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1, mint=False)
    reason = _strict_rejection(net)
    assert reason.startswith(f"InboxPairMismatch(source={a}, destination={b}, tree=0,")
    assert "sourceCount=2, destinationCount=1" in reason


def test_mint_without_burn_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(b, a, 1, burn=False)
    reason = _strict_rejection(net)
    assert reason.startswith(f"InboxPairMismatch(source={b}, destination={a}, tree=0,")
    assert "sourceCount=1, destinationCount=2" in reason


def test_dropped_action_is_rejected_on_the_call_tree(net):
    a, b = net.chain_ids
    net.call(a, b)
    net.transfers(a, b, 1)
    net.call(a, b, action=False)  # a trigger on a whose action never ran on b
    reason = _strict_rejection(net)
    assert reason.startswith(f"InboxPairMismatch(source={a}, destination={b}, tree=1,")


def _inflate_inbound_count(net, source: int, destination: int) -> tuple[str, int]:
    """Raise ``destination``'s inbound transfer count for ``source`` by one, leaving its root as
    it is (a count lie on its own), in a new block; returns the (root, count) the source holds."""
    root, count = net.tree(source, MINT_BURN, "outbound", destination)
    _, count_slot = tree_slots("inbound", source)
    net.rpc[destination].call("anvil_setStorageAt", net.contracts[MINT_BURN], hex(count_slot),
                              "0x" + (count + 1).to_bytes(32, "big").hex())
    net.mine()
    assert net.tree(destination, MINT_BURN, "inbound", source) == (root, count + 1)
    return root, count


def test_a_count_that_differs_under_equal_roots_is_rejected(net):
    """The pair check compares counts on their own: the roots agree, only the count lies."""
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    root, count = _inflate_inbound_count(net, a, b)
    reason = _strict_rejection(net)
    assert reason == (f"InboxPairMismatch(source={a}, destination={b}, tree=0, sourceRoot={root}, "
                      f"destinationRoot={root}, sourceCount={count}, destinationCount={count + 1})")


def test_wrong_claimed_state_root_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    # Claim the state root of an earlier block: the proofs were taken at the real last block.
    earlier = net.rpc[a].call("eth_getBlockByNumber", hex(batches[0].last_block - 1), False)["stateRoot"]
    batches[0] = _replace(batches[0], state_root=bytes.fromhex(earlier[2:]))
    with pytest.raises(InboxRejected, match="MerkleTrie: invalid root hash"):
        net.inboxes["strict"].submit(batches, proofs)


def test_proof_for_the_wrong_account_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    token_proof = net.rpc[a].call("eth_getProof", net.contracts["BridgeableToken"], [], hex(batches[0].last_block))
    mint_burn, general = proofs[0]
    wrong = ContractProof([bytes.fromhex(n[2:]) for n in token_proof["accountProof"]], mint_burn.storage_proofs)
    proofs[0] = (wrong, general)
    with pytest.raises(InboxRejected, match="MerkleTrie"):
        net.inboxes["strict"].submit(batches, proofs)


def test_proof_for_the_wrong_slot_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    mint_burn, general = proofs[0]
    swapped = list(mint_burn.storage_proofs)
    swapped[0], swapped[2] = swapped[2], swapped[0]  # outbound root's proof where the inbound root's goes
    proofs[0] = (ContractProof(mint_burn.account_proof, swapped), general)
    with pytest.raises(InboxRejected, match="MerkleTrie"):
        net.inboxes["strict"].submit(batches, proofs)


@pytest.mark.parametrize("damage", ["truncated node", "garbled byte", "missing node", "no storage proofs"])
def test_truncated_or_garbled_proofs_are_rejected(net, damage):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    mint_burn, general = proofs[1]
    nodes = list(mint_burn.storage_proofs[0])
    if damage == "truncated node":
        nodes[-1] = nodes[-1][:-5]
    elif damage == "garbled byte":
        nodes[0] = nodes[0][:40] + bytes([nodes[0][40] ^ 0xFF]) + nodes[0][41:]
    elif damage == "missing node":
        nodes = nodes[:-1]
    storage = [nodes, *mint_burn.storage_proofs[1:]] if damage != "no storage proofs" else []
    proofs[1] = (ContractProof(mint_burn.account_proof, storage), general)
    with pytest.raises(InboxRejected):
        net.inboxes["strict"].submit(batches, proofs)
    assert net.inboxes["strict"].batch_count() == 0


def test_replayed_batch_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    net.inboxes["strict"].submit(batches, proofs)
    with pytest.raises(InboxRejected, match=rf"InboxNonContiguous\(chainId={a}, expectedFirstBlock={batches[0].last_block + 1}, firstBlock={batches[0].first_block}\)"):
        net.inboxes["strict"].submit(batches, proofs)


def test_gap_between_batches_is_rejected(net):
    a, b = net.chain_ids
    net.post("strict")
    net.transfers(a, b, 1)
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    skip_one = [_replace(x, first_block=x.first_block + 1) for x in batches]
    with pytest.raises(InboxRejected, match=r"InboxNonContiguous"):
        net.inboxes["strict"].submit(skip_one, proofs)


@pytest.mark.parametrize("mode", ["strict", "optimistic"])
def test_caller_that_is_not_the_sequencer_is_rejected(net, mode):
    batches, proofs = net.collect(mode)
    with pytest.raises(InboxRejected, match=f"InboxUnauthorized\\(caller={accounts.user(4).address.lower()}\\)"):
        as_account(net, mode, 4).submit(batches, proofs)


def test_submission_must_carry_every_rollup_in_order(net):
    batches, proofs = net.collect("strict")
    with pytest.raises(InboxRejected, match=r"InboxWrongBatchCount\(expected=2, actual=1\)"):
        net.inboxes["strict"].submit(batches[:1], proofs[:1])
    with pytest.raises(InboxRejected, match=r"InboxWrongRollup\(index=0"):
        net.inboxes["strict"].submit(batches[::-1], proofs[::-1])
    with pytest.raises(InboxRejected, match=r"InboxWrongProofCount\(expected=2, actual=0\)"):
        net.inboxes["strict"].submit(batches, None)


# --- optimistic mode: challenges -------------------------------------------------------------

def _challenge(net, index: int, source: int, destination: int, tree: str = "transfer", user: int = 5):
    inbox = net.inboxes["optimistic"]
    record_s, record_d = inbox.record(index, source), inbox.record(index, destination)
    contract = net.contracts[MINT_BURN if tree == "transfer" else "GeneralSystemContract"]
    source_proof = tree_proof(net.rpc[source], contract, "outbound", destination, record_s["lastBlock"])
    destination_proof = tree_proof(net.rpc[destination], contract, "inbound", source, record_d["lastBlock"])
    return as_account(net, "optimistic", user).challenge(index, source, destination, tree, source_proof,
                                                         destination_proof)


@pytest.mark.parametrize("lie", ["dropped mint", "mint without burn"])
def test_a_lie_is_challenged_successfully_and_voids_that_batch_and_later_ones(net, lie):
    inbox = net.inboxes["optimistic"]
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    net.post("optimistic")  # honest batch 0
    starts = {c: inbox.next_block(c) for c in net.chain_ids}
    if lie == "dropped mint":
        net.transfers(a, b, 1, mint=False)
    else:
        net.transfers(a, b, 1, burn=False)
    net.post("optimistic")  # lying batch 1
    net.transfers(b, a, 1)
    net.post("optimistic")  # batch 2 builds on the lie
    challenger = accounts.user(5).address
    before = inbox.w3.eth.get_balance(challenger)

    sent = _challenge(net, 1, a, b)

    assert inbox.batch_count() == 1  # batches 1 and 2 are void, batch 0 stands
    assert {c: inbox.next_block(c) for c in net.chain_ids} == starts
    assert inbox.bond() == 0
    gas_cost = sent.gas_used * inbox.w3.eth.get_transaction_receipt(sent.tx_hash)["effectiveGasPrice"]
    assert inbox.w3.eth.get_balance(challenger) == before + 10**18 - gas_cost
    with pytest.raises(InboxRejected, match="InboxBondTooLow"):
        net.post("optimistic")  # no bond, no more batches


def test_a_count_lie_alone_is_challenged_successfully(net):
    inbox = net.inboxes["optimistic"]
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    net.post("optimistic")  # honest batch 0
    _inflate_inbound_count(net, a, b)
    net.post("optimistic")  # batch 1: roots agree, counts do not
    _challenge(net, 1, a, b)
    assert inbox.batch_count() == 1


def test_an_honest_batch_cannot_be_challenged(net):
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    net.call(a, b)
    net.post("optimistic")
    for source, destination in ((a, b), (b, a)):
        for tree in ("transfer", "call"):
            with pytest.raises(InboxRejected, match="InboxChallengeFailed"):
                _challenge(net, 0, source, destination, tree)
    assert net.inboxes["optimistic"].batch_count() == 1 and net.inboxes["optimistic"].bond() == 10**18


def test_a_challenge_after_the_window_is_refused(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1, mint=False)
    net.post("optimistic")
    net.rpc_l1("evm_increaseTime", 3601)
    net.rpc_l1("evm_mine")
    with pytest.raises(InboxRejected, match=r"InboxChallengeWindowClosed\(batchIndex=0"):
        _challenge(net, 0, a, b)


def test_challenges_need_optimistic_mode(net):
    a, b = net.chain_ids
    net.post("strict")
    proof = tree_proof(net.rpc[a], net.contracts[MINT_BURN], "outbound", b, net.heads()[a])
    with pytest.raises(InboxRejected, match="InboxNotOptimistic"):
        net.inboxes["strict"].challenge(0, a, b, "transfer", proof, proof)


def _header(net, chain_id: int, number: int) -> bytes:
    return header_rlp(net.rpc[chain_id].call("eth_getBlockByNumber", hex(number), False))


def test_header_challenge_wins_only_against_a_root_that_is_not_the_blocks(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    net.post("optimistic")  # honest: batch 0
    net.transfers(b, a, 1)
    batches, _ = net.collect("optimistic")
    batches[1] = _replace(batches[1], state_root=b"\x33" * 32)  # b claims a root its block does not have
    net.inboxes["optimistic"].submit(batches, None)  # batch 1
    challenger = as_account(net, "optimistic", 5)
    with pytest.raises(InboxRejected, match="InboxHeaderChallengeFailed"):  # honest claim stands
        challenger.challenge_header(0, b, _header(net, b, net.inboxes["optimistic"].record(0, b)["lastBlock"]))
    with pytest.raises(InboxRejected, match="InboxHeaderChallengeFailed"):  # a's claim in batch 1 is true
        challenger.challenge_header(1, a, _header(net, a, batches[0].last_block))
    with pytest.raises(InboxRejected, match="InboxHeaderHashMismatch"):  # some other block's header
        challenger.challenge_header(1, b, _header(net, b, batches[1].last_block - 1))
    with pytest.raises(InboxRejected, match="InboxUnknownRollup"):
        challenger.challenge_header(1, 31337, _header(net, b, batches[1].last_block))
    challenger.challenge_header(1, b, _header(net, b, batches[1].last_block))
    inbox = net.inboxes["optimistic"]
    assert inbox.batch_count() == 1 and inbox.bond() == 0 and inbox.next_block(b) == batches[1].first_block
    with pytest.raises(InboxRejected, match="InboxNotOptimistic"):
        net.inboxes["strict"].challenge_header(0, a, _header(net, a, 1))


def test_a_header_that_is_not_rlp_is_rejected(net):
    a, _ = net.chain_ids
    net.post("optimistic")
    with pytest.raises(InboxRejected, match="InboxHeaderHashMismatch"):
        as_account(net, "optimistic", 5).challenge_header(0, a, b"\xc0garbage")


def test_rebuilt_headers_hash_to_the_block_hash_and_tampering_is_refused(net):
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    block = net.rpc[a].call("eth_getBlockByNumber", hex(net.heads()[a]), False)
    assert keccak(header_rlp(block)) == bytes.fromhex(block["hash"][2:])
    with pytest.raises(HeaderError, match="does not hash to"):
        header_rlp({**block, "gasUsed": hex(int(block["gasUsed"], 16) + 1)})


def _replace(batch: Batch, **changes) -> Batch:
    fields = {**batch.__dict__, **changes}
    return Batch(**fields)
