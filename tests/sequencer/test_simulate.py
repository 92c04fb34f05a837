"""sequencer_simulate: a transfer, a failing action and a nested leg each get the answer the
tick then confirms, nothing is sent, and bad input gets a clear error."""

from __future__ import annotations

from tests.sequencer.test_sync_send import raw_burn, raw_trigger
from tests.support.hostile import nested_leg_probe
from tests.support.system import TOKEN


def simulate(system, chain_id, *params) -> dict:
    return system.w3[chain_id].provider.make_request("sequencer_simulate", list(params))


def test_a_transfer_succeeds_with_its_mint_and_nothing_is_sent(system, users):
    a, b = system.chain_ids
    heights = dict(system.sequencer.committed)
    answer = simulate(system, a, raw_burn(system, a, b, users[0], users[1].address, TOKEN))["result"]
    (tx,) = answer["transactions"]
    assert tx["success"] and tx["outcome"] == "included" and answer["wouldBeIncluded"]
    assert 40_000 < tx["gasUsed"] < 300_000
    (leg,) = tx["legs"]
    assert leg["kind"] == "transfer" and leg["destination"] == b and leg["success"] and not leg["nested"]
    assert leg["recipient"] == users[1].address and int(leg["amount"]) == TOKEN and leg["gasUsed"] > 21_000
    assert system.sequencer.committed == heights and len(system.sequencer.mempool) == 0
    assert system.balance(b, users[1].address) == 0


def test_a_failing_action_is_predicted_excluded_with_the_decoded_reason(system, users):
    a, b = system.chain_ids
    raw = raw_trigger(system, a, b, users[2], by=0)
    answer = simulate(system, a, raw)["result"]
    (tx,) = answer["transactions"]
    assert tx["success"] and tx["outcome"] == "excluded" and not answer["wouldBeIncluded"]
    (leg,) = tx["legs"]
    assert leg["kind"] == "call" and not leg["success"] and "CrossChainCounterZeroIncrement" in leg["reason"]
    assert "CrossChainCounterZeroIncrement" in tx["exclusionReason"]
    # The tick agrees.
    tx_hash = system.w3[a].eth.send_raw_transaction(raw).to_0x_hex()
    system.tick()
    assert system.status(a, tx_hash)["status"] == "excluded"


def test_a_reverting_source_and_a_call_object_bundle(system, users):
    a, b = system.chain_ids
    mint_burn = system.contract(a, "MintBurnSystemContract")
    too_much = {"from": users[5].address, "to": mint_burn.address,
                "data": mint_burn.encode_abi("burn", [b, users[1].address, system.token, 10**40])}
    fine = {"from": users[0].address, "to": mint_burn.address,
            "data": mint_burn.encode_abi("burn", [b, users[1].address, system.token, TOKEN])}
    answer = simulate(system, a, [too_much, fine, fine])["result"]
    reverted, first, second = answer["transactions"]
    assert not reverted["success"] and reverted["outcome"] == "included (reverted)" and reverted["reason"]
    assert reverted["legs"] == []
    assert first["outcome"] == second["outcome"] == "included"
    assert first["legs"][0]["success"] and second["legs"][0]["success"]  # the second mint takes the next nonce


def test_a_nested_leg_is_predicted_excluded(system, users):
    a, b = system.chain_ids
    probe = nested_leg_probe(system, b, users[0])
    data = probe.encode_abi(
        "burnOnward", [system.addresses[b]["MintBurnSystemContract"], a, users[1].address, system.token, TOKEN])
    general = system.contract(a, "GeneralSystemContract")
    call = {"from": users[2].address, "to": general.address,
            "data": general.encode_abi("trigger", [b, probe.address, data, 300_000])}
    (tx,) = simulate(system, a, call)["result"]["transactions"]
    (leg,) = tx["legs"]
    assert leg["nested"] and not leg["success"] and "nested legs are not supported" in leg["reason"]
    assert tx["outcome"] == "excluded"


def test_bad_input_gets_clear_errors(system, users):
    a, b = system.chain_ids
    for params, words in (([], "expected"), (["0xzz"], "not a signed transaction"),
                          ([{"to": users[0].address}], "call object"),
                          ([[]], "1 to 16"), ([["0x00"] * 17], "1 to 16"),
                          ([[{"from": users[0].address, "to": users[1].address, "gas": hex(30_000_000)}] * 2],
                           "more than the 50,000,000"),
                          ([raw_burn(system, b, a, users[0], users[1].address, TOKEN)], f"signed for chain {b}")):
        error = simulate(system, a, *params)["error"]
        assert error["code"] == -32602 and words in error["message"], (params, error)
