"""The greeter's own tests, on the shared sequencer through the `svs` fixture (the svs package's
pytest plugin): two rollups, a greeting from one lands on the other in the same tick."""

import pytest


@pytest.fixture
def greeters(svs, svs_users, project):
    a, b = svs.chain_ids
    owner = svs_users[0]
    deployed = {c: svs.deploy(c, owner, project.CrossChainGreeter, svs.addresses[c]["GeneralSystemContract"])
                for c in (a, b)}
    for here, there in ((a, b), (b, a)):
        svs.send(here, owner, deployed[here].functions.setPeer(there, deployed[there].address))
    svs.tick()
    return deployed


def test_a_greeting_lands_on_the_other_rollup_in_the_same_tick(svs, svs_users, greeters):
    a, b = svs.chain_ids
    alice = svs_users[1]
    tx = svs.send(a, alice, greeters[a].functions.greet(b, "gm from 901"))
    report = svs.tick()
    assert report.legs[b] == 1
    (leg,) = svs.legs_of(a, tx)
    assert leg["kind"] == "call" and leg["destination"] == b
    assert svs.w3[b].eth.get_transaction_receipt(leg["counterpart"]).blockNumber == report.heights[b]
    assert greeters[b].functions.lastGreeting().call() == "gm from 901"
    assert greeters[b].functions.lastFrom().call() == alice.address
    assert greeters[b].functions.lastSourceChainId().call() == a


def test_a_greeting_from_a_stranger_is_excluded_with_the_reason(svs, svs_users, greeters):
    a, b = svs.chain_ids
    general = svs.contract(a, "GeneralSystemContract")
    data = greeters[b].encode_abi("receive_", [svs_users[2].address, "forged"])
    call = {"from": svs_users[2].address, "to": general.address,
            "data": general.encode_abi("trigger", [b, greeters[b].address, data, 200_000])}
    (predicted,) = svs.simulate(a, call)["transactions"]
    assert predicted["outcome"] == "excluded" and "GreeterUnknownPeer" in predicted["exclusionReason"]
    tx = svs.trigger(a, b, svs_users[2], greeters[b].address, data)
    svs.tick()
    status = svs.status(a, tx)
    assert status["status"] == "excluded" and "GreeterUnknownPeer" in status["reason"]
    assert greeters[b].functions.lastGreeting().call() == ""


def test_each_test_starts_from_the_sessions_state(svs, svs_users):
    """The previous tests deployed greeters and ticked; none of it is here."""
    a, b = svs.chain_ids
    assert svs.status(a, "0x" + "00" * 32) is None
    assert svs.sequencer.transaction_status  # the sequencer is running
    heights = dict(svs.sequencer.committed)
    before = svs.balance(b, svs_users[4].address)
    tx = svs.transfer(a, b, svs_users[0], svs_users[4].address, 7)
    svs.tick()
    assert svs.status(a, tx)["status"] == "included", svs.status(a, tx)
    assert svs.balance(b, svs_users[4].address) == before + 7
    assert svs.sequencer.committed[a] == heights[a] + 1
