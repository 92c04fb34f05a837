"""MintBurnSystemContract: burns, mints, trees, access control and every revert path."""

from __future__ import annotations

import ape
import pytest
from eth_utils import to_checksum_address

from svs.codec.legs import TransferLeg
from svs.codec.merkle import MerkleTree

from ..conftest import CHAIN_A, CHAIN_B, INITIAL_SUPPLY

AMOUNT = 10**18


def burn_leg(local, destination, nonce, sender, recipient, token, amount=AMOUNT, height=0):
    return TransferLeg(local, destination, nonce, str(sender), str(recipient), str(token), amount, height)


def test_burn_debits_sender_appends_leaf_and_emits(mint_burn, token, alice, bob, local_chain_id):
    receipt = mint_burn.burn(CHAIN_A, bob, token, AMOUNT, sender=alice)

    leg = burn_leg(local_chain_id, CHAIN_A, 1, alice, bob, token, height=receipt.block_number)  # synchronous
    assert token.balanceOf(alice) == INITIAL_SUPPLY - AMOUNT
    assert token.totalSupply() == INITIAL_SUPPLY - AMOUNT
    assert mint_burn.burnCount(CHAIN_A) == 2
    assert bytes(mint_burn.burnRoot(CHAIN_A)) == MerkleTree.seeded([leg.leg_hash()]).root()
    assert mint_burn.burnCount(CHAIN_B) == 1 and bytes(mint_burn.burnRoot(CHAIN_B)) == MerkleTree.seeded().root()

    [event] = receipt.decode_logs(mint_burn.BurnLeg)
    assert event.destinationChainId == CHAIN_A
    assert event.nonce == 1
    assert event.sender == alice.address
    assert event.recipient == bob.address
    assert event.token == token.address
    assert event.amount == AMOUNT
    assert bytes(event.legHash) == leg.leg_hash()
    [burned] = receipt.decode_logs(token.CrosschainBurn)
    assert (burned["from"], burned.amount, burned.sender) == (alice.address, AMOUNT, mint_burn.address)


def test_burn_nonces_count_per_destination(mint_burn, token, alice, bob, local_chain_id):
    tree_a = MerkleTree.seeded()
    for nonce in range(1, 4):
        height = mint_burn.burn(CHAIN_A, bob, token, AMOUNT + nonce, sender=alice).block_number
        tree_a.append(burn_leg(local_chain_id, CHAIN_A, nonce, alice, bob, token, AMOUNT + nonce, height).leg_hash())
    receipt = mint_burn.burn(CHAIN_B, bob, token, AMOUNT, sender=alice)

    assert receipt.decode_logs(mint_burn.BurnLeg)[0].nonce == 1  # B's own sequence starts at 1
    assert mint_burn.burnCount(CHAIN_A) == 4 and mint_burn.burnCount(CHAIN_B) == 2
    assert bytes(mint_burn.burnRoot(CHAIN_A)) == tree_a.root()


def test_leg_hash_matches_python_encoding(mint_burn, token, alice, bob):
    leg = TransferLeg(CHAIN_A, CHAIN_B, 7, alice.address, bob.address, token.address, 12345, 99)
    on_chain = mint_burn.legHash(CHAIN_A, CHAIN_B, 7, 99, alice, bob, token, 12345)
    assert bytes(on_chain) == leg.leg_hash()


