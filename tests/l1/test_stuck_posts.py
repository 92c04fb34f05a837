"""An L1 post that L1 does not mine (a fee spike, a full blob market) must not wedge posting: the
client sends it again at higher fees with the same nonce, and its next post replaces it
(svs.l1.contract). On a real anvil L1 with automine off, so the pool holds what is sent."""

from __future__ import annotations

import threading
import time

import pytest

from svs.deploy import accounts
from svs.l1.batcher import Batcher
from svs.l1.contract import FEE_BUMP, MAX_FEE_MULTIPLE
from svs.l1.inbox import InboxClient


def _pooled(net) -> list[dict]:
    """The sequencer's transactions in L1's pool."""
    content = net.rpc_l1("txpool_content")
    sender = accounts.sequencer().address
    return [tx for by_sender in content["pending"].values() for tx in by_sender.values()
            if tx["from"].lower() == sender.lower()]


def _fee(tx: dict) -> int:
    return int(tx.get("maxFeePerGas") or tx["gasPrice"], 16)


def _post_and_mine_once(net, batcher, heads, replaced) -> object:
    """Post in a thread; once ``replaced(pool)`` holds for the sequencer's pooled transactions,
    check the pool holds just one, mine a block, and return the post's report. The post waits
    5 s before a resend, far longer than this takes, so it sees the block on its first wait."""
    batcher.inbox.replace_after = 5.0
    result = {}
    poster = threading.Thread(target=lambda: result.update(report=batcher.post(heads)), daemon=True)
    poster.start()
    deadline = time.monotonic() + 30
    while not (pool := _pooled(net)) or not replaced(pool):
        assert poster.is_alive(), f"the post ended before it replaced the pooled one: {result}"
        assert time.monotonic() < deadline, f"the post never replaced the pooled one: {pool}"
        time.sleep(0.05)
    assert len(pool) == 1, pool  # replaced, not queued behind
    net.rpc_l1("evm_mine")
    poster.join(30)
    assert not poster.is_alive(), "the post did not return after its transaction was mined"
    return result["report"]


@pytest.fixture
def paused_l1(net):
    """L1 that mines only when told (evm_mine); automine and an empty pool again afterwards."""
    net.rpc_l1("evm_setAutomine", False)
    try:
        yield net
    finally:
        net.rpc_l1("evm_setAutomine", True)
        if _pooled(net):
            net.rpc_l1("evm_mine")


@pytest.mark.parametrize("in_blobs", [False, True], ids=["calldata", "blobs"])
def test_a_post_left_in_the_pool_is_replaced_by_the_next_one_which_lands_alone(paused_l1, in_blobs):
    net = paused_l1
    a, b = net.chain_ids
    inbox = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), owns_account=True,
                        replace_after=0.3, max_sends=2)
    batcher = Batcher(inbox, net.sources(), every=1, data_availability="blobs" if in_blobs else "calldata")
    nonce = inbox.w3.eth.get_transaction_count(accounts.sequencer().address, "latest")
    net.transfers(a, b, 3)

    # 1. L1 mines nothing: both sends of the first post stay unmined; the second replaced the first.
    stuck = batcher.post(net.heads())
    assert not stuck.ok and "mined none of 2 sends" in stuck.error, stuck
    pooled = _pooled(net)
    assert len(pooled) == 1 and int(pooled[0]["nonce"], 16) == nonce
    first_fee = _fee(pooled[0])

    # 2. More blocks; the next post takes the stuck nonce at higher fees. Mine once it is in the pool.
    net.transfers(b, a, 2)
    heads = net.heads()
    report = _post_and_mine_once(net, batcher, heads, lambda pool: _fee(pool[0]) >= FEE_BUMP * first_fee)
    assert report.ok and report.batch_index == 0, report
    assert report.ranges == {c: (1, heads[c]) for c in net.chain_ids}  # the stuck post's blocks and the new ones
    assert report.blobs == (2 if in_blobs else 0)
    assert inbox.batch_count() == 1  # the stuck post never landed on its own
    assert inbox.w3.eth.get_transaction_count(accounts.sequencer().address, "latest") == nonce + 1


