"""eth_subscribe on each rollup's WebSocket endpoint: every committed block's header and matching
logs are pushed once, in order, and nothing uncommitted ever is, even when the builder mines
trial blocks and rolls them back. Admitted transactions are pushed as pending. A real client
(web3.py's WebSocketProvider) subscribes and receives; hostile clients meet the bounds."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from svs.pipeline import subscriptions
from svs.pipeline.builder import Builder
from svs.pipeline.limits import MAX_SUBSCRIPTIONS
from tests.support.hostile import fund_new_accounts
from tests.support.system import TOKEN


class Listener:
    """A WebSocket client that reads in a thread of its own, noting the sequencer's committed head
    of the rollup when each message arrived."""

    def __init__(self, system, chain_id: int):
        self.system, self.chain_id = system, chain_id
        self.socket = connect(system.ws_urls[chain_id], max_size=None)
        self.messages: queue.Queue = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for text in self.socket:
                self.messages.put((json.loads(text), self.system.sequencer.committed[self.chain_id]))
        except ConnectionClosed:
            self.messages.put((None, None))

    def request(self, method: str, *params) -> dict:
        self._next_id += 1
        self.socket.send(json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}))
        while True:
            message, _ = self.messages.get(timeout=10)
            if message is not None and message.get("id") == self._next_id:
                return message
            self.messages.put((message, _))  # a notification: keep it for later
            time.sleep(0.01)

    def subscribe(self, *params) -> str:
        reply = self.request("eth_subscribe", *params)
        assert "result" in reply, reply
        return reply["result"]

    def notifications(self, until, timeout: float = 15) -> list[tuple[dict, int]]:
        """(notification params, committed head at arrival) until ``until(params)`` is true."""
        seen, deadline = [], time.monotonic() + timeout
        while True:
            message, head = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            assert message is not None, "the endpoint closed the connection"
            if message.get("method") == "eth_subscription":
                seen.append((message["params"], head))
                if until(message["params"]):
                    return seen

    def drain(self, quiet: float = 1.0) -> list[tuple[dict, int]]:
        """The notifications that arrive until none has for ``quiet`` seconds."""
        seen = []
        while True:
            try:
                message, head = self.messages.get(timeout=quiet)
            except queue.Empty:
                return seen
            if message is not None and message.get("method") == "eth_subscription":
                seen.append((message["params"], head))

    def close(self) -> None:
        self.socket.close()


def test_every_committed_block_once_and_never_a_trial_block(system, users, monkeypatch):
    a, b = system.chain_ids
    token = system.token
    listener = Listener(system, a)
    heads = listener.subscribe("newHeads")
    logs = listener.subscribe("logs", {"address": token})
    start = system.sequencer.committed[a]

    # Simulation off: a failing trigger is found by executing trial blocks, which are rolled back.
    monkeypatch.setattr(Builder, "_plan_by_simulation", lambda self, *args: (None, 0))
    attacker = fund_new_accounts(system, a, 1, users[7])[0]
    rolled_back = 0
    for round_ in range(3):
        system.burn(a, b, users[0], users[5].address, TOKEN)
        system.burn(b, a, users[1], users[6].address, TOKEN)
        system.trigger(a, b, attacker, by=0, gas_limit=100_000 + round_)
        report = system.tick()
        rolled_back += report.attempts - 1
        while len(system.sequencer.mempool):
            rolled_back += system.tick().attempts - 1
    assert rolled_back >= 1, "no trial block was rolled back: the test would not catch a leak"
    end = system.sequencer.committed[a]

    seen = listener.notifications(lambda p: p["subscription"] == heads and int(p["result"]["number"], 16) == end)
    seen += listener.drain()  # the last block's logs, and anything pushed twice
    listener.close()
    pushed_heads = [(p["result"], head) for p, head in seen if p["subscription"] == heads]
    pushed_logs = [p["result"] for p, _ in seen if p["subscription"] == logs]

    assert [int(h["number"], 16) for h, _ in pushed_heads] == list(range(start + 1, end + 1)), "not every block once"
    w3 = system.w3[a]
    for header, head_at_arrival in pushed_heads:
        number = int(header["number"], 16)
        assert number <= head_at_arrival, f"block {number} pushed before it was committed"
        assert header["hash"] == w3.eth.get_block(number).hash.to_0x_hex(), f"block {number} is not the committed one"
        assert "transactions" not in header
    committed_logs = w3.eth.get_logs({"fromBlock": start + 1, "toBlock": end, "address": token})
    assert [(entry["blockHash"], int(entry["logIndex"], 16)) for entry in pushed_logs] == \
        [(entry["blockHash"].to_0x_hex(), entry["logIndex"]) for entry in committed_logs]
    assert len(pushed_logs) >= 6 and not any(entry["removed"] for entry in pushed_logs)
    # Each log comes after its block's header.
    order = [(p["subscription"], int(p["result"]["blockNumber" if p["subscription"] == logs else "number"], 16))
             for p, _ in seen]
    for i, (sub, number) in enumerate(order):
        if sub == logs:
            assert (heads, number) in order[:i], f"a log of block {number} came before its header"


def test_admitted_transactions_are_pushed_as_pending_until_unsubscribed(system, users):
    a, b = system.chain_ids
    listener = Listener(system, a)
    hashes = listener.subscribe("newPendingTransactions")
    whole = listener.subscribe("newPendingTransactions", True)
    tx_hash = system.burn(a, b, users[0], users[5].address, TOKEN)
    seen = listener.notifications(lambda p: p["subscription"] == whole)
    by_sub = {p["subscription"]: p["result"] for p, _ in seen}
    assert by_sub[hashes] == tx_hash
    assert by_sub[whole]["hash"] == tx_hash and by_sub[whole]["blockNumber"] is None
    assert by_sub[whole]["from"] == users[0].address

    assert listener.request("eth_unsubscribe", hashes)["result"] is True
    assert listener.request("eth_unsubscribe", hashes)["result"] is False
    second = system.burn(a, b, users[1], users[5].address, TOKEN)
    seen = listener.notifications(lambda p: p["subscription"] == whole)
    assert [p["subscription"] for p, _ in seen] == [whole] and seen[0][0]["result"]["hash"] == second
    listener.close()


def test_the_endpoint_answers_plain_calls_and_refuses_what_is_out_of_bounds(system, users, monkeypatch):
    a, _ = system.chain_ids
    listener = Listener(system, a)
    assert listener.request("eth_chainId")["result"] == hex(a)
    assert int(listener.request("eth_blockNumber")["result"], 16) == system.sequencer.committed[a]
    for params in ([], ["newBlocks"], ["newHeads", {"x": 1}], ["logs", {"address": "0x12"}],
                   ["logs", {"topics": [None] * 5}], ["logs", {"fromBlock": "0x1"}],
                   ["newPendingTransactions", "yes"]):
        assert listener.request("eth_subscribe", *params)["error"]["code"] == -32602, params
    too_many = {"address": ["0x" + f"{i:040x}" for i in range(subscriptions.MAX_FILTER_ITEMS + 1)]}
    assert listener.request("eth_subscribe", "logs", too_many)["error"]["code"] == -32005
    for _ in range(MAX_SUBSCRIPTIONS):
        listener.subscribe("newHeads")
    assert listener.request("eth_subscribe", "newHeads")["error"]["code"] == -32005
    listener.close()

    # Over HTTP the error names the WebSocket endpoint.
    reply = requests.post(system.urls[a], json={"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
                                                "params": ["newHeads"]}, timeout=10).json()
    assert reply["error"]["code"] == -32601 and system.ws_urls[a] in reply["error"]["message"]

    # One connection more than the endpoint takes is closed with 1013 (try again later).
    monkeypatch.setattr(system.service.sockets[0], "_slots", threading.BoundedSemaphore(1))
    first = connect(system.ws_urls[a])
    second = connect(system.ws_urls[a])
    with pytest.raises(ConnectionClosed) as closed:
        second.recv(timeout=10)
    assert closed.value.rcvd.code == 1013
    first.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
    assert json.loads(first.recv(timeout=10))["result"] == hex(a)
    first.close()


def test_a_client_that_stops_reading_is_dropped_not_buffered(monkeypatch):
    """The outbox of a client is bounded: once full, the client is cut off at its socket."""

    class StuckConnection:  # a peer whose socket buffer is full: every send blocks
        remote_address = ("127.0.0.1", 1)

        def __init__(self):
            self.unblock = threading.Event()
            self.shut = False
            self.socket = self

        def send(self, message):
            self.unblock.wait()
            raise ConnectionClosed(None, None)

        def shutdown(self, how):
            self.shut = True
            self.unblock.set()

    monkeypatch.setattr(subscriptions, "WS_OUTBOX", 4)
    connection = StuckConnection()
    client = subscriptions.Client(connection)
    for i in range(10):
        client.push({"n": i})
    assert client.dropped and connection.shut
    assert client.outbox.qsize() <= 4


def test_web3_websocket_provider_receives_committed_heads(system, users):
    """web3.py's own WebSocket client, as a dApp's backend would use it."""
    from web3 import AsyncWeb3, WebSocketProvider

    a, b = system.chain_ids
    received: list[int] = []
    subscribed = threading.Event()

    async def watch() -> None:
        async with AsyncWeb3(WebSocketProvider(system.ws_urls[a])) as w3:
            assert await w3.eth.chain_id == a
            await w3.eth.subscribe("newHeads")
            subscribed.set()
            async for message in w3.socket.process_subscriptions():
                received.append(message["result"]["number"])
                if len(received) == 3:
                    return

    thread = threading.Thread(target=asyncio.run, args=(watch(),), daemon=True)
    thread.start()
    assert subscribed.wait(30)
    start = system.sequencer.committed[a]
    for _ in range(3):
        system.burn(a, b, users[0], users[5].address, TOKEN)
        system.tick()
    thread.join(30)
    assert received == [start + 1, start + 2, start + 3]


def test_ethers_websocket_provider_sees_every_committed_block_and_log(system, users):
    """ethers 6 (npm, the project's lock), as a front end uses it: `block` events and a log
    filter over the WebSocket endpoint, while the sequencer commits blocks with transfers."""
    import os
    import subprocess
    from pathlib import Path

    a, b = system.chain_ids
    script = Path(__file__).resolve().parents[1] / "support" / "ethers_client" / "watch.mjs"
    watcher = subprocess.Popen(["node", str(script), system.ws_urls[a], system.token, "3"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "NODE_NO_WARNINGS": "1"})
    try:
        assert watcher.stdout.readline().strip() == "READY", watcher.stderr.read()
        start = system.sequencer.committed[a]
        for _ in range(3):
            system.burn(a, b, users[0], users[5].address, TOKEN)
            system.burn(b, a, users[1], users[6].address, TOKEN)
            system.tick()
        out, err = watcher.communicate(timeout=60)
    finally:
        watcher.kill()
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["chainId"] == a
    assert seen["blocks"] == [start + 1, start + 2, start + 3], seen
    committed = system.w3[a].eth.get_logs({"fromBlock": start + 1, "toBlock": start + 3, "address": system.token})
    assert [(entry["block"], entry["index"]) for entry in seen["logs"]] == \
        [(entry["blockNumber"], entry["logIndex"]) for entry in committed]
    assert len(committed) >= 6  # a burn and a mint each tick, each with its token Transfer
