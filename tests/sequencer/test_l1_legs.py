"""L1 as a member of the pair set, through the live sequencer: a deposit is minted in the next
tick and every batch that serves it is accepted; an exit burned on a rollup is finalized on L1
with a proof through the accepted batch, once; only the bridge's token may exit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from svs.deploy import accounts
from svs.deploy.record import Deployment
from svs.deploy.suite import InboxConfig
from svs.l1.verifier import verify_all
from svs.testing.faults import UNBACKED_AMOUNT, Liar, Lie
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
    assert not proof.commitment.roots, "the strict inbox recorded the exit root in the batch holding the burn"
    sent = client.finalize_exit(leg, proof)
    assert l1_balance(system, bob.address) == before + 2 * TOKEN
    assert exit_state(system.inbox(), client, leg, block)[0] == "finalized"
    with pytest.raises(BridgeRejected, match=r"BridgeExitReplayed\(rollup=901, nonce=1\)"):
        client.finalize_exit(leg, proof)
    print(f"finalizeExit gas, strict (root recorded by the inbox): {sent.gas_used:,}")
    system.assert_invariants()


# --- lies about L1's legs ------------------------------------------------------------------

WINDOW = 3  # L1 blocks
MODES = {"strict": InboxConfig(deposit_window=WINDOW),
         "optimistic": InboxConfig(optimistic=True, bond=10**18, challenge_window=600, deposit_window=WINDOW)}


def _busy_tick(system, users):
    """A tick with a transfer in it, so that the batcher posts (batch_every=1)."""
    system.burn(901, 902, users[0], users[1].address, TOKEN)
    return system.sequencer.tick()


@pytest.mark.parametrize("mode", list(MODES))
def test_a_deposit_ignored_past_the_window_is_refused_or_challenged(make_system, users, mode):
    system = make_system(2, batch_every=1, hooks=Liar(Lie.IGNORE_DEPOSITS), inbox=MODES[mode])
    before = system.balance(902, users[2].address)
    bridge(system, accounts.user(0)).deposit(902, users[2].address, TOKEN)
    inside = _busy_tick(system, users)  # ignored, but still inside the window: the post stands
    assert inside.l1_batch.ok, inside.line()
    l1 = Deployment(system.service.deployment).l1
    system.inbox().w3.provider.make_request("anvil_mine", [hex(WINDOW + 1)])
    late = _busy_tick(system, users)
    assert system.balance(902, users[2].address) == before and system.sequencer.hooks.told
    if mode == "strict":
        assert not late.l1_batch.ok and "InboxDepositOverdue(chainId=902, nonce=1" in late.l1_batch.error, late.line()
        assert system.inbox().batch_count() == 1
        return
    assert late.l1_batch.ok, late.line()
    verdicts, _ = verify_all(system.verifier(), system.inbox(accounts.user(6)))
    assert [v.ok for v in verdicts] == [True, False], [v.line() for v in verdicts]
    assert verdicts[1].challenge.startswith("challenged batch #1 (deposits to 902)"), verdicts[1].line()
    assert system.inbox().batch_count() == 1 and system.inbox().bond() == 0
    assert l1.chain_id == L1_CHAIN_ID


@pytest.mark.parametrize("mode", list(MODES))
def test_a_mint_from_l1_without_a_deposit_is_refused_or_challenged(make_system, users, mode):
    system = make_system(2, batch_every=1, hooks=Liar(Lie.UNMADE_DEPOSIT), inbox=MODES[mode])
    thief = accounts.sequencer().address
    before = system.balance(902, thief)
    report = _busy_tick(system, users)
    assert system.balance(902, thief) == before + UNBACKED_AMOUNT  # the lie is on the chain
    if mode == "strict":
        assert not report.l1_batch.ok and "InboxDepositsNotPrefix(chainId=902" in report.l1_batch.error, report.line()
        assert system.inbox().batch_count() == 0
        return
    assert report.l1_batch.ok, report.line()
    verdicts, _ = verify_all(system.verifier(), system.inbox(accounts.user(6)))
    assert [v.ok for v in verdicts] == [False], [v.line() for v in verdicts]
    assert "minted deposits from L1 that L1 never made" in verdicts[0].line()
    assert verdicts[0].challenge.startswith("challenged batch #0 (deposits to 902)"), verdicts[0].line()
    assert system.inbox().batch_count() == 0


def test_an_exit_claimed_for_a_leaf_never_burned_is_refused(make_system, users):
    system = make_system(2, batch_every=1)
    burn = system.burn(901, L1_CHAIN_ID, users[0], users[1].address, TOKEN)
    system.tick()
    rollup = system.sequencer.chains[901]
    leg, _ = find_exit(rollup, L1_CHAIN_ID, burn)
    proof = build_exit_proof(system.inbox(), rollup, leg, 0)
    client = bridge(system, users[3])
    for forged in (replace(leg, amount=100 * TOKEN), replace(leg, recipient=users[3].address), replace(leg, nonce=2)):
        with pytest.raises(BridgeRejected, match=r"BridgeExitNotProven\(rollup=901, nonce=" + str(forged.nonce)):
            client.finalize_exit(forged, proof)
    with pytest.raises(BridgeRejected, match=r"BridgeUnknownBatch\(batchIndex=7\)"):
        client.finalize_exit(leg, replace(proof, batch_index=7))
    with pytest.raises(BridgeRejected, match=r"BridgeBatchVoided\(batchIndex=0\)"):  # a root no batch claims
        client.finalize_exit(leg, replace(proof, state_root=b"\x01" * 32))
    with pytest.raises(BridgeRejected, match=r"BridgeUnsupportedToken"):
        client.finalize_exit(replace(leg, token=users[3].address), proof)
    client.finalize_exit(leg, proof)  # the real one still goes through, once


def test_an_exit_of_any_other_token_is_excluded_with_its_reason(make_system, users):
    """Only the bridge's token can be finalized on L1: the sequencer leaves out the burn of any
    other ERC-7802 token to L1 (it would be burned for good), and keeps building."""
    from svs.deploy.artifacts import load_artifact

    system = make_system(2, batch_every=1)
    w3 = system.w3[901]
    artifact = load_artifact("BridgeableToken")
    deploy = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor(
        "Other", "OTH", system.addresses[901]["MintBurnSystemContract"], users[0].address, 10 * TOKEN)
    created = system.send(901, users[0], deploy, gas=3_000_000)
    system.tick()
    other = w3.eth.get_transaction_receipt(created).contractAddress
    mint_burn = system.contract(901, "MintBurnSystemContract")
    burn = system.send(901, users[0], mint_burn.functions.burn(L1_CHAIN_ID, users[0].address, other, TOKEN))
    honest = system.burn(901, L1_CHAIN_ID, users[1], users[1].address, TOKEN)
    system.tick()
    status = system.status(901, burn)
    assert status["status"] == "excluded" and f"can exit to L1 (chain {L1_CHAIN_ID})" in status["reason"], status
    assert system.status(901, honest)["status"] == "included"


def test_optimistic_exits_wait_for_the_window_and_a_voided_batch_refuses_them(make_system, users):
    """Not final while its window is open; a batch voided by a challenge refuses the exit (even
    though it covered the burn); once the window of an honest batch closed, the exit goes through
    with the commitment proof (the optimistic inbox records no roots)."""
    system = make_system(2, batch_every=1, hooks=Liar(Lie.DROP_MINT), inbox=MODES["optimistic"])
    liar = system.sequencer.hooks
    liar.armed = False
    burn = system.burn(901, L1_CHAIN_ID, users[0], users[0].address, TOKEN)
    assert system.sequencer.tick().l1_batch.ok  # batch 0: honest, holds the exit
    liar.armed = True
    assert _busy_tick(system, users).l1_batch.ok  # batch 1: a dropped mint, accepted for now
    rollup, client = system.sequencer.chains[901], bridge(system, users[3])
    leg, block = find_exit(rollup, L1_CHAIN_ID, burn)
    inbox = system.inbox()
    assert exit_state(inbox, client, leg, block) == ("proven", 1)
    late = build_exit_proof(inbox, rollup, leg, 1)
    assert late.commitment.roots, "an optimistic inbox records no exit roots"
    with pytest.raises(BridgeRejected, match=r"BridgeBatchNotFinal\(batchIndex=1\)"):
        client.finalize_exit(leg, late)
    verdicts, _ = verify_all(system.verifier(), system.inbox(accounts.user(6)))
    assert [v.ok for v in verdicts] == [True, False], [v.line() for v in verdicts]
    with pytest.raises(BridgeRejected, match=r"BridgeBatchVoided\(batchIndex=1\)"):
        client.finalize_exit(leg, late)
    inbox.w3.provider.make_request("evm_increaseTime", [601])
    inbox.w3.provider.make_request("evm_mine", [])
    assert exit_state(inbox, client, leg, block) == ("final", 0)
    sent = client.finalize_exit(leg, build_exit_proof(inbox, rollup, leg, 0, client))
    print(f"finalizeExit gas, first of an optimistic batch (commitment proof): {sent.gas_used:,}")
    assert client.exit_finalized(901, leg.nonce)


def test_a_hung_l1_is_left_alone_between_deposit_reads_and_its_deposits_come_after(make_system, users):
    """L1 accepts connections and never answers (SIGSTOP). Each deposit read then costs a tick the
    read's timeout; asked every tick, a hung L1 held every tick that long. After a failed read
    the feed leaves L1 alone for a backoff (1 s, doubling), and once L1 answers again its
    deposits are minted as before."""
    import os
    import signal
    import time

    from svs.node.rpc import RpcClient

    system = make_system(2, batch_every=0)  # no posts: called directly, a tick posts in the tick
    a, b = system.chain_ids
    feed = system.sequencer.deposits
    feed.l1 = RpcClient(feed.legs.rpc, timeout=0.5)
    reads = []
    read = feed._due
    feed._due = lambda bases: reads.append(time.monotonic()) or read(bases)
    l1 = next(n for n in system.service.nodes if n.role == "l1")
    recipient = users[4].address
    before = system.balance(a, recipient)
    bridge(system, accounts.user(0)).deposit(a, recipient, TOKEN)  # on L1, before it hangs (user 0 holds L1 tokens)
    os.kill(l1.pid, signal.SIGSTOP)
    try:
        system.burn(a, b, users[0], users[1].address, TOKEN)
        tick = system.sequencer.tick  # system.tick() would check the supply on L1 too
        assert tick().included[a] == 1 and len(reads) == 1 and feed.backoff == 1.0  # timed out
        for _ in range(5):
            tick()  # within the backoff: L1 is not asked
        assert len(reads) == 1
        time.sleep(1.0)
        tick()
        assert len(reads) == 2 and feed.backoff == 2.0  # asked again, timed out again: twice as long
    finally:
        os.kill(l1.pid, signal.SIGCONT)
    time.sleep(2.0)
    system.tick()  # the deposit made before the hang
    assert feed.backoff == 0.0 and system.balance(a, recipient) == before + TOKEN
