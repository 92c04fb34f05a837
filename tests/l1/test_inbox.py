"""BatchInbox against real rollup state: honest batches are accepted, and every kind of lie or
malformed submission is rejected (strict) or successfully challenged (optimistic)."""

from __future__ import annotations

import pytest

from svs.codec.batches import Batch, build_batch
from svs.codec.hashing import keccak
from svs.codec.headers import HeaderError, header_rlp
from svs.codec.layout import tree_slots
from svs.codec.merkle import MerkleTree
from svs.deploy import accounts
from svs.l1.inbox import InboxRejected
from svs.l1.proofs import CommitmentProof, commitment_proof

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
            assert record["blocksRoot"] == MerkleTree(list(batch.block_hashes)).root()
            assert len(batch.block_hashes) == batch.last_block - batch.first_block + 1
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
    root, _ = net.tree(a, MINT_BURN, "outbound", b)
    assert reason == (f"InboxPairMismatch(source={a}, destination={b}, tree=0, sourceRoot={root}, "
                      f"destinationRoot={net.tree(b, MINT_BURN, 'inbound', a)[0]})")


def test_mint_without_burn_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(b, a, 1, burn=False)
    reason = _strict_rejection(net)
    assert reason.startswith(f"InboxPairMismatch(source={b}, destination={a}, tree=0,")


def test_a_mint_one_block_after_its_burn_is_rejected_at_every_later_cut(net):
    """Leg hashes carry the block height: a destination leg in another block than its source
    leaves the pair's roots different for good, wherever the batch ends."""
    a, b = net.chain_ids
    burned = net.transfers(a, b, 1, mint=False)[0]
    late = net.transfers(a, b, 1, burn=False)[0]  # the same leg, minted in the next block
    assert (late.nonce, late.height) == (burned.nonce, burned.height + 1)
    assert net.tree(a, MINT_BURN, "outbound", b)[1] == net.tree(b, MINT_BURN, "inbound", a)[1]  # counts agree
    net.transfers(a, b, 2)  # honest legs after it do not heal the pair
    assert _strict_rejection(net).startswith(f"InboxPairMismatch(source={a}, destination={b}, tree=0,")


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


def test_counts_are_not_proven_and_a_count_lie_shows_in_the_roots_at_the_next_leg(net):
    """Equal roots imply equal counts (no leaf is zero), so the inbox proves roots only. A count
    changed behind the roots' back (anvil_setStorageAt) changes nothing the inbox reads; the next
    mint lands at the wrong index, and from then on the roots differ."""
    a, b = net.chain_ids
    net.transfers(a, b, 2)
    _inflate_inbound_count(net, a, b)
    net.post("strict")  # roots agree: accepted
    net.transfers(a, b, 1, mint=False)
    net.transfers(a, b, 1, burn=False)  # its nonce is the inflated count
    batches, proofs = net.collect("strict")
    with pytest.raises(InboxRejected, match=rf"InboxPairMismatch\(source={a}, destination={b}, tree=0,"):
        net.inboxes["strict"].submit(batches, proofs)


def test_wrong_claimed_state_root_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    # Claim the state root of an earlier block: the proofs were taken at the real last block.
    earlier = net.rpc[a].call("eth_getBlockByNumber", hex(batches[0].last_block - 1), False)["stateRoot"]
    batches[0] = _replace(batches[0], state_root=bytes.fromhex(earlier[2:]))
    with pytest.raises(InboxRejected, match=r"TrieBadNodeHash\(index=0\)"):
        net.inboxes["strict"].submit(batches, proofs)


def test_proof_for_the_wrong_account_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    token_proof = net.rpc[a].call("eth_getProof", net.contracts["BridgeableToken"], [], hex(batches[0].last_block))
    mint_burn, general = proofs[0]
    wrong = CommitmentProof([bytes.fromhex(n[2:]) for n in token_proof["accountProof"]], mint_burn.commitment_proof,
                            mint_burn.counterparts, mint_burn.roots)
    proofs[0] = (wrong, general)
    with pytest.raises(InboxRejected, match=r"Trie(BadNodeHash|KeyNotFound)"):  # off the key's path
        net.inboxes["strict"].submit(batches, proofs)


