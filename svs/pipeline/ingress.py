"""JSON-RPC ingress, one HTTP endpoint per rollup (supersim's :9545, :9546, ...).

- ``eth_sendRawTransaction`` goes to the shared mempool (journaled before the hash is returned).
- Reads are proxied to the rollup's node with the block pinned to the last *committed* tick: while
  a tick is being built the node holds trial blocks that may be rolled back, and no client may
  see them. ``latest``/``pending``/``safe``/``finalized`` mean the committed head; a receipt or
  block above it does not exist yet.
- ``eth_getTransactionCount(addr, "pending")`` counts the sender's transactions in the mempool.
- ``eth_sendRawTransactionSync`` (EIP-7966) answers the receipt once the transaction's tick, with
  every leg it asked for, has committed.
- ``eth_subscribe`` (``newHeads``, ``logs``, ``newPendingTransactions``) is served on the
  rollup's WebSocket endpoint (svs.pipeline.subscriptions), which pushes committed blocks only.
- ``GET /status`` is a status page that refreshes itself from ``sequencer_status``.
- ``sequencer_status`` and ``sequencer_getTransactionStatus`` say what plain eth_* cannot;
  ``sequencer_simulate`` tells what a transaction or bundle would do, legs included.
- Methods that would let a client produce blocks or change node state (anvil_*, evm_*, ...) are
  refused. Batch requests are answered in order.
- Limits as a production node's (svs/pipeline/limits.py): request bodies and batches, ``eth_call`` /
  ``eth_estimateGas`` gas (capped like geth's RPCGasCap), ``eth_getLogs`` block ranges, and at
  most a few proxied reads in flight per node, so that reads never crowd out the builder;
  a read that waits too long for its turn is refused as busy.
- ``eth_estimateGas`` adds ESTIMATE_MARGIN to the node's answer for contract calls: the estimate
  is taken on the committed state, while the Merkle insert of a cross-chain leg costs more or
  less with the tree's index, which everyone's pending legs move.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from eth_utils import to_checksum_address

from svs.codec import untrusted_json
from svs.errors import SvsError
from svs.node.rpc import NodeUnavailable, RpcClient, RpcError
from svs.pipeline.admission import Rejected
from svs.pipeline.simulation import SimulationError, Simulator
from svs.pipeline.subscriptions import Feed
from svs.pipeline.limits import (
    CALL_GAS_CAP,
    INTRINSIC_GAS,
    MAX_BATCH_REQUESTS,
    MAX_BODY_BYTES,
    MAX_CONCURRENT_READS,
    MAX_LOG_BLOCK_RANGE,
    MAX_SYNC_WAITERS,
    READ_QUEUE_SECONDS,
    SHUTDOWN_POLL_SECONDS,
    SYNC_DEFAULT_MS,
    SYNC_MAX_MS,
)

log = logging.getLogger(__name__)

# Position of the block parameter, for the read methods proxied with the block pinned.
BLOCK_PARAM = {
    "eth_getBalance": 1, "eth_getCode": 1, "eth_getTransactionCount": 1, "eth_getStorageAt": 2,
    "eth_call": 1, "eth_estimateGas": 1, "eth_createAccessList": 1, "eth_getProof": 2,
    "eth_getBlockByNumber": 0, "eth_getBlockTransactionCountByNumber": 0, "eth_feeHistory": 1,
    "eth_getBlockReceipts": 0,
}
PASS_THROUGH = {"eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_blobBaseFee", "eth_syncing", "web3_clientVersion"}
MOVING_TAGS = {"latest", "pending", "safe", "finalized"}
GAS_CAPPED = {"eth_call", "eth_estimateGas", "eth_createAccessList"}
# One Merkle insert costs up to 32 cold branch reads (2,100 each, one per set bit of the index)
# and a fresh branch slot (~20,000) more than the cheapest: the most other pending legs can add.
ESTIMATE_MARGIN = 32 * 2_100 + 20_000
LIMIT_EXCEEDED = -32005  # EIP-1474: request exceeds defined limit


class RpcFailure(SvsError):
    """A JSON-RPC error to send back."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class JsonRpcEndpoint:
    """The JSON-RPC envelope of an ingress: a batch (bounded by MAX_BATCH_REQUESTS), request
    objects, params, and every failure as a JSON-RPC error. Both the sequencer's ingress and
    attach mode's (svs.run.attach) are one; a subclass answers one call (``call``)."""

    def handle(self, request: Any) -> dict | list | None:
        if isinstance(request, list):
            if not request:
                return _error(None, RpcFailure(-32600, "invalid request: empty batch"))
            if len(request) > MAX_BATCH_REQUESTS:
                return _error(None, RpcFailure(LIMIT_EXCEEDED, f"batch of {len(request)} requests exceeds the limit "
                                                               f"of {MAX_BATCH_REQUESTS}"))
            return self._handle_batch(request)
        return self._handle_one(request)

    def _handle_batch(self, requests: list) -> list:
        return [self._handle_one(request) for request in requests]

    def _handle_one(self, request: Any) -> dict:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return _error(request.get("id") if isinstance(request, dict) else None,
                          RpcFailure(-32600, "invalid request: expected an object with a method"))
        request_id, params = request.get("id"), request.get("params", [])
        if not isinstance(params, list):
            return _error(request_id, RpcFailure(-32602, "invalid params: expected a list"))
        try:
            return {"jsonrpc": "2.0", "id": request_id, "result": self.call(request["method"], params)}
        except RpcFailure as failure:
            return _error(request_id, failure)
        except RpcError as err:
            return _error(request_id, RpcFailure(err.code or -32603, err.message, err.data))
        except NodeUnavailable as err:
            return _error(request_id, RpcFailure(-32603, f"rollup node unavailable: {err}"))

    def call(self, method: str, params: list) -> Any:
        """The result of ``method``; raises RpcFailure (or the node's RpcError) to answer an error."""
        raise NotImplementedError


