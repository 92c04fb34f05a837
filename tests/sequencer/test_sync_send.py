"""eth_sendRawTransactionSync (EIP-7966): the receipt comes once the tick that includes the
transaction has committed, with every destination leg; a timeout, an exclusion and a refused
admission each get their own error, and no waiting call outlives its timeout."""

from __future__ import annotations

import threading
import time

import requests

from tests.support.system import GAS_PRICE, TOKEN


def raw_burn(system, source, destination, sender, recipient, amount, nonce=None) -> str:
    w3 = system.w3[source]
    call = system.contract(source, "MintBurnSystemContract").functions.burn(destination, recipient, system.token, amount)
    tx = call.build_transaction({"from": sender.address, "chainId": source, "gas": 300_000, "gasPrice": GAS_PRICE,
                                 "nonce": w3.eth.get_transaction_count(sender.address, "pending") if nonce is None else nonce})
    return "0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex()


def raw_trigger(system, source, destination, sender, by) -> str:
    w3 = system.w3[source]
    counter = system.contract(destination, "CrossChainCounter")
    call = system.contract(source, "GeneralSystemContract").functions.trigger(
        destination, counter.address, counter.encode_abi("increment", [by]), 100_000)
    tx = call.build_transaction({"from": sender.address, "chainId": source, "gas": 300_000, "gasPrice": GAS_PRICE,
                                 "nonce": w3.eth.get_transaction_count(sender.address, "pending")})
    return "0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex()


def sync_call(system, chain_id, *params) -> dict:
    """One eth_sendRawTransactionSync over HTTP, as a client sends it."""
    body = {"jsonrpc": "2.0", "id": 7, "method": "eth_sendRawTransactionSync", "params": list(params)}
    return requests.post(system.urls[chain_id], json=body, timeout=90).json()


def in_background(fn, *args) -> tuple[threading.Thread, dict]:
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(reply=fn(*args)), daemon=True)
    thread.start()
    return thread, out


def wait_pending(system, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(system.sequencer.mempool) < count:
        assert time.monotonic() < deadline, "the transaction was never admitted"
        time.sleep(0.01)


def test_receipt_comes_after_the_tick_with_both_legs_committed(system, users):
    a, b = system.chain_ids
    thread, out = in_background(sync_call, system, a, raw_burn(system, a, b, users[0], users[1].address, TOKEN), 20_000)
    wait_pending(system, 1)
    time.sleep(0.3)
    assert thread.is_alive(), "answered before any tick committed"
    system.tick()
    thread.join(10)
    receipt = out["reply"]["result"]
    assert int(receipt["status"], 16) == 1
    assert int(receipt["blockNumber"], 16) == system.sequencer.committed[a]
    (leg,) = receipt["svsLegs"]
    mint = system.w3[b].eth.get_transaction_receipt(leg["counterpart"])
    assert mint.status == 1 and mint.blockNumber == system.sequencer.committed[b]
    assert system.balance(b, users[1].address) == TOKEN


def test_timeout_answers_code_4_with_the_hash_and_the_transaction_stays_pending(system, users):
    a, b = system.chain_ids
    started = time.monotonic()
    reply = sync_call(system, a, raw_burn(system, a, b, users[0], users[1].address, TOKEN), "0x12c")  # 300 ms
    assert time.monotonic() - started < 5
    assert reply["error"]["code"] == 4 and "300 ms" in reply["error"]["message"]
    tx_hash = reply["error"]["data"]
    assert system.status(a, tx_hash)["status"] == "pending"
    system.tick()
    assert system.status(a, tx_hash)["status"] == "included"


def test_excluded_source_answers_the_reason(system, users):
    a, b = system.chain_ids
    thread, out = in_background(sync_call, system, a, raw_trigger(system, a, b, users[2], by=0))
    wait_pending(system, 1)
    system.tick()
    thread.join(10)
    error = out["reply"]["error"]
    assert error["code"] == -32000 and "excluded" in error["message"]
    assert "CrossChainCounterZeroIncrement" in error["message"]
    assert system.status(a, error["data"])["status"] == "excluded"


def test_refused_admission_answers_at_once_and_admits_nothing(system, users):
    a, b = system.chain_ids
    raw = raw_burn(system, a, b, users[0], users[1].address, TOKEN, nonce=9)
    started = time.monotonic()
    reply = sync_call(system, a, raw)
    assert time.monotonic() - started < 5
    assert reply["error"]["code"] == -32000 and "nonce too high" in reply["error"]["message"]
    assert len(system.sequencer.mempool) == 0
    for params in ([], [123], ["0x12", 1, 2]):
        assert sync_call(system, a, *params)["error"]["code"] == -32602


def test_waiting_calls_are_bounded(system, users, monkeypatch):
    a, b = system.chain_ids
    ingress = system.service.servers[0].ingress
    monkeypatch.setattr(ingress, "_sync_waiters", threading.BoundedSemaphore(1))
    thread, out = in_background(sync_call, system, a, raw_burn(system, a, b, users[0], users[1].address, TOKEN), 20_000)
    wait_pending(system, 1)
    reply = sync_call(system, a, raw_burn(system, a, b, users[3], users[1].address, TOKEN))
    assert reply["error"]["code"] == -32005 and "busy" in reply["error"]["message"]
    assert len(system.sequencer.mempool) == 1, "the refused call admitted its transaction"
    system.tick()
    thread.join(10)
    assert int(out["reply"]["result"]["status"], 16) == 1
