"""Limits like a production node's: each refusal is a clear JSON-RPC error, and what is valid but
does not fit this block waits for the next one instead of being excluded."""

from __future__ import annotations

import json

import requests
from web3 import Web3

from svs.pipeline import ingress as ingress_module
from svs.pipeline.limits import CALL_GAS_CAP, MAX_BATCH_REQUESTS, MAX_BODY_BYTES, MIN_BASE_FEE, block_bytes_cap
from tests.support.hostile import assert_nodes_alive, fund_new_accounts, hostile_sources
from tests.support.system import GAS_PRICE, TOKEN


def _noise(size: int, seed: int) -> bytes:
    """Incompressible bytes (a keccak chain), so compression cannot hide their size."""
    out, block = bytearray(), Web3.keccak(seed.to_bytes(32, "big"))
    while len(out) < size:
        out += block
        block = Web3.keccak(block)
    return bytes(out[:size])


def _raw(system, chain_id, account, data: bytes, gas: int, nonce: int) -> str:
    tx = {"to": account.address, "value": 0, "data": data, "gas": gas, "gasPrice": GAS_PRICE, "nonce": nonce,
          "chainId": chain_id}
    return account.sign_transaction(tx).raw_transaction.to_0x_hex()


def _post(url: str, body) -> dict:
    return requests.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=30).json()


def test_a_transaction_over_128_kb_is_refused_and_one_under_it_is_kept(system, users):
    a, _ = system.chain_ids
    sender = users[4]
    nonce = system.w3[a].eth.get_transaction_count(sender.address)
    big = _raw(system, a, sender, _noise(129 * 1024, 1), 6_000_000, nonce)
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [big]})
    assert reply["error"]["code"] == -32000 and "oversized data" in reply["error"]["message"], reply
    fits = _raw(system, a, sender, _noise(100 * 1024, 2), 4_500_000, nonce)
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [fits]})
    assert "result" in reply, reply
    system.tick()
    assert system.status(a, reply["result"])["status"] == "included"


def test_data_below_the_eip7623_floor_is_refused_at_the_ingress_not_dropped_by_the_node(system, users):
    """100 KB of calldata with 2M gas pays the EIP-2028 cost (1.6M) but not the EIP-7623 floor
    (4.02M): anvil takes such a transaction into its pool and drops it at mining, silently, so a
    sequencer that let it through deferred it at every tick, for ever (found by
    test_generated.py). The ingress refuses it; with gas above the floor it is included."""
    a, _ = system.chain_ids
    sender = users[4]
    nonce = system.w3[a].eth.get_transaction_count(sender.address)
    data = b"\x5a" * 100_000
    below = _raw(system, a, sender, data, 2_000_000, nonce)
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [below]})
    assert "intrinsic gas too low: gas 2000000 < 4021000" in reply["error"]["message"], reply
    above = _raw(system, a, sender, data, 4_021_000, nonce)
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [above]})
    system.tick()
    assert system.status(a, reply["result"])["status"] == "included"
    assert not len(system.sequencer.mempool)


def test_a_transaction_the_node_drops_although_the_block_had_room_is_excluded_not_deferred(system, users, monkeypatch):
    """The builder's second line behind the ingress's floor check: with that check switched off,
    the below-floor transaction reaches the node, which drops it at mining; the builder excludes
    it with the reason (it would otherwise wait for a block with room that it already had), and the
    honest burn of the same tick is included."""
    import svs.pipeline.admission

    a, b = system.chain_ids
    monkeypatch.setattr(svs.pipeline.admission, "intrinsic_gas", lambda data, creation: 21_000)
    sender = users[4]
    below = _raw(system, a, sender, b"\x5a" * 100_000, 2_000_000, system.w3[a].eth.get_transaction_count(sender.address))
    dropped = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [below]})["result"]
    honest = system.burn(a, b, users[0], users[5].address, TOKEN)
    report = system.tick()
    status = system.status(a, dropped)
    assert status["status"] == "excluded" and "dropped by the node at its turn although the block had room" in status["reason"]
    assert dropped in report.excluded
    assert system.status(a, honest)["status"] == "included"
    assert not len(system.sequencer.mempool)


def test_blocks_of_large_transactions_are_capped_so_every_block_posts_to_l1(make_system, users):
    """Twenty 100 KB transactions in one tick: the block takes what fits its byte cap, the rest
    wait, and every tick's L1 post is accepted (none wedges on an oversized block)."""
    system = make_system(2, batch_every=1)
    a, b = system.chain_ids
    senders = fund_new_accounts(system, a, 20, users[7])
    sent = [system.w3[a].eth.send_raw_transaction(_raw(system, a, s, _noise(100 * 1024, i), 4_500_000, 0)).to_0x_hex()
            for i, s in enumerate(senders)]
    honest = system.burn(b, a, users[0], users[5].address, TOKEN)
    first = system.tick()  # asserts the L1 post was accepted
    assert 0 < first.included[a] <= block_bytes_cap(2) // (100 * 1024)
    assert any("does not fit" in r for r in first.deferred_reasons.values()), first.deferred_reasons
    assert system.status(b, honest)["status"] == "included"
    for _ in range(12):
        if all(system.status(a, tx)["status"] == "included" for tx in sent):
            break
        system.tick()
    assert all(system.status(a, tx)["status"] == "included" for tx in sent)
    inbox = system.inbox()
    assert inbox.next_block(a) == system.sequencer.committed[a] + 1, "L1 batching fell behind"
    assert_nodes_alive(system)