def test_a_post_stuck_before_a_restart_is_replaced_by_the_new_client(paused_l1):
    """The sequencer restarts while its post waits in the pool: the new client knows nothing of
    it, takes the confirmed nonce, and outbids the old post by doubling its fees on each
    "underpriced" answer, so the new post replaces it instead of queueing behind it."""
    net = paused_l1
    a, b = net.chain_ids
    before = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), owns_account=True,
                         replace_after=0.2, max_sends=3)  # sends at 1x, 2x and 4x today's fees
    net.transfers(a, b, 2)
    assert not Batcher(before, net.sources(), every=1, data_availability="calldata").post(net.heads()).ok
    [old] = _pooled(net)
    nonce = int(old["nonce"], 16)

    after = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), owns_account=True,
                        max_sends=2)  # the restarted sequencer's client
    net.transfers(b, a, 1)
    heads = net.heads()
    report = _post_and_mine_once(net, Batcher(after, net.sources(), every=1, data_availability="calldata"), heads,
                                 lambda pool: _fee(pool[0]) > _fee(old) and int(pool[0]["nonce"], 16) == nonce)
    assert report.ok and report.batch_index == 0 and report.ranges == {c: (1, heads[c]) for c in net.chain_ids}, report
    assert after.batch_count() == 1


def test_a_post_mined_late_is_found_and_the_next_one_takes_a_fresh_nonce(paused_l1):
    """The stuck post is mined after all (the spike passed): the client forgets it, and the next
    post uses the next nonce rather than trying to replace a mined transaction."""
    net = paused_l1
    a, b = net.chain_ids
    inbox = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), owns_account=True,
                        replace_after=0.3, max_sends=1)
    batcher = Batcher(inbox, net.sources(), every=1, data_availability="calldata")
    net.transfers(a, b, 2)
    assert not batcher.post(net.heads()).ok
    net.rpc_l1("evm_mine")  # the stuck post lands after all
    assert inbox.batch_count() == 1
    net.rpc_l1("evm_setAutomine", True)
    net.transfers(b, a, 1)
    report = batcher.post(net.heads())
    assert report.ok and report.batch_index == 1, report
    assert inbox.batch_count() == 2


def _stuck_at_the_cap(net):
    """A post that L1 leaves unmined through as many sends as reach the fee cap: (its client,
    batcher, today's gas price, its pooled transaction, priced over half the cap)."""
    a, b = net.chain_ids
    inbox = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), owns_account=True,
                        replace_after=0.2, max_sends=MAX_FEE_MULTIPLE.bit_length() + 2)
    batcher = Batcher(inbox, net.sources(), every=1, data_availability="calldata")
    quote = inbox.w3.eth.gas_price
    net.transfers(a, b, 1)
    assert not batcher.post(net.heads()).ok
    [pooled] = _pooled(net)
    assert quote * MAX_FEE_MULTIPLE // FEE_BUMP < _fee(pooled) <= quote * MAX_FEE_MULTIPLE
    return inbox, batcher, quote, pooled


def test_a_post_priced_far_over_the_market_is_waited_for_not_outbid_without_end(paused_l1):
    """L1 mines nothing for long: the sends double up to MAX_FEE_MULTIPLE times today's fees and
    stop there. The next post does not outbid the last send: it waits for it (fees do not
    double without end, and the tip is paid in full)."""
    net = paused_l1
    a, b = net.chain_ids
    inbox, batcher, quote, pooled = _stuck_at_the_cap(net)
    waiting = batcher.post(net.heads())
    assert not waiting.ok and "waiting for it rather than paying more" in waiting.error, waiting
    assert _pooled(net) == [pooled]  # nothing sent
    net.rpc_l1("evm_mine")
    assert inbox.batch_count() == 1
    net.rpc_l1("evm_setAutomine", True)
    net.transfers(b, a, 1)
    assert batcher.post(net.heads()).ok and inbox.batch_count() == 2