class Ingress(JsonRpcEndpoint):
    """The JSON-RPC methods of one rollup's endpoint."""

    def __init__(self, sequencer, chain_id: int, deployment: dict):
        self.chain_id = chain_id
        self.deployment = deployment
        self._reads = threading.BoundedSemaphore(MAX_CONCURRENT_READS)
        self._sync_waiters = threading.BoundedSemaphore(MAX_SYNC_WAITERS)
        self.feed = Feed(self)  # eth_subscribe's notifications, pushed by the WebSocket endpoint
        self.ws_url: str | None = None  # that endpoint's URL, once it serves
        self.serve(sequencer)

    def serve(self, sequencer) -> None:
        """Answer for ``sequencer`` from now on (a test fixture restarts the sequencer behind a
        running endpoint, so that clients' open connections stay valid)."""
        self.sequencer = sequencer
        self.upstream: RpcClient = sequencer.chains[self.chain_id].rpc
        sequencer.commit_listeners.append(self.feed.committed)
        self._simulator = Simulator(sequencer, lambda chain_id, method, *p: self._read_on(chain_id, method, *p))

    def _read_on(self, chain_id: int, method: str, *params: Any) -> Any:
        """A read on any rollup, through this endpoint's read slots (simulation reaches the
        destinations of the legs)."""
        return self.read(method, *params, rpc=self.sequencer.chains[chain_id].rpc)

    def read(self, method: str, *params: Any, rpc: RpcClient | None = None) -> Any:
        """One proxied read, waiting for one of the node's read slots."""
        if not self._reads.acquire(timeout=READ_QUEUE_SECONDS):
            raise RpcFailure(LIMIT_EXCEEDED, f"busy: more than {MAX_CONCURRENT_READS} reads in flight on this rollup "
                                             f"for {READ_QUEUE_SECONDS:.0f} s; retry later")
        try:
            return (rpc or self.upstream).call(method, *params)
        finally:
            self._reads.release()

    # --- dispatch --------------------------------------------------------------------------

    def _handle_batch(self, requests: list) -> list:
        # All raw transactions of a batch are admitted together (one journal write).
        raw_slots = [i for i, r in enumerate(requests)
                     if isinstance(r, dict) and r.get("method") == "eth_sendRawTransaction"]
        replies: list[Any] = [None] * len(requests)
        if raw_slots:
            for i, reply in zip(raw_slots, self._send_raw([requests[i] for i in raw_slots])):
                replies[i] = reply
        for i, request in enumerate(requests):
            if replies[i] is None:
                replies[i] = self._handle_one(request)
        return replies

    def _handle_one(self, request: Any) -> dict:
        if isinstance(request, dict) and request.get("method") == "eth_sendRawTransaction":
            return self._send_raw([request])[0]
        return super()._handle_one(request)

    def call(self, method: str, params: list) -> Any:
        handler: Callable[[list], Any] | None = getattr(self, "rpc_" + method, None)
        if handler is not None:
            return handler(params)
        if method in GAS_CAPPED:
            params = _cap_gas(params)
        if method in BLOCK_PARAM:
            return self.read(method, *self._pin(params, BLOCK_PARAM[method]))
        if method in PASS_THROUGH:
            return self.read(method, *params)
        raise RpcFailure(-32601, f"method {method} is not available through the sequencer ingress")

    # --- writes ----------------------------------------------------------------------------

    def _send_raw(self, requests: list[dict]) -> list[dict]:
        replies: list[dict | None] = [None] * len(requests)
        raws, slots = [], []
        for i, request in enumerate(requests):
            params = request.get("params")
            if not (isinstance(params, list) and len(params) == 1 and isinstance(params[0], str)):
                replies[i] = _error(request.get("id"), RpcFailure(-32602, "invalid params: expected [rawTransactionHex]"))
                continue
            try:
                raws.append(bytes.fromhex(params[0].removeprefix("0x")))
                slots.append(i)
            except ValueError:
                replies[i] = _error(request.get("id"), RpcFailure(-32602, "invalid params: raw transaction is not hex"))
        if raws:
            if self.sequencer.halted:
                results = [Rejected(f"sequencer is halted: {self.sequencer.halted}")] * len(raws)
            elif self.sequencer.waiting_for:
                results = [Rejected(f"{NODE_DOWN}: {self.sequencer.waiting_for}")] * len(raws)
            else:
                try:
                    results = self.sequencer.submit(self.chain_id, raws)
                except (NodeUnavailable, RpcError) as err:  # dead, or restarted and not caught up yet
                    results = [Rejected(f"{NODE_DOWN}: {err}")] * len(raws)
            for i, result in zip(slots, results):
                request_id = requests[i].get("id")
                if isinstance(result, Rejected):
                    replies[i] = _error(request_id, RpcFailure(-32000, str(result)))
                else:
                    replies[i] = {"jsonrpc": "2.0", "id": request_id, "result": result}
            self.feed.admitted([r for r in results if not isinstance(r, Rejected)])
        return replies  # type: ignore[return-value]

    def rpc_eth_sendRawTransactionSync(self, params: list) -> dict:
        """EIP-7966: admit the transaction, then answer its receipt once the tick that includes
        it has committed, and with it every destination leg it asked for (the tick is atomic).
        Errors: the admission's (-32000, nothing admitted); code 4 with the hash when the
        timeout passes (the transaction stays pending); -32000 with the hash and the reason when
        the sequencer excludes it. The receipt carries ``svsLegs``, the legs' transactions."""
        if not (1 <= len(params) <= 2 and isinstance(params[0], str)):
            raise RpcFailure(-32602, "invalid params: expected [rawTransactionHex, timeoutMs?]")
        timeout_ms = _sync_timeout(params[1] if len(params) == 2 else None)
        if not self._sync_waiters.acquire(blocking=False):
            raise RpcFailure(LIMIT_EXCEEDED, f"busy: {MAX_SYNC_WAITERS} eth_sendRawTransactionSync calls already "
                                             "waiting on this rollup; nothing was admitted, retry later")
        try:
            reply = self._send_raw([{"id": None, "params": [params[0]]}])[0]
            if "error" in reply:
                error = reply["error"]
                raise RpcFailure(error["code"], error["message"], error.get("data"))
            tx_hash = reply["result"]
            status = self.sequencer.wait_settled(tx_hash, timeout_ms / 1000)
        finally:
            self._sync_waiters.release()
        if status is None:
            raise RpcFailure(4, f"the transaction was admitted but not committed within {timeout_ms} ms; it stays "
                                "pending (sequencer_getTransactionStatus tells when)", tx_hash)
        if status["status"] == "excluded":
            raise RpcFailure(-32000, f"transaction excluded by the sequencer: {status['reason']}", tx_hash)
        receipt = self.rpc_eth_getTransactionReceipt([tx_hash])
        if receipt is None:
            raise RpcFailure(-32603, f"transaction {tx_hash} is included but its receipt is not readable yet", tx_hash)
        return {**receipt, "svsLegs": status.get("legs", [])}

    # --- pinned reads --------------------------------------------------------------------

    @property
    def head(self) -> int:
        return self.sequencer.committed[self.chain_id]

    def _pin(self, params: list, position: int) -> list:
        params = list(params)
        while len(params) <= position:
            params.append("latest")
        tag = params[position]
        if tag is None or tag in MOVING_TAGS:
            params[position] = hex(self.head)
        elif isinstance(tag, str) and tag != "earliest":
            try:
                number = int(tag, 16)
            except ValueError as err:
                raise RpcFailure(-32602, f"invalid block tag {tag!r}") from err
            if number > self.head:
                raise RpcFailure(-32000, f"block {number} is not committed yet (head is {self.head})")
        return params

    def rpc_eth_chainId(self, params: list) -> str:
        return hex(self.chain_id)

    def rpc_net_version(self, params: list) -> str:
        return str(self.chain_id)

    def rpc_eth_accounts(self, params: list) -> list:
        return []  # no unlocked accounts: sign locally and use eth_sendRawTransaction

    def rpc_eth_blockNumber(self, params: list) -> str:
        return hex(self.head)

    def rpc_eth_estimateGas(self, params: list) -> str:
        estimate = int(self.read("eth_estimateGas", *self._pin(_cap_gas(params), 1)), 16)
        return hex(estimate + ESTIMATE_MARGIN if estimate > INTRINSIC_GAS else estimate)

    def rpc_eth_getTransactionCount(self, params: list) -> str:
        if len(params) < 1 or not isinstance(params[0], str):
            raise RpcFailure(-32602, "invalid params: expected [address, block]")
        committed = int(self.read("eth_getTransactionCount", *self._pin(params, 1)), 16)
        if len(params) > 1 and params[1] == "pending":
            pending = self.sequencer.mempool.next_nonce(self.chain_id, to_checksum_address(params[0]))
            if pending is not None:
                committed = max(committed, pending)
        return hex(committed)

    def rpc_eth_getTransactionReceipt(self, params: list) -> dict | None:
        receipt = self.read("eth_getTransactionReceipt", *params)
        return receipt if receipt and int(receipt["blockNumber"], 16) <= self.head else None

    def rpc_eth_getTransactionByHash(self, params: list) -> dict | None:
        tx = self.read("eth_getTransactionByHash", *params)
        if tx and tx.get("blockNumber") and int(tx["blockNumber"], 16) <= self.head:
            return tx
        return self.pending_transaction(str(params[0])) if params else None

    def pending_transaction(self, tx_hash: str) -> dict | None:
        """An admitted transaction of this rollup not yet committed, as eth_getTransactionByHash shows it."""
        pending = self.sequencer.mempool.get(tx_hash.lower())
        return _pending_view(pending) if pending and pending.chain_id == self.chain_id else None

    def rpc_eth_subscribe(self, params: list) -> None:
        where = f"this rollup's is {self.ws_url}" if self.ws_url else "this endpoint has none"
        raise RpcFailure(-32601, f"eth_subscribe needs the WebSocket endpoint ({where})")

    def rpc_eth_getBlockByHash(self, params: list) -> dict | None:
        block = self.read("eth_getBlockByHash", *params)
        return block if block and int(block["number"], 16) <= self.head else None

    def rpc_eth_getLogs(self, params: list) -> list:
        if len(params) != 1 or not isinstance(params[0], dict):
            raise RpcFailure(-32602, "invalid params: expected [filter]")
        query = dict(params[0])
        if "blockHash" not in query:
            bounds = []
            for key in ("fromBlock", "toBlock"):
                value = query.get(key, "latest")
                if value in MOVING_TAGS or value is None:
                    number = self.head
                elif value == "earliest":
                    number = 0
                else:
                    try:
                        number = min(int(value, 16), self.head)
                    except (TypeError, ValueError) as err:
                        raise RpcFailure(-32602, f"invalid block number {value!r}") from err
                query[key] = hex(number)
                bounds.append(number)
            if bounds[1] - bounds[0] >= MAX_LOG_BLOCK_RANGE:
                raise RpcFailure(LIMIT_EXCEEDED, f"eth_getLogs range of {bounds[1] - bounds[0] + 1} blocks exceeds the "
                                                 f"limit of {MAX_LOG_BLOCK_RANGE}")
        logs = self.read("eth_getLogs", query)
        return [entry for entry in logs if int(entry["blockNumber"], 16) <= self.head]

    # --- sequencer_ namespace --------------------------------------------------------------

    def rpc_sequencer_status(self, params: list) -> dict:
        return {**self.sequencer.status(), "chainId": self.chain_id, "deployment": self.deployment}

    def rpc_sequencer_simulate(self, params: list) -> dict:
        """What a transaction (signed raw hex or a call object) or a bundle of them (a list)
        would do, legs included, without sending anything (svs.pipeline.simulation)."""
        if len(params) != 1:
            raise RpcFailure(-32602, "invalid params: expected [transaction] or [[transaction, ...]]")
        items = params[0] if isinstance(params[0], list) else [params[0]]
        try:
            return self._simulator.simulate(self.chain_id, items)
        except SimulationError as err:
            raise RpcFailure(-32602, f"invalid params: {err}") from err

    def rpc_sequencer_getTransactionStatus(self, params: list) -> dict | None:
        if len(params) != 1 or not isinstance(params[0], str):
            raise RpcFailure(-32602, "invalid params: expected [transactionHash]")
        return self.sequencer.transaction_status(params[0])