def test_request_body_and_batch_limits_answer_with_clear_errors(system):
    a, _ = system.chain_ids
    too_big = requests.post(system.urls[a], data=b" " * (MAX_BODY_BYTES + 1),
                            headers={"Content-Type": "application/json"}, timeout=30).json()
    assert too_big["error"]["code"] == -32600 and "body must be" in too_big["error"]["message"]
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []} for i in range(MAX_BATCH_REQUESTS + 1)]
    reply = _post(system.urls[a], batch)
    assert reply["error"]["code"] == -32005 and "exceeds the limit" in reply["error"]["message"], reply
    assert len(_post(system.urls[a], batch[:MAX_BATCH_REQUESTS])) == MAX_BATCH_REQUESTS


def test_eth_call_gas_is_capped_at_50m(system, users):
    a, _ = system.chain_ids
    hostile = hostile_sources(system, a, users[1])
    call = {"to": hostile.address, "data": hostile.encode_abi("burnGas", [3_000]), "gas": hex(10**9)}
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, "latest"]})
    assert "error" in reply, f"3,000 fresh slots (~66M gas) ran under a {CALL_GAS_CAP:,} cap: {reply}"
    call["data"] = hostile.encode_abi("burnGas", [1_000])  # ~22M gas: fine under the cap
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, "latest"]})
    assert "result" in reply, reply


def test_reads_wait_for_a_slot_and_are_refused_as_busy_when_none_comes(system, monkeypatch):
    a, _ = system.chain_ids
    ingress = system.service.servers[0].ingress
    monkeypatch.setattr(ingress_module, "READ_QUEUE_SECONDS", 0.2)
    held = 0
    while ingress._reads.acquire(blocking=False):
        held += 1
    try:
        reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance",
                                       "params": [system.token, "latest"]})
        assert reply["error"]["code"] == -32005 and "busy" in reply["error"]["message"], reply
    finally:
        for _ in range(held):
            ingress._reads.release()
    assert held == ingress_module.MAX_CONCURRENT_READS
    reply = _post(system.urls[a], {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [system.token, "latest"]})
    assert "result" in reply


def test_wallets_that_use_the_estimate_as_gas_limit_do_not_run_out_of_gas(system, users):
    """Like ethers: estimate each burn through the ingress (committed state) and send it with
    exactly that gas while earlier burns are still pending; every burn must succeed."""
    a, b = system.chain_ids
    w3 = system.w3[a]
    mint_burn = system.contract(a, "MintBurnSystemContract")
    sender = users[0]
    hashes = []
    for i in range(30):
        call = mint_burn.functions.burn(b, users[5].address, system.token, TOKEN + i)
        estimate = w3.eth.estimate_gas({"from": sender.address, "to": mint_burn.address, "data": call._encode_transaction_data()})
        hashes.append(system.send(a, sender, call, gas=estimate))
        if i % 10 == 9:
            system.tick()
    system.tick()
    statuses = [w3.eth.get_transaction_receipt(h)["status"] for h in hashes]
    assert statuses.count(1) == 30, f"{statuses.count(0)} of 30 burns ran out of gas"


def test_base_fee_rises_with_full_blocks_and_what_does_not_fit_waits(system, users):
    a, _ = system.chain_ids
    hostile = hostile_sources(system, a, users[1])
    fillers = fund_new_accounts(system, a, 5, users[7])
    sent = [system.send(a, s, hostile.functions.burnGas(300), gas=7_000_000) for s in fillers]  # ~6.7M gas each
    report = system.tick()
    assert report.included[a] < 5 and report.deferred_reasons, report.line()
    fees = []
    for _ in range(3):
        block = system.w3[a].eth.get_block("latest")
        fees.append(block["baseFeePerGas"])
        if all(system.status(a, tx)["status"] == "included" for tx in sent):
            break
        system.tick()
    assert all(system.status(a, tx)["status"] == "included" for tx in sent), "a filler that waited was lost"
    assert fees[1] > fees[0], f"a block over the gas target did not raise the base fee: {fees}"
    for _ in range(30):  # empty blocks: the base fee falls, but never below the floor
        system.tick()
    assert system.w3[a].eth.get_block("latest")["baseFeePerGas"] == MIN_BASE_FEE
    assert_nodes_alive(system)
