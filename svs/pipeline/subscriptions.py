"""eth_subscribe over WebSocket: each rollup's ingress pushes what it has committed, and nothing else.

Every rollup's ingress has a WebSocket endpoint beside its HTTP one (the HTTP port + WS_PORT_OFFSET
by default: ws://127.0.0.1:9645 for 901, :9646 for 902). It answers every method the HTTP endpoint
answers, plus ``eth_subscribe`` / ``eth_unsubscribe`` with:

- ``newHeads``: the header of every block committed after the subscription, once each, in order;
- ``logs`` (``{"address"?, "topics"?}``, geth's filter): every matching log of those blocks, once
  each, in block and log order, after its block's header. ``removed`` is always false: a
  committed block is never rolled back;
- ``newPendingTransactions`` (``true`` for whole transactions, geth's fullTx): each transaction
  this endpoint admits. Admitted means journaled, not committed: that is what "pending" says.

Nothing uncommitted is pushed. While a tick is built, the nodes hold trial blocks above the
committed head that the builder may roll back. The Feed's thread wakes at each commit (it is one of
the sequencer's commit listeners), reads the blocks from its last pushed height up to the committed
head through the ingress's pinned reads, and queues their notifications.

Bounds (svs.pipeline.limits): connections per endpoint, subscriptions and requests in flight per
connection, filter sizes, and a queue of messages per connection. A client that does not read its
notifications is dropped, so that the queue cannot grow without bound.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import secrets
import socket
import threading
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from svs.codec import untrusted_json
from svs.node.rpc import NodeUnavailable, RpcError
from svs.pipeline.limits import (
    MAX_BODY_BYTES,
    MAX_FILTER_ITEMS,
    MAX_SUBSCRIPTIONS,
    MAX_WS_CONNECTIONS,
    MAX_WS_INFLIGHT,
    WS_OUTBOX,
)

log = logging.getLogger(__name__)

WS_PORT_OFFSET = 100  # a rollup's WebSocket port is its HTTP port plus this, unless set otherwise
NEW_HEADS, LOGS, PENDING = "newHeads", "logs", "newPendingTransactions"
BLOCKS_PER_READ = 100  # a feed that fell behind catches up this many blocks per eth_getLogs
RETRY_SECONDS = 1.0  # a feed whose reads failed tries again after this long even without a commit
INVALID_PARAMS, LIMIT_EXCEEDED = -32602, -32005


class SubscriptionError(Exception):
    """A refused eth_subscribe / eth_unsubscribe: the JSON-RPC error to answer."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class LogFilter:
    """geth's log filter: any of ``addresses`` (None: any), and per topic position any of a set
    (None: any)."""

    addresses: frozenset[str] | None
    topics: tuple[frozenset[str] | None, ...]

    @classmethod
    def parse(cls, spec: Any) -> "LogFilter":
        if spec is None:
            spec = {}
        if not isinstance(spec, dict) or set(spec) - {"address", "topics"}:
            raise SubscriptionError(INVALID_PARAMS, "invalid params: a logs filter is {address?, topics?}")
        topics = spec.get("topics") or []
        if not isinstance(topics, list) or len(topics) > 4:
            raise SubscriptionError(INVALID_PARAMS, "invalid params: topics is a list of at most 4 positions")
        return cls(_hex_set(spec.get("address"), 20, "address"), tuple(_hex_set(t, 32, "topic") for t in topics))

    def matches(self, entry: dict) -> bool:
        if self.addresses is not None and entry["address"].lower() not in self.addresses:
            return False
        topics = [t.lower() for t in entry.get("topics", [])]
        return all(wanted is None or (i < len(topics) and topics[i] in wanted) for i, wanted in enumerate(self.topics))


def _hex_set(value: Any, size: int, what: str) -> frozenset[str] | None:
    """One hex value of ``size`` bytes or a list of them, lower-cased; None (or []) for any."""
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if not values:
        return None
    if len(values) > MAX_FILTER_ITEMS:
        raise SubscriptionError(LIMIT_EXCEEDED, f"a logs filter takes at most {MAX_FILTER_ITEMS} values per {what}")
    for v in values:
        if not (isinstance(v, str) and v.startswith("0x") and len(v) == 2 + 2 * size and _is_hex(v[2:])):
            raise SubscriptionError(INVALID_PARAMS, f"invalid params: {v!r} is not a {size}-byte hex {what}")
    return frozenset(v.lower() for v in values)


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