NODE_DOWN = "rollup node unavailable, nothing was accepted; send again shortly"


def _sync_timeout(value: Any) -> int:
    """EIP-7966's timeout in milliseconds (a number or a hex quantity); a missing or invalid one,
    or one above SYNC_MAX_MS, is the default."""
    try:
        ms = int(value, 16) if isinstance(value, str) else int(value) if isinstance(value, int) else 0
    except ValueError:
        ms = 0
    return ms if 0 < ms <= SYNC_MAX_MS else SYNC_DEFAULT_MS


def _cap_gas(params: list) -> list:
    """A call object's gas, at most CALL_GAS_CAP (the cap when none is given), as geth does."""
    if not params or not isinstance(params[0], dict):
        raise RpcFailure(-32602, "invalid params: expected [callObject, block]")
    call = dict(params[0])
    try:
        gas = int(call["gas"], 16) if isinstance(call.get("gas"), str) else int(call.get("gas") or CALL_GAS_CAP)
    except ValueError as err:
        raise RpcFailure(-32602, f"invalid gas {call.get('gas')!r}") from err
    call["gas"] = hex(min(gas, CALL_GAS_CAP))
    return [call, *params[1:]]


def _pending_view(tx) -> dict:
    decoded = tx.tx
    return {"hash": tx.hash, "from": decoded.sender, "to": decoded.to, "nonce": hex(decoded.nonce),
            "gas": hex(decoded.gas), "value": hex(decoded.value), "input": "0x" + decoded.data.hex(),
            "chainId": hex(tx.chain_id), "blockHash": None, "blockNumber": None, "transactionIndex": None}


