"""L1 as a member of the pair set, through the live sequencer: a deposit is minted in the next
tick and every batch that serves it is accepted; an exit burned on a rollup is finalized on L1
with a proof through the accepted batch, once; only the bridge's token may exit."""

from __future__ import annotations

import pytest

from svs.deploy import accounts
from svs.deploy.record import Deployment
from svs.l1.exits import BridgeClient, BridgeRejected, build_exit_proof, covering_batch, exit_state, find_exit
from svs.node.chains import L1_CHAIN_ID

from ..support.system import TOKEN


def bridge(system, account=None) -> BridgeClient:
    l1 = Deployment(system.service.deployment).l1
    return BridgeClient(l1.rpc, l1["L1Bridge"], account)


def l1_balance(system, who: str) -> int:
    client = bridge(system)
    token = client.w3.eth.contract(address=client.l1_token(), abi=system.contract(901, "BridgeableToken").abi)
    return token.functions.balanceOf(who).call()


def test_a_deposit_is_minted_in_the_next_tick_and_the_batch_serving_it_is_accepted(make_system):
    system = make_system(2, batch_every=1)
    holder, alice = accounts.user(0), accounts.user(1)
    before_l1, before_rollup = l1_balance(system, holder.address), system.balance(902, alice.address)
    sent = bridge(system, holder).deposit(902, alice.address, 5 * TOKEN)
    assert l1_balance(system, holder.address) == before_l1 - 5 * TOKEN

    report = system.tick()  # mints, posts, and checks the supply over L1 and the rollups
    assert report.legs[902] == 1 and report.l1_batch is not None and report.l1_batch.ok
    assert system.balance(902, alice.address) == before_rollup + 5 * TOKEN
    status = system.sequencer.status()["l1Legs"]["rollups"]["902"]
    assert status["depositsMade"] == status["depositsServed"] == 1
    mint = next(tx for tx in system.sequencer.journal.included() if tx.origin == "sequencer")
    assert mint.legs[0]["source"] == L1_CHAIN_ID and mint.legs[0]["counterpart"] == f"{sent.tx_hash}#1"
    system.tick()  # nothing minted twice
    assert system.balance(902, alice.address) == before_rollup + 5 * TOKEN


def test_an_exit_is_finalized_once_with_a_proof_through_the_accepted_batch(make_system):
    system = make_system(2, batch_every=1)
    alice, bob, anyone = accounts.user(0), accounts.user(1), accounts.user(3)
    burn = system.burn(901, L1_CHAIN_ID, alice, bob.address, 2 * TOKEN)
    rollup = system.sequencer.chains[901]
    with pytest.raises(Exception):
        find_exit(rollup, L1_CHAIN_ID, burn)  # not included yet
    system.tick()
    leg, block = find_exit(rollup, L1_CHAIN_ID, burn)
    assert (leg.nonce, leg.recipient.lower(), leg.amount) == (1, bob.address.lower(), 2 * TOKEN)
    client = bridge(system, anyone)
    state, batch = exit_state(system.inbox(), client, leg, block)
    assert state == "final" and batch == covering_batch(system.inbox(), 901, block)

    before = l1_balance(system, bob.address)
    proof = build_exit_proof(system.inbox(), rollup, leg, batch)
    sent = client.finalize_exit(leg, proof)
    assert l1_balance(system, bob.address) == before + 2 * TOKEN
    assert exit_state(system.inbox(), client, leg, block)[0] == "finalized"
    with pytest.raises(BridgeRejected, match=r"BridgeExitReplayed\(rollup=901, nonce=1\)"):
        client.finalize_exit(leg, proof)
    print(f"finalizeExit gas: {sent.gas_used:,}")
    system.assert_invariants()
