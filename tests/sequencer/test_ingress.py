"""The JSON-RPC ingress: clear errors for bad transactions, nothing accepted lost, reads that
work for web3.py unchanged, and the sequencer_ namespace."""

from __future__ import annotations

import json

import pytest
import requests

from svs.deploy import accounts

from tests.support.system import GAS_PRICE, TOKEN


def rpc(system, chain_id, method, *params):
    return system.w3[chain_id].provider.make_request(method, list(params))


def signed(sender, chain_id, nonce, gas=21_000, value=0, gas_price=GAS_PRICE, to=None):
    tx = {"nonce": nonce, "gas": gas, "gasPrice": gas_price, "to": to or accounts.user(7).address,
          "value": value, "data": b"", "chainId": chain_id}
    return "0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex()


def send_error(system, chain_id, raw) -> str:
    reply = rpc(system, chain_id, "eth_sendRawTransaction", raw)
    assert "error" in reply, f"expected a rejection, got {reply}"
    return reply["error"]["message"]


def test_malformed_transactions_get_clear_errors(system):
    a = system.chain_ids[0]
    assert "malformed" in send_error(system, a, "0xc0")
    assert "unsupported transaction type 0x05" in send_error(system, a, "0x05aa")
    assert "empty transaction" in send_error(system, a, "0x")
    assert "not hex" in send_error(system, a, "0xzz")
    assert "invalid params" in rpc(system, a, "eth_sendRawTransaction")["error"]["message"]


def test_wrong_chain_id_is_rejected(system, users):
    a, b = system.chain_ids
    message = send_error(system, a, signed(users[0], b, 0))
    assert f"signed for chain {b}" in message and f"this endpoint is chain {a}" in message


def test_nonce_too_low_too_high_and_duplicate(system, users):
    a = system.chain_ids[0]
    sender = users[4]
    first = signed(sender, a, 0)
    assert "result" in rpc(system, a, "eth_sendRawTransaction", first)
    assert "already known" in send_error(system, a, first)
    assert "nonce too high: next nonce" in send_error(system, a, signed(sender, a, 5))
    system.tick()
    assert "nonce too low" in send_error(system, a, signed(sender, a, 0, value=1))


def test_insufficient_funds_and_gas_limits(system):
    a = system.chain_ids[0]
    from eth_account import Account

    empty = Account.create()
    assert "insufficient funds" in send_error(system, a, signed(empty, a, 0))
    rich = accounts.user(4)
    assert "exceeds gas limit" in send_error(system, a, signed(rich, a, 0, gas=40_000_000))
    assert "intrinsic gas too low" in send_error(system, a, signed(rich, a, 0, gas=20_000))
    assert "fee too low" in send_error(system, a, signed(rich, a, 0, gas_price=1))


def test_admission_reads_a_senders_committed_state_once_per_height(system, users, monkeypatch):
    """A sender's nonce and balance at the committed block are read from the node once per
    height (that state never changes) and again after the next commit: an account a tick funds
    can spend at once."""
    from eth_account import Account

    a = system.chain_ids[0]
    rpc_client = system.sequencer.chains[a].rpc
    reads: list[int] = []
    real = rpc_client.batch_strict
    monkeypatch.setattr(rpc_client, "batch_strict", lambda calls: reads.append(len(calls)) or real(calls))
    empty = Account.create()
    assert "insufficient funds" in send_error(system, a, signed(empty, a, 0))
    assert "insufficient funds" in send_error(system, a, signed(empty, a, 0, value=1))
    assert reads == [2], "the second request reads nothing from the node"
    funder = users[5]
    nonce = system.w3[a].eth.get_transaction_count(funder.address, "pending")
    assert "result" in rpc(system, a, "eth_sendRawTransaction", signed(funder, a, nonce, value=10**18, to=empty.address))
    system.tick()
    assert "result" in rpc(system, a, "eth_sendRawTransaction", signed(empty, a, 0))


def test_sequencer_account_is_reserved(system):
    a = system.chain_ids[0]
    assert "reserved" in send_error(system, a, signed(accounts.sequencer(), a, 0))