def test_proof_for_the_wrong_slot_is_rejected(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    mint_burn, general = proofs[0]
    slot1 = net.rpc[a].call("eth_getProof", net.contracts[MINT_BURN], ["0x" + "00" * 31 + "01"],
                            hex(batches[0].last_block))["storageProof"][0]["proof"]  # the sequencer slot's proof
    proofs[0] = (CommitmentProof(mint_burn.account_proof, [bytes.fromhex(n[2:]) for n in slot1],
                                 mint_burn.counterparts, mint_burn.roots), general)
    with pytest.raises(InboxRejected, match=r"Trie(BadNodeHash|KeyNotFound)"):  # off the key's path
        net.inboxes["strict"].submit(batches, proofs)


def test_roots_that_do_not_hash_to_the_proven_commitment_are_rejected(net):
    """The roots come in calldata: a sequencer that reveals others than its contract commits to
    (to make a pair look equal) is refused, naming the commitment and the hash of the reveal."""
    a, b = net.chain_ids
    net.transfers(a, b, 1, mint=False)
    batches, proofs = net.collect("strict")
    mint_burn, general = proofs[1]
    lie = list(mint_burn.roots)
    lie[1] = proofs[0][0].roots[0]  # b claims to hold, inbound from a, what a sent
    proofs[1] = (CommitmentProof(mint_burn.account_proof, mint_burn.commitment_proof, mint_burn.counterparts, lie),
                 general)
    with pytest.raises(InboxRejected) as err:
        net.inboxes["strict"].submit(batches, proofs)
    committed = "0x" + mint_burn.commitment().hex()
    assert err.value.reason == (f"InboxRootsMismatch(chainId={b}, tree=0, committed={committed}, "
                                f"revealed=0x{CommitmentProof([], [], [], lie).commitment().hex()})")
    proofs[1] = (CommitmentProof(mint_burn.account_proof, mint_burn.commitment_proof, [], lie[:1]), general)
    with pytest.raises(InboxRejected, match=rf"InboxWrongRootCount\(chainId={b}, expected=4, actual=1\)"):
        net.inboxes["strict"].submit(batches, proofs)


@pytest.mark.parametrize("mode", ["strict", "optimistic"])
def test_a_submission_is_one_cut(net, mode):
    """The rollups advance together: every batch of a submission covers the same heights, or a
    liar could end the destination's range after a late mint and the source's before it."""
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    net.transfers(a, b, 1)
    batches, proofs = net.collect(mode)
    first, last = batches[0].first_block, batches[0].last_block
    shorter = build_batch(net.rpc[a], a, first, last - 1)
    with pytest.raises(InboxRejected) as err:
        net.inboxes[mode].submit([shorter, batches[1]], proofs)
    assert err.value.reason == (f"InboxCutMismatch(chainId={a}, firstBlock={first}, lastBlock={last - 1}, "
                                f"otherChainId={b}, otherFirst={first}, otherLast={last})")


def test_block_hashes_must_cover_the_range_and_end_at_the_block_hash(net):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    blocks = len(batches[0].block_hashes)
    for hashes in (batches[0].block_hashes[:-1], batches[0].block_hashes[:-1] + (b"\x01" * 32,)):
        with pytest.raises(InboxRejected) as err:
            net.inboxes["strict"].submit([_replace(batches[0], block_hashes=hashes), batches[1]], proofs)
        assert err.value.reason == f"InboxWrongBlockHashes(chainId={a}, expected={blocks}, actual={len(hashes)})"


@pytest.mark.parametrize("damage", ["truncated node", "garbled byte", "missing node", "no storage proofs"])
def test_truncated_or_garbled_proofs_are_rejected(net, damage):
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    batches, proofs = net.collect("strict")
    mint_burn, general = proofs[1]
    nodes = list(mint_burn.commitment_proof)
    if damage == "truncated node":
        nodes[-1] = nodes[-1][:-5]
    elif damage == "garbled byte":
        nodes[0] = nodes[0][:40] + bytes([nodes[0][40] ^ 0xFF]) + nodes[0][41:]
    elif damage == "missing node":
        nodes = nodes[:-1]
    storage = nodes if damage != "no storage proofs" else []
    proofs[1] = (CommitmentProof(mint_burn.account_proof, storage, mint_burn.counterparts, mint_burn.roots), general)
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
    source_proof = commitment_proof(net.rpc[source], contract, record_s["lastBlock"])
    destination_proof = commitment_proof(net.rpc[destination], contract, record_d["lastBlock"])
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


def test_a_late_mint_is_challenged_successfully_in_a_later_batch(net):
    """Split across a batch end: the burn in batch 1, its mint one block later in batch 2. Both
    batches are provably bad, since the mint's leaf carries the later height."""
    inbox = net.inboxes["optimistic"]
    a, b = net.chain_ids
    net.post("optimistic")  # honest batch 0
    net.transfers(a, b, 1, mint=False)
    net.post("optimistic")  # batch 1: the burn alone
    net.transfers(a, b, 1, burn=False)
    net.post("optimistic")  # batch 2: the late mint; counts agree again, roots do not
    _challenge(net, 2, a, b)
    assert inbox.batch_count() == 2


def _blocks_challenge(net, index: int, chain_id: int, link: int, hashes: list[bytes], user: int = 5):
    """challengeBlocks with paths built from ``hashes`` (what the batch posted)."""
    tree = MerkleTree(list(hashes))
    record = net.inboxes["optimistic"].record(index, chain_id)
    header = _header(net, chain_id, record["firstBlock"] + link) if link < len(hashes) else b""
    path = tree.proof(link) if link < len(hashes) else [b"\0" * 32] * 32
    previous = (hashes[link - 1], tree.proof(link - 1)) if 0 < link <= len(hashes) else (b"\0" * 32, [b"\0" * 32] * 32)
    return as_account(net, "optimistic", user).challenge_blocks(index, chain_id, link, header, path, *previous)


def test_a_made_up_block_hash_inside_a_batch_is_challenged_at_its_link(net):
    inbox = net.inboxes["optimistic"]
    a, b = net.chain_ids
    net.post("optimistic")  # honest batch 0
    for _ in range(3):
        net.transfers(a, b, 1)
    batches, _ = net.collect("optimistic")
    hashes = list(batches[0].block_hashes)
    assert len(hashes) == 3
    hashes[1] = keccak(hashes[1])  # block 2 of 3 made up
    inbox.submit([_replace(batches[0], block_hashes=tuple(hashes)), batches[1]], None)
    honest = list(batches[1].block_hashes)
    for link in range(4):  # b's chain holds at every link, a's at links 0, 1 and 3
        with pytest.raises(InboxRejected, match="InboxBlocksChallengeFailed"):
            _blocks_challenge(net, 1, b, link, honest)
    with pytest.raises(InboxRejected, match="InboxBlocksChallengeFailed"):
        _blocks_challenge(net, 1, a, 3, hashes)
    with pytest.raises(InboxRejected, match=r"InboxBlockPathInvalid\(batchIndex=1, chainId=%d, position=1\)" % a):
        _blocks_challenge(net, 1, a, 2, honest)  # paths of the real hashes do not lead to the posted root
    with pytest.raises(InboxRejected, match="InboxInvalidLink"):
        _blocks_challenge(net, 1, a, 4, hashes)
    _blocks_challenge(net, 1, a, 2, hashes)  # block 3's header names the real block 2 as its parent
    assert inbox.batch_count() == 1 and inbox.bond() == 0


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
    proof = commitment_proof(net.rpc[a], net.contracts[MINT_BURN], net.heads()[a])
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