class Client:
    """One WebSocket connection: its outbox and the thread that writes it, and how many of its
    requests are being answered."""

    def __init__(self, connection: ServerConnection):
        self.connection = connection
        self.outbox: queue.Queue[str | None] = queue.Queue(maxsize=WS_OUTBOX)
        self.inflight = threading.BoundedSemaphore(MAX_WS_INFLIGHT)
        self.dropped = False
        self._writer = threading.Thread(target=self._write, name="ws-writer", daemon=True)
        self._writer.start()

    def push(self, message: dict) -> None:
        """Queue a message; a client whose queue is full is dropped (it stopped reading)."""
        if self.dropped:
            return
        try:
            self.outbox.put_nowait(json.dumps(message))
        except queue.Full:
            self.drop(f"it left more than {WS_OUTBOX} messages unread")

    def drop(self, why: str) -> None:
        """Cut the connection at the socket: its reader and writer threads both end."""
        self.dropped = True
        log.warning("dropping WebSocket client %s: %s", self.connection.remote_address, why)
        with contextlib.suppress(OSError):
            self.connection.socket.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.dropped = True
        with contextlib.suppress(queue.Full):
            self.outbox.put_nowait(None)

    def _write(self) -> None:
        while (message := self.outbox.get()) is not None:
            try:
                self.connection.send(message)
            except (ConnectionClosed, OSError):
                return


@dataclass
class Subscription:
    id: str
    kind: str
    client: Client
    from_block: int  # the first block it is told about: the one after the head when it subscribed
    filter: LogFilter | None = None
    full_transactions: bool = False

    def notify(self, result: Any) -> None:
        self.client.push({"jsonrpc": "2.0", "method": "eth_subscription",
                          "params": {"subscription": self.id, "result": result}})