def test_batch_request_answers_each_entry_in_order(system, users):
    a = system.chain_ids[0]
    url = system.urls[a]
    good0, good1 = signed(users[4], a, 0), signed(users[4], a, 1)
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [good0]},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_sendRawTransaction", "params": ["0xc0"]},
        {"jsonrpc": "2.0", "id": 4, "method": "eth_sendRawTransaction", "params": [good1]},
        {"jsonrpc": "2.0", "id": 5, "method": "anvil_mine", "params": []},
    ]
    replies = requests.post(url, json=batch, timeout=10).json()
    assert [r["id"] for r in replies] == [1, 2, 3, 4, 5]
    assert replies[0]["result"].startswith("0x") and replies[3]["result"].startswith("0x")
    assert replies[1]["result"] == hex(a)
    assert "malformed" in replies[2]["error"]["message"]
    assert replies[4]["error"]["code"] == -32601
    assert requests.post(url, data=b"{not json", timeout=10).json()["error"]["code"] == -32700
    assert requests.post(url, json=[], timeout=10).json()["error"]["code"] == -32600


def test_deeply_nested_json_is_a_parse_error_over_http_and_websocket_and_the_endpoints_stay_up(system):
    """200,000 levels of brackets (200 KB): the standard parser raises RecursionError, or, in a
    process with the recursion limit raised (py_ecc raises it to 100,000 on import, as in an
    `ape test` process), overflows the C stack and kills the process. The ingress refuses it
    before parsing. The test raises the limit itself, so it guards the worst case."""
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        _send_deep_json(system)
    finally:
        sys.setrecursionlimit(limit)


def _send_deep_json(system):
    from websockets.sync.client import connect

    a = system.chain_ids[0]
    deep = b"[" * 200_000 + b"]" * 200_000
    reply = requests.post(system.urls[a], data=deep, timeout=30).json()
    assert reply["error"]["code"] == -32700 and "nested 200000 levels deep" in reply["error"]["message"], reply
    hidden = ('["\u0122",' + "[" * 200_000 + "]" * 200_000 + "]").encode("utf-16-le")  # 0x22 bytes hid the depth
    reply = requests.post(system.urls[a], data=hidden, timeout=30).json()
    assert reply["error"]["code"] == -32700, reply
    with connect(system.ws_urls[a], max_size=None) as socket:
        socket.send(deep.decode())
        answer = json.loads(socket.recv(timeout=30))
        assert answer["error"]["code"] == -32700 and "nested" in answer["error"]["message"], answer
        socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
        assert json.loads(socket.recv(timeout=30))["result"] == hex(a)
    assert system.w3[a].eth.chain_id == a  # still serving


def test_oversized_or_unframed_bodies_are_refused_without_reading_them(system):
    import socket
    from urllib.parse import urlparse

    url = urlparse(system.urls[system.chain_ids[0]])
    for header in ("Content-Length: 999999999999", "Content-Length: nonsense"):
        with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
            conn.sendall(f"POST / HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n".encode())
            chunks = []
            while chunk := conn.recv(65536):  # the server closes the connection after refusing
                chunks.append(chunk)
            reply = b"".join(chunks).decode()
        assert " 200 " in reply.splitlines()[0] and "-32600" in reply and "Content-Length" in reply
    assert system.w3[system.chain_ids[0]].eth.chain_id == system.chain_ids[0]  # still serving


def test_nothing_accepted_is_lost(system, users):
    a, b = system.chain_ids
    accepted = [system.burn(a, b, users[0], users[1].address, TOKEN) for _ in range(3)]
    accepted += [system.trigger(a, b, users[2], by=0), system.trigger(b, a, users[3], by=2)]
    while system.sequencer.mempool.counts().get(a) or system.sequencer.mempool.counts().get(b):
        system.tick()
    statuses = [system.status(a, h) or system.status(b, h) for h in accepted]
    assert all(s["status"] in ("included", "excluded") for s in statuses)
    assert [s["status"] for s in statuses] == ["included"] * 3 + ["excluded", "included"]
    assert len({s["sequenceNumber"] for s in statuses}) == 5


def test_pending_nonce_counts_the_mempool(system, users):
    a, b = system.chain_ids
    sender = users[0]
    w3 = system.w3[a]
    assert w3.eth.get_transaction_count(sender.address, "pending") == 0
    system.burn(a, b, sender, users[1].address, TOKEN)
    system.burn(a, b, sender, users[1].address, TOKEN)
    assert w3.eth.get_transaction_count(sender.address, "pending") == 2
    assert w3.eth.get_transaction_count(sender.address, "latest") == 0
    system.tick()
    assert w3.eth.get_transaction_count(sender.address, "latest") == 2


