"""Sequencer authority: set at deployment, rotated only by the owner, with an event."""

from __future__ import annotations

import ape
import pytest

from ..conftest import CHAIN_A, ROLLUPS

ZERO = "0x" + "00" * 20


@pytest.fixture(params=["mint_burn", "general"])
def system_contract(request):
    return request.getfixturevalue(request.param)


def test_sequencer_and_owner_set_at_deployment(system_contract, owner, sequencer):
    assert system_contract.sequencer() == sequencer.address
    assert system_contract.owner() == owner.address


def test_owner_rotates_sequencer_with_event(system_contract, owner, sequencer, bob):
    receipt = system_contract.setSequencer(bob, sender=owner)
    [event] = receipt.decode_logs(system_contract.SequencerChanged)
    assert (event.previousSequencer, event.newSequencer) == (sequencer.address, bob.address)
    assert system_contract.sequencer() == bob.address


def test_rotation_moves_the_power_to_mint(mint_burn, token, owner, sequencer, alice, bob):
    mint_burn.setSequencer(bob, sender=owner)
    with ape.reverts(mint_burn.SequencerUnauthorized, caller=sequencer.address):
        mint_burn.mint(CHAIN_A, 1, alice, bob, token, 1, sender=sequencer)
    mint_burn.mint(CHAIN_A, 1, alice, bob, token, 1, sender=bob)
    assert mint_burn.mintCount(CHAIN_A) == 2  # genesis leaf + bob's mint


def test_only_owner_rotates(system_contract, sequencer, bob):
    with ape.reverts(system_contract.OwnableUnauthorizedAccount, account=sequencer.address):
        system_contract.setSequencer(bob, sender=sequencer)
    assert system_contract.sequencer() == sequencer.address


def test_zero_sequencer_rejected(system_contract, owner, project):
    with ape.reverts(system_contract.SequencerZeroAddress):
        system_contract.setSequencer(ZERO, sender=owner)
    with ape.reverts(project.MintBurnSystemContract.SequencerZeroAddress):
        owner.deploy(project.MintBurnSystemContract, owner, ZERO, ROLLUPS, True, 0)


def test_deployment_emits_the_first_sequencer(chain, project, owner, sequencer):
    contract = owner.deploy(project.MintBurnSystemContract, owner, sequencer, ROLLUPS, True, 0)
    receipt = chain.provider.get_receipt(contract.txn_hash)
    [event] = receipt.decode_logs(contract.SequencerChanged)
    assert (event.previousSequencer, event.newSequencer) == (ZERO, sequencer.address)