class Feed:
    """One rollup's subscriptions, and the thread that pushes committed blocks and logs to them."""

    def __init__(self, ingress):
        self.ingress = ingress
        self._lock = threading.Lock()
        self._subscriptions: dict[str, Subscription] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pushed: int | None = None  # the highest block whose notifications are queued
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._pushed = self.ingress.head
            self._thread = threading.Thread(target=self._run, name=f"feed-{self.ingress.chain_id}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def committed(self, tick: int, plan: Any) -> None:
        """A commit listener of the sequencer: new blocks are committed."""
        self._wake.set()

    # --- what clients ask ------------------------------------------------------------------

    def subscribe(self, client: Client, request_id: Any, params: list) -> None:
        """Register a subscription and queue the reply with its id, before any notification of it."""
        if not params or params[0] not in (NEW_HEADS, LOGS, PENDING):
            raise SubscriptionError(INVALID_PARAMS, f"invalid params: expected [{NEW_HEADS!r} | {LOGS!r} "
                                                    f"| {PENDING!r}, options?]")
        kind, options = params[0], params[1] if len(params) > 1 else None
        if len(params) > 2 or (kind == NEW_HEADS and options not in (None, False)):
            raise SubscriptionError(INVALID_PARAMS, f"invalid params: unexpected options for {kind}")
        if kind == PENDING and options not in (None, True, False):
            raise SubscriptionError(INVALID_PARAMS, f"invalid params: {PENDING} takes true (whole transactions) or "
                                                    "nothing (hashes)")
        log_filter = LogFilter.parse(options) if kind == LOGS else None
        with self._lock:
            if sum(1 for s in self._subscriptions.values() if s.client is client) >= MAX_SUBSCRIPTIONS:
                raise SubscriptionError(LIMIT_EXCEEDED, f"at most {MAX_SUBSCRIPTIONS} subscriptions per connection")
            subscription = Subscription("0x" + secrets.token_hex(16), kind, client, self.ingress.head + 1,
                                        log_filter, options is True)
            self._subscriptions[subscription.id] = subscription
            client.push({"jsonrpc": "2.0", "id": request_id, "result": subscription.id})

    def unsubscribe(self, client: Client, params: list) -> bool:
        if len(params) != 1 or not isinstance(params[0], str):
            raise SubscriptionError(INVALID_PARAMS, "invalid params: expected [subscriptionId]")
        with self._lock:
            subscription = self._subscriptions.get(params[0])
            if subscription is None or subscription.client is not client:
                return False
            del self._subscriptions[params[0]]
            return True

    def forget(self, client: Client) -> None:
        """A connection closed: its subscriptions go with it."""
        with self._lock:
            for sub_id in [s.id for s in self._subscriptions.values() if s.client is client]:
                del self._subscriptions[sub_id]

    def admitted(self, hashes: list[str]) -> None:
        """Transactions this endpoint just admitted (called by the ingress after the journal write)."""
        with self._lock:
            pending = [s for s in self._subscriptions.values() if s.kind == PENDING]
        for subscription in pending:
            for tx_hash in hashes:
                if subscription.full_transactions:
                    tx = self.ingress.pending_transaction(tx_hash)
                    if tx is not None:
                        subscription.notify(tx)
                else:
                    subscription.notify(tx_hash)

    # --- the pushing thread ----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(RETRY_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._push_committed()
            except (NodeUnavailable, RpcError) as err:  # tried again at the next commit or after RETRY_SECONDS
                log.warning("subscriptions of %d wait: %s", self.ingress.chain_id, err)
            except Exception:  # a bug here must not end the feed
                log.exception("subscription feed of %d failed; trying again", self.ingress.chain_id)

    def _push_committed(self) -> None:
        head = self.ingress.head
        if self._pushed is None or head < self._pushed:  # a sequencer restarted lower (the test fixture's revert)
            self._pushed = head
            return
        while self._pushed < head:
            start, end = self._pushed + 1, min(head, self._pushed + BLOCKS_PER_READ)
            with self._lock:
                subscriptions = [s for s in self._subscriptions.values() if s.kind in (NEW_HEADS, LOGS)]
            if subscriptions:
                self._push_blocks(start, end, subscriptions)
            self._pushed = end

    def _push_blocks(self, start: int, end: int, subscriptions: list[Subscription]) -> None:
        """The headers and logs of blocks start..end, block by block, to the subscriptions that
        began at or before each block."""
        heads = [s for s in subscriptions if s.kind == NEW_HEADS]
        watchers = [s for s in subscriptions if s.kind == LOGS]
        headers = {n: self._header(n) for n in range(start, end + 1)} if heads else {}
        logs_of: dict[int, list[dict]] = {}
        if watchers:
            for entry in self.ingress.read("eth_getLogs", {"fromBlock": hex(start), "toBlock": hex(end)}):
                logs_of.setdefault(int(entry["blockNumber"], 16), []).append(entry)
        for number in range(start, end + 1):
            for subscription in heads:
                if subscription.from_block <= number:
                    subscription.notify(headers[number])
            for entry in logs_of.get(number, []):
                for subscription in watchers:
                    if subscription.from_block <= number and subscription.filter.matches(entry):
                        subscription.notify(entry)

    def _header(self, number: int) -> dict:
        block = self.ingress.read("eth_getBlockByNumber", hex(number), False)
        return {k: v for k, v in block.items() if k not in ("transactions", "uncles", "size", "totalDifficulty")}


class SocketServer:
    """Serves one ingress over WebSocket on host:port (0: a free port) in a background thread."""

    def __init__(self, ingress, host: str, port: int):
        self.ingress = ingress
        self.feed: Feed = ingress.feed
        self._slots = threading.BoundedSemaphore(MAX_WS_CONNECTIONS)
        self.server = serve(self._serve, host, port, max_size=MAX_BODY_BYTES, compression=None,
                            close_timeout=2, logger=log)
        self.url = f"ws://{host}:{self.server.socket.getsockname()[1]}"
        ingress.ws_url = self.url
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"ws-{port}", daemon=True)

    def start(self) -> "SocketServer":
        self.feed.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self.feed.stop()
        self.server.shutdown()

    def _serve(self, connection: ServerConnection) -> None:
        if not self._slots.acquire(blocking=False):
            connection.close(1013, f"too many connections: at most {MAX_WS_CONNECTIONS}; try again later")
            return
        client = Client(connection)
        try:
            for message in connection:
                self._on_message(client, message)
        except ConnectionClosed:
            pass
        finally:
            self.feed.forget(client)
            client.close()
            self._slots.release()

    def _on_message(self, client: Client, message: str | bytes) -> None:
        """Answer in a thread of its own (a client may wait on eth_sendRawTransactionSync while
        its other requests go on), at most MAX_WS_INFLIGHT at once per connection."""
        if not client.inflight.acquire(blocking=False):
            client.push(_error(None, LIMIT_EXCEEDED, f"busy: at most {MAX_WS_INFLIGHT} requests in flight per "
                                                     "connection; wait for an answer before sending more"))
            return
        threading.Thread(target=self._answer, args=(client, message), name="ws-request", daemon=True).start()

    def _answer(self, client: Client, message: str | bytes) -> None:
        try:
            try:
                request = untrusted_json.loads(message)
            except untrusted_json.TooDeep as err:
                return client.push(_error(None, -32700, f"parse error: {err}"))
            except ValueError:  # JSONDecodeError, UnicodeDecodeError
                return client.push(_error(None, -32700, "parse error: message is not JSON"))
            method = request.get("method") if isinstance(request, dict) else None
            if method in ("eth_subscribe", "eth_unsubscribe"):
                return self._subscription_call(client, request)
            client.push(self.ingress.handle(request))
        except Exception as err:  # never let one message take the endpoint down
            log.exception("WebSocket request failed")
            client.push(_error(None, -32603, f"internal error: {err}"))
        finally:
            client.inflight.release()

    def _subscription_call(self, client: Client, request: dict) -> None:
        request_id, params = request.get("id"), request.get("params", [])
        try:
            if not isinstance(params, list):
                raise SubscriptionError(INVALID_PARAMS, "invalid params: expected a list")
            if request["method"] == "eth_subscribe":
                return self.feed.subscribe(client, request_id, params)  # queues the reply itself
            client.push({"jsonrpc": "2.0", "id": request_id, "result": self.feed.unsubscribe(client, params)})
        except SubscriptionError as err:
            client.push(_error(request_id, err.code, err.message))


def _error(request_id: Any, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
