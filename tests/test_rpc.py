"""The JSON-RPC transport (svs.node.rpc) on its own: a small HTTP server in this process stands in
for a node that misbehaves at the HTTP level (the suite's other tests use real anvil nodes)."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from svs.node.rpc import InvalidUrl, NodeUnavailable, RpcClient, RpcError


class _Node(BaseHTTPRequestHandler):
    """Answers eth_blockNumber with its request count; ``mode`` picks a misbehaviour."""

    protocol_version = "HTTP/1.1"  # keep-alive, as anvil

    def do_POST(self) -> None:  # noqa: N802
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.paths.append(self.path)
        server.auth.append(self.headers.get("Authorization"))
        server.requests += 1
        if server.mode == "garbage":
            payload, status = b"<html>bad gateway</html>", 502
        elif server.mode == "deep":  # nested as deep as asked: {"result": [[[...]]]}
            depth = int((body[0] if isinstance(body, list) else body)["method"])
            payload, status = b'{"jsonrpc":"2.0","id":1,"result":' + b"[" * depth + b"]" * depth + b"}", 200
        elif isinstance(body, list):
            payload, status = json.dumps([{"jsonrpc": "2.0", "id": c["id"], "result": hex(c["id"])}
                                          for c in body]).encode(), 200
        elif body["method"] == "fail":
            payload, status = json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "no"}}).encode(), 200
        else:
            payload, status = json.dumps({"jsonrpc": "2.0", "id": 1, "result": hex(server.requests)}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        if server.mode == "hang-up":
            self.close_connection = True  # closes the kept-alive connection after answering

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def node():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    server.mode, server.requests, server.paths, server.auth = "ok", 0, [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server, path: str = "") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_calls_batches_and_errors_on_one_kept_alive_connection(node):
    rpc = RpcClient(_url(node, "/v3/key?x=1"))
    assert rpc.call("eth_blockNumber") == "0x1"
    assert rpc.batch([("a", []), ("b", [])]) == ["0x0", "0x1"]
    with pytest.raises(RpcError, match="no"):
        rpc.call("fail")
    assert node.paths == ["/v3/key?x=1"] * 3  # the URL's path and query reach the node


def test_a_node_that_hangs_up_between_calls_is_reconnected_to(node):
    rpc = RpcClient(_url(node))
    node.mode = "hang-up"
    answers = []
    for _ in range(3):
        answers.append(rpc.call("eth_blockNumber"))
        time.sleep(0.05)  # the node closes the idle connection (a restart, an idle timeout)
    assert answers == ["0x1", "0x2", "0x3"]


def test_credentials_in_the_url_go_as_basic_auth(node):
    RpcClient(f"http://us%40er:s3cret@127.0.0.1:{node.server_address[1]}/").call("eth_blockNumber")
    RpcClient(_url(node)).call("eth_blockNumber")
    assert node.auth == ["Basic " + base64.b64encode(b"us@er:s3cret").decode(), None]


def test_a_connection_on_a_descriptor_above_1023_is_reused_and_reopened(node):
    """A busy ingress pushes the process's descriptors past select()'s limit of 1023."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1100:
        pytest.fail(f"this machine allows only {hard} open files; the test needs 1,100")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1100), hard))
    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1050)]
    try:
        rpc = RpcClient(_url(node))
        node.mode = "hang-up"
        answers = []
        for _ in range(3):
            answers.append(rpc.call("eth_blockNumber"))
            time.sleep(0.05)
        assert rpc._local.connection.sock is None or rpc._local.connection.sock.fileno() > 1023
        assert answers == ["0x1", "0x2", "0x3"]
    finally:
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_reply_that_is_not_json_is_a_node_unavailable_error_with_its_status(node):
    node.mode = "garbage"
    with pytest.raises(NodeUnavailable, match="HTTP 502 with no JSON"):
        RpcClient(_url(node)).call("eth_blockNumber")


def test_a_dead_node_and_a_silent_node_are_node_unavailable_errors():
    with socket.socket() as idle:
        idle.bind(("127.0.0.1", 0))
        port = idle.getsockname()[1]
        with pytest.raises(NodeUnavailable, match="did not answer"):
            RpcClient(f"http://127.0.0.1:{port}").call("eth_blockNumber")  # nothing listens
        idle.listen()  # accepts, never answers
        with pytest.raises(NodeUnavailable, match="did not answer"):
            RpcClient(f"http://127.0.0.1:{port}", timeout=0.5).call("eth_blockNumber")


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8545", "127.0.0.1:8545", "http://"])
def test_a_url_that_is_not_http_is_refused_at_once(url):
    with pytest.raises(InvalidUrl):
        RpcClient(url)


def test_an_answer_nested_past_the_bound_is_refused_unparsed_and_the_process_lives(node):
    """A node (or an RPC provider, in attach mode) answering `[[[[...` 200,000 deep: under a raised
    recursion limit (py_ecc's, in any ape process) json.loads overflowed the C stack and killed the
    process. It is refused before parsing, as an error of that call; a trace-like answer at the
    EVM's call depth still parses."""
    import sys

    from svs.node.rpc import MAX_ANSWER_DEPTH

    node.mode = "deep"
    rpc = RpcClient(_url(node))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        with pytest.raises(RpcError, match="answer refused: JSON nested 200001 levels deep"):
            rpc.call("200000")
        assert _depth(rpc.call(str(MAX_ANSWER_DEPTH - 1))) == MAX_ANSWER_DEPTH - 1  # the whole answer nests one more
        with pytest.raises(RpcError, match="nested"):
            rpc.batch([(str(MAX_ANSWER_DEPTH), [])])
    finally:
        sys.setrecursionlimit(limit)
    sys.setrecursionlimit(1_000)  # Python's default: an answer under the bound can still be too deep to parse
    try:
        with pytest.raises(RpcError, match="answer refused: .*recursion"):
            rpc.call(str(MAX_ANSWER_DEPTH - 1))
    finally:
        sys.setrecursionlimit(limit)
    node.mode = "ok"
    assert rpc.call("eth_blockNumber")  # the connection still serves


def _depth(value) -> int:
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth + (1 if value == [] else 0)