def test_a_remembered_post_that_left_the_pool_is_forgotten_and_the_next_one_goes_at_todays_fees(paused_l1):
    """At the cap the client waits for its last send; if the node drops it (a restart of L1's
    node, an eviction), there is nothing to wait for: the next post goes at today's fees."""
    net = paused_l1
    a, b = net.chain_ids
    inbox, batcher, quote, pooled = _stuck_at_the_cap(net)
    net.rpc_l1("anvil_dropTransaction", pooled["hash"])
    net.transfers(b, a, 1)
    report = _post_and_mine_once(net, batcher, net.heads(), lambda pool: True)
    assert report.ok and report.batch_index == 0, report
    assert inbox.w3.eth.get_transaction(report.tx_hash)["gasPrice"] == quote


def test_a_client_that_does_not_own_its_account_queues_behind_what_it_did_not_send(paused_l1):
    """A user's deposit or exit (any client without owns_account) never replaces a transaction
    its account has waiting: it takes the next nonce, as a wallet does."""
    net = paused_l1
    a, b = net.chain_ids
    net.transfers(a, b, 1)
    waiting = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), owns_account=True,
                          replace_after=0.2, max_sends=1)
    assert not Batcher(waiting, net.sources(), every=1, data_availability="calldata").post(net.heads()).ok
    [first] = _pooled(net)
    user_like = InboxClient(net.l1_url, net.inboxes["strict"].address, accounts.sequencer(), replace_after=0.2,
                            max_sends=1)
    assert not Batcher(user_like, net.sources(), every=1, data_availability="calldata").post(net.heads()).ok
    pooled = sorted(_pooled(net), key=lambda tx: int(tx["nonce"], 16))
    assert [tx["hash"] for tx in pooled[:1]] == [first["hash"]] and len(pooled) == 2
    assert int(pooled[1]["nonce"], 16) == int(first["nonce"], 16) + 1


def test_replacement_fees_double_every_field_and_follow_a_higher_market():
    from svs.l1.contract import _bumped

    old = {"maxFeePerGas": 100, "maxPriorityFeePerGas": 10, "maxFeePerBlobGas": 7}
    assert _bumped(old, {"maxFeePerGas": 50, "maxPriorityFeePerGas": 50, "maxFeePerBlobGas": 1}) == {
        "maxFeePerGas": 200, "maxPriorityFeePerGas": 50, "maxFeePerBlobGas": 14}
    # a legacy price counts as both cap and tip
    assert _bumped({"gasPrice": 30}, {"maxFeePerGas": 10, "maxPriorityFeePerGas": 5}) == {
        "maxFeePerGas": 60, "maxPriorityFeePerGas": 60}
    assert _bumped(old, {"gasPrice": 13}) == {"gasPrice": 200}
    # never more than MAX_FEE_MULTIPLE times today's fees in any field
    assert _bumped({"gasPrice": 80}, {"gasPrice": 10}) == {"gasPrice": 160}
    assert _bumped({"gasPrice": 81}, {"gasPrice": 10}) is None
    # a zero fee (a devnet) still rises, so repeated bumps meet the cap instead of staying at 0
    assert _bumped({"gasPrice": 0}, {"gasPrice": 0}) == {"gasPrice": 2}
    assert _bumped({"gasPrice": 16}, {"gasPrice": 0}) is None
    assert _bumped(old, {"maxFeePerGas": 200, "maxPriorityFeePerGas": 1, "maxFeePerBlobGas": 100}) is None


def test_a_client_refuses_settings_that_never_wait():
    with pytest.raises(ValueError, match="replace_after must be positive"):
        InboxClient("http://127.0.0.1:9", "0x" + "11" * 20, replace_after=0)