def _error(request_id: Any, failure: RpcFailure) -> dict:
    error = {"code": failure.code, "message": failure.message}
    if failure.data is not None:
        error["data"] = failure.data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


STATUS_PAGE = resources.files("svs.pipeline").joinpath("status.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    ingress: Ingress  # set on the subclass made per server

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            return self._reply(_error(None, RpcFailure(-32600, f"invalid request: body must be 0 to {MAX_BODY_BYTES} bytes"
                                                        " with a Content-Length header")))
        body = self.rfile.read(length)
        try:
            request = untrusted_json.loads(body)
        except untrusted_json.TooDeep as err:
            reply: Any = _error(None, RpcFailure(-32700, f"parse error: {err}"))
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            reply = _error(None, RpcFailure(-32700, "parse error: body is not JSON"))
        else:
            try:
                reply = self.ingress.handle(request)
            except Exception as err:  # never let one request take the endpoint down
                log.exception("ingress error")
                reply = _error(None, RpcFailure(-32603, f"internal error: {err}"))
        self._reply(reply)

    def do_GET(self) -> None:  # noqa: N802
        """The status page (``/`` or ``/status``); it reads the endpoint's own JSON-RPC."""
        if self.path.split("?")[0] not in ("/", "/status"):
            return self._send(404, "text/plain; charset=utf-8", b"not found: the status page is at /status\n")
        self._send(200, "text/html; charset=utf-8", STATUS_PAGE)

    def _reply(self, reply: Any) -> None:
        self._send(200, "application/json", json.dumps(reply).encode())

    def _send(self, code: int, content_type: str, payload: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class IngressServer:
    """Serves one Ingress on 127.0.0.1:port in a background thread."""

    def __init__(self, ingress: Ingress, host: str, port: int):
        self.ingress = ingress
        handler = type("Handler", (_Handler,), {"ingress": ingress})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,),
                                        name=f"ingress-{port}", daemon=True)

    def start(self) -> "IngressServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