def test_mint_credits_recipient_with_the_burns_leg_hash(mint_burn, token, sequencer, alice, bob, local_chain_id):
    receipt = mint_burn.mint(CHAIN_A, 1, alice, bob, token, AMOUNT, sender=sequencer)

    # The mint on this chain mirrors a burn on CHAIN_A: same fields, same hash.
    leg = TransferLeg(CHAIN_A, local_chain_id, 1, alice.address, bob.address, token.address, AMOUNT,
                      receipt.block_number)
    assert token.balanceOf(bob) == AMOUNT
    assert token.totalSupply() == INITIAL_SUPPLY + AMOUNT
    assert mint_burn.mintCount(CHAIN_A) == 2
    assert bytes(mint_burn.mintRoot(CHAIN_A)) == MerkleTree.seeded([leg.leg_hash()]).root()

    [event] = receipt.decode_logs(mint_burn.MintLeg)
    assert event.sourceChainId == CHAIN_A
    assert event.nonce == 1
    assert event.recipient == bob.address
    assert event.sender == alice.address
    assert event.token == token.address
    assert event.amount == AMOUNT
    assert bytes(event.legHash) == leg.leg_hash()
    [minted] = receipt.decode_logs(token.CrosschainMint)
    assert (minted.to, minted.amount, minted.sender) == (bob.address, AMOUNT, mint_burn.address)


def test_mint_rejects_wrong_nonce_so_no_replay_and_no_gap(mint_burn, token, sequencer, alice, bob):
    with ape.reverts(mint_burn.MintBurnUnexpectedNonce, sourceChainId=CHAIN_A, expected=1, actual=2):
        mint_burn.mint(CHAIN_A, 2, alice, bob, token, AMOUNT, sender=sequencer)  # gap
    with ape.reverts(mint_burn.MintBurnUnexpectedNonce, sourceChainId=CHAIN_A, expected=1, actual=0):
        mint_burn.mint(CHAIN_A, 0, alice, bob, token, AMOUNT, sender=sequencer)  # the genesis leaf's index
    mint_burn.mint(CHAIN_A, 1, alice, bob, token, AMOUNT, sender=sequencer)
    with ape.reverts(mint_burn.MintBurnUnexpectedNonce, sourceChainId=CHAIN_A, expected=2, actual=1):
        mint_burn.mint(CHAIN_A, 1, alice, bob, token, AMOUNT, sender=sequencer)  # replay
    assert mint_burn.mintCount(CHAIN_A) == 2 and token.balanceOf(bob) == AMOUNT


def test_mint_reverts_when_not_sequencer(mint_burn, token, alice, bob):
    with ape.reverts(mint_burn.SequencerUnauthorized, caller=alice.address):
        mint_burn.mint(CHAIN_A, 1, alice, bob, token, AMOUNT, sender=alice)
    assert mint_burn.mintCount(CHAIN_A) == 1


@pytest.mark.parametrize("leg", ["burn", "mint"])
def test_zero_amount_reverts(mint_burn, token, sequencer, alice, bob, leg):
    with ape.reverts(mint_burn.MintBurnZeroAmount):
        if leg == "burn":
            mint_burn.burn(CHAIN_A, bob, token, 0, sender=alice)
        else:
            mint_burn.mint(CHAIN_A, 1, alice, bob, token, 0, sender=sequencer)


@pytest.mark.parametrize("leg", ["burn", "mint"])
def test_zero_recipient_reverts(mint_burn, token, sequencer, alice, leg):
    zero = "0x" + "00" * 20
    with ape.reverts(mint_burn.MintBurnZeroRecipient):
        if leg == "burn":
            mint_burn.burn(CHAIN_A, zero, token, AMOUNT, sender=alice)
        else:
            mint_burn.mint(CHAIN_A, 1, alice, zero, token, AMOUNT, sender=sequencer)


@pytest.mark.parametrize("counterpart", ["self", "zero", "unconfigured"])
@pytest.mark.parametrize("leg", ["burn", "mint"])
def test_counterpart_that_is_not_a_configured_rollup_reverts(
    mint_burn, token, sequencer, alice, bob, local_chain_id, counterpart, leg
):
    chain_id = {"self": local_chain_id, "zero": 0, "unconfigured": 903}[counterpart]
    with ape.reverts(mint_burn.MintBurnInvalidCounterpart, chainId=chain_id):
        if leg == "burn":
            mint_burn.burn(chain_id, bob, token, AMOUNT, sender=alice)
        else:
            mint_burn.mint(chain_id, 1, alice, bob, token, AMOUNT, sender=sequencer)