def test_reads_work_for_web3_unchanged(system, users):
    a, b = system.chain_ids
    w3 = system.w3[a]
    tx = system.burn(a, b, users[0], users[1].address, TOKEN)
    pending = w3.eth.get_transaction(tx)
    assert pending["blockNumber"] is None and pending["from"] == users[0].address
    system.tick()
    assert w3.eth.chain_id == a
    assert w3.eth.block_number == system.sequencer.committed[a]
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=5)
    assert receipt.status == 1 and receipt.blockNumber == w3.eth.block_number
    assert w3.eth.get_transaction(tx)["blockNumber"] == receipt.blockNumber
    assert w3.eth.get_balance(users[0].address) > 0
    assert w3.eth.get_code(system.addresses[a]["MintBurnSystemContract"]) != b""
    assert w3.eth.get_block("latest")["number"] == receipt.blockNumber
    assert w3.eth.gas_price > 0 and w3.eth.max_priority_fee >= 0
    assert w3.eth.fee_history(1, "latest")["baseFeePerGas"]
    mint_burn = system.contract(a, "MintBurnSystemContract")
    assert mint_burn.functions.burnCount(b).call() == 2  # genesis leaf + this burn
    logs = mint_burn.events.BurnLeg().get_logs(from_block=0)
    assert len(logs) == 1 and logs[0]["args"]["amount"] == TOKEN
    token = system.contract(a, "BridgeableToken")
    assert token.functions.transfer(users[1].address, 1).estimate_gas({"from": users[0].address}) > 21_000


def test_reads_never_show_uncommitted_blocks(system, users):
    a, b = system.chain_ids
    head = system.sequencer.committed[a]
    system.sequencer.chains[a].rpc.call("evm_mine")  # a block the sequencer has not committed
    w3 = system.w3[a]
    assert w3.eth.block_number == head
    assert rpc(system, a, "eth_getBlockByNumber", hex(head + 1), False)["error"]["message"].startswith(
        f"block {head + 1} is not committed")
    system.sequencer.chains[a].rpc.call("anvil_rollback", 1)


def test_state_changing_methods_are_refused(system):
    a = system.chain_ids[0]
    for method in ("anvil_mine", "evm_mine", "eth_sendTransaction", "anvil_setBalance", "debug_traceTransaction"):
        reply = rpc(system, a, method)
        assert reply["error"]["code"] == -32601 and method in reply["error"]["message"]


def test_transaction_status_for_every_outcome(system, users):
    a, b = system.chain_ids
    included = system.burn(a, b, users[0], users[1].address, TOKEN)
    excluded = system.trigger(a, b, users[2], by=0)
    assert system.status(a, included)["status"] == "pending"
    system.tick()
    inc = system.status(a, included)
    assert inc["status"] == "included" and inc["chainId"] == a and inc["index"] == 0
    assert inc["block"] == system.sequencer.committed[a] and inc["sequenceNumber"] >= 1
    assert inc["legs"][0]["counterpart"].startswith("0x")
    exc = system.status(a, excluded)
    assert exc["status"] == "excluded" and "CrossChainCounterZeroIncrement" in exc["reason"]
    assert system.status(a, "0x" + "11" * 32) is None


def test_status_carries_heights_roots_and_the_deployment(system, users):
    a, b = system.chain_ids
    system.burn(a, b, users[0], users[1].address, TOKEN)
    system.tick()
    status = rpc(system, a, "sequencer_status")["result"]
    assert status["chainId"] == a and status["halted"] is None
    assert status["heights"] == {str(c): h for c, h in system.sequencer.committed.items()}
    assert status["pending"].get(str(a), 0) == 0
    pair = next(p for p in status["pairs"] if p["source"] == a and p["destination"] == b and p["kind"] == "transfer")
    assert pair["equal"] and pair["sourceCount"] == pair["destinationCount"] == 2  # genesis leaf + the burn
    assert status["deployment"]["chains"][str(b)]["contracts"]["MintBurnSystemContract"].startswith("0x")
    assert status["lastL1Batch"] is None  # no post yet: the default posts every 4 ticks


@pytest.mark.parametrize("params", [[], [123], ["0x12", "extra"]])
def test_status_query_rejects_bad_params(system, params):
    reply = rpc(system, system.chain_ids[0], "sequencer_getTransactionStatus", *params)
    assert reply["error"]["code"] == -32602
