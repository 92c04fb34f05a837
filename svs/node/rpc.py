"""Batched JSON-RPC over HTTP with keep-alive: the sequencer's hot path to the nodes.

ape and web3.py are the frame for deployment and tests; per tick the sequencer sends thousands
of requests, so it batches them into one HTTP round trip per chain and step. The transport is the
standard library's ``http.client`` on one kept-alive connection per thread: measured against a
local anvil, a small call costs ~140 us of CPU through it against ~720 us through ``requests``
(whose per-request environment, proxy and certificate handling the tick paid dozens of times).
"""

from __future__ import annotations

import base64
import http.client
import json
import select
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from svs.codec import untrusted_json
from svs.errors import SvsError

# Requests to a node: sequential chunks keep anvil's order (it runs the calls of one batch
# concurrently: past ~64 transactions they reach its pool out of order), and stay well under
# its ~2 MB body limit.
SEND_CHUNK = 32
MAX_REQUEST_BYTES = 1024 * 1024
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# Answers nest deeper than this are refused unparsed (svs.codec.untrusted_json): a `[[[[...`
# answer would otherwise overflow the C stack in a process whose recursion limit py-evm or py_ecc
# raised (ape's), and kill it. A callTracer answer for a call stack at the EVM's limit of 1,024
# frames nests about 2,050 levels.
MAX_ANSWER_DEPTH = 2_100


class RpcError(SvsError, RuntimeError):
    """The node answered with a JSON-RPC error."""

    def __init__(self, url: str, method: str, error: dict):
        self.url, self.method, self.error = url, method, error
        self.code = error.get("code")
        self.message = error.get("message", str(error))
        self.data = error.get("data")
        super().__init__(f"{method} on {url}: {self.message}")


class NodeUnavailable(SvsError, RuntimeError):
    """The node did not answer at all (dead, unreachable, or garbage)."""


def _readable(sock) -> bool:
    """Whether ``sock`` has something to read now. poll, not select: select refuses descriptors
    above 1023, which a busy ingress (many client connections) pushes the sequencer's past."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class InvalidUrl(SvsError, ValueError):
    """A node URL that is not http:// or https://."""


@dataclass(frozen=True)
class HttpEndpoint:
    """An http(s) URL split for http.client (the RPC client's and the beacon client's)."""

    https: bool
    host: str
    port: int | None
    path: str  # without the query
    query: str
    auth: dict[str, str]  # the basic-auth header the URL's userinfo asks for, if any

    @classmethod
    def of(cls, url: str) -> "HttpEndpoint":
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidUrl(f"not an http(s) URL: {url!r}")
        auth = {}
        if parts.username is not None:  # https://user:secret@host/..., as some providers hand out
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            auth["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        return cls(parts.scheme == "https", parts.hostname, parts.port, parts.path, parts.query, auth)

    def target(self, path: str = "", query: str = "") -> str:
        """The request target for ``path`` under this URL's path, with both queries."""
        joined = "&".join(q for q in (self.query, query) if q)
        return (self.path.rstrip("/") + path if path else self.path or "/") + (f"?{joined}" if joined else "")

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=timeout)


class RpcClient:
    """A JSON-RPC client for one node. Thread-safe: each thread keeps its own connection."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url
        self.timeout = timeout
        self._endpoint = HttpEndpoint.of(url)
        self._path = self._endpoint.target()
        self._headers = {**_HEADERS, **self._endpoint.auth}
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection, reopened if the node closed it while it was idle."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._endpoint.connection(self.timeout)
        elif connection.sock is not None and _readable(connection.sock):
            connection.close()  # readable while idle: the node hung up; request() reconnects
        return connection

    def _post(self, body: Any) -> Any:
        connection = self._connection()
        try:
            connection.request("POST", self._path, body=json.dumps(body, separators=(",", ":")).encode(),
                               headers=self._headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as err:
            connection.close()
            raise NodeUnavailable(f"node {self.url} did not answer: {err}") from err
        try:
            return untrusted_json.loads(payload, MAX_ANSWER_DEPTH)
        except (untrusted_json.TooDeep, RecursionError) as err:  # an answer to this request, not a dead node
            # RecursionError: under the bound but deeper than this process's recursion limit
            # (Python's default is 1,000; ape's processes raise it).
            method = body[0]["method"] if isinstance(body, list) else body["method"]
            raise RpcError(self.url, method, {"code": -32603, "message": f"answer refused: {err}"}) from err
        except ValueError as err:
            raise NodeUnavailable(f"node {self.url} answered HTTP {response.status} with no JSON: "
                                  f"{payload[:200]!r}") from err

    def call(self, method: str, *params: Any) -> Any:
        """One call; raises RpcError on a JSON-RPC error."""
        reply = self._post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        if not isinstance(reply, dict):
            raise NodeUnavailable(f"node {self.url} sent a non-object reply to {method}")
        if "error" in reply:
            raise RpcError(self.url, method, reply["error"])
        return reply.get("result")

    def batch(self, calls: list[tuple[str, list]], chunk: int | None = None) -> list[Any]:
        """Many calls in one request (or in sequential requests of ``chunk`` calls). Returns, in
        order, each result or an RpcError instance (not raised: one bad transaction must not
        hide the others' answers). An answer refused whole (nested past MAX_ANSWER_DEPTH) is
        raised as RpcError; a node that does not answer, as NodeUnavailable."""
        if not calls:
            return []
        if chunk and len(calls) > chunk:
            return [r for i in range(0, len(calls), chunk) for r in self.batch(calls[i:i + chunk])]
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        replies = self._post(body)
        if isinstance(replies, dict) and "error" in replies:  # the node refused the whole request
            error = RpcError(self.url, calls[0][0], replies["error"])
            return [error] * len(calls)
        if not isinstance(replies, list):
            raise NodeUnavailable(f"node {self.url} answered a batch with {type(replies).__name__}")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        results: list[Any] = []
        for i, (method, _) in enumerate(calls):
            reply = by_id.get(i)
            if reply is None:
                results.append(RpcError(self.url, method, {"code": -32603, "message": "no reply in batch"}))
            elif "error" in reply:
                results.append(RpcError(self.url, method, reply["error"]))
            else:
                results.append(reply.get("result"))
        return results

    def send_in_order(self, raws: list[bytes]) -> list[Any]:
        """``eth_sendRawTransaction`` for each raw transaction, in order: sequential requests of
        at most SEND_CHUNK transactions and MAX_REQUEST_BYTES of body (anvil runs the calls of
        one batch concurrently, so a large batch reaches its pool out of order, and it refuses
        bodies of ~2 MB). Returns each transaction's hash or RpcError, as ``batch``."""
        results: list[Any] = []
        chunk: list[tuple[str, list]] = []
        size = 0
        for raw in raws:
            cost = 2 * len(raw) + 100  # hex, plus the JSON-RPC envelope
            if chunk and (len(chunk) == SEND_CHUNK or size + cost > MAX_REQUEST_BYTES):
                results += self.batch(chunk)
                chunk, size = [], 0
            chunk.append(("eth_sendRawTransaction", ["0x" + raw.hex()]))
            size += cost
        return results + self.batch(chunk)

    def batch_strict(self, calls: list[tuple[str, list]]) -> list[Any]:
        """Like batch, but raise the first error."""
        results = self.batch(calls)
        for result in results:
            if isinstance(result, RpcError):
                raise result
        return results