def test_burn_of_token_without_erc7802_reverts(project, owner, mint_burn, alice, bob):
    plain = owner.deploy(project.NotERC7802, alice)
    with ape.reverts(mint_burn.MintBurnUnsupportedToken, token=plain.address):
        mint_burn.burn(CHAIN_A, bob, plain, AMOUNT, sender=alice)
    with ape.reverts(mint_burn.MintBurnUnsupportedToken, token=bob.address):  # not a contract
        mint_burn.burn(CHAIN_A, bob, bob, AMOUNT, sender=alice)


def test_burn_over_balance_reverts_and_appends_nothing(mint_burn, token, alice, bob):
    with ape.reverts(token.ERC20InsufficientBalance):
        mint_burn.burn(CHAIN_A, bob, token, INITIAL_SUPPLY + 1, sender=alice)
    assert mint_burn.burnCount(CHAIN_A) == 1 and bytes(mint_burn.burnRoot(CHAIN_A)) == MerkleTree.seeded().root()


def test_burn_only_ever_takes_the_callers_tokens(mint_burn, token, alice, bob):
    # There is no `sender` argument: bob burning spends bob's (zero) balance, never alice's,
    # even when alice approved the system contract.
    token.approve(mint_burn, INITIAL_SUPPLY, sender=alice)
    with ape.reverts(token.ERC20InsufficientBalance):
        mint_burn.burn(CHAIN_A, bob, token, AMOUNT, sender=bob)
    assert token.balanceOf(alice) == INITIAL_SUPPLY


def test_storage_layout_puts_root_and_count_where_the_inbox_reads_them(chain, mint_burn, token, alice, bob):
    from svs.codec.layout import tree_slots

    mint_burn.burn(CHAIN_A, bob, token, AMOUNT, sender=alice)
    root_slot, count_slot = tree_slots("outbound", CHAIN_A)
    provider = chain.provider
    stored_root = provider.get_storage(mint_burn.address, root_slot)
    stored_count = provider.get_storage(mint_burn.address, count_slot)
    assert bytes(stored_root) == bytes(mint_burn.burnRoot(CHAIN_A))
    assert int.from_bytes(bytes(stored_count), "big") == 2  # genesis leaf + the burn
    assert to_checksum_address(mint_burn.address) == mint_burn.address


@pytest.mark.parametrize("contract", ["mint_burn", "general"])
def test_constructor_seeds_both_trees_of_every_counterpart_with_the_genesis_leaf(request, contract, local_chain_id):
    system = request.getfixturevalue(contract)
    outbound, inbound = ("burn", "mint") if contract == "mint_burn" else ("trigger", "action")
    seeded = MerkleTree.seeded().root()
    for counterpart in (CHAIN_A, CHAIN_B):
        assert getattr(system, f"{outbound}Count")(counterpart) == 1
        assert getattr(system, f"{inbound}Count")(counterpart) == 1
        assert bytes(getattr(system, f"{outbound}Root")(counterpart)) == seeded
        assert bytes(getattr(system, f"{inbound}Root")(counterpart)) == seeded
    assert getattr(system, f"{outbound}Count")(local_chain_id) == 0  # its own id is skipped
    assert bytes(system.GENESIS_LEAF()) == MerkleTree.seeded().leaves[0]


@pytest.mark.parametrize("rollups", [[CHAIN_A, 0], [CHAIN_A, CHAIN_B, CHAIN_A]])
def test_constructor_rejects_zero_or_repeated_chain_ids(project, owner, sequencer, rollups):
    bad = 0 if 0 in rollups else CHAIN_A
    with ape.reverts(project.MintBurnSystemContract.TreesInvalidRollupList, chainId=bad):
        owner.deploy(project.MintBurnSystemContract, owner, sequencer, rollups, True, 0)
