"""Anvil nodes: start them (L1 and rollups), wait until they answer, stop them.

Nodes run in their own session (process group), so a crash of the sequencer, even kill -9,
leaves them running, as real rollup nodes outlive their sequencer. ``nodes.json`` in the state
directory records how to reach and stop them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from svs.errors import SvsError
from svs.node.rpc import NodeUnavailable, RpcClient, RpcError

log = logging.getLogger(__name__)

L1_CHAIN_ID = 900
FIRST_ROLLUP_CHAIN_ID = 901
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class ChainError(SvsError, RuntimeError):
    """A node could not be started or reached."""


@dataclass(frozen=True)
class Node:
    """One chain the sequencer works with."""

    chain_id: int
    rpc_url: str
    role: str  # "l1" or "rollup"
    pid: int | None = None  # set when this process started the node
    log_path: str | None = None


def anvil_binary() -> str:
    """Path of the anvil executable (the real binary, put on PATH by ./svs.sh)."""
    path = shutil.which("anvil")
    if path is None:
        raise ChainError("anvil is not on PATH: run through ./svs.sh, or `npm install` and add node_modules/.bin")
    return path


def start_anvil(chain_id: int, port: int, role: str, log_dir: Path, automine: bool,
                load_state: Path | None = None) -> Node:
    """Start anvil for ``chain_id`` on 127.0.0.1:``port`` in its own session, from the state
    persisted in ``load_state`` if given (svs.node.checkpoints).

    Rollups run with ``--no-mining``: the sequencer is their only block producer.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"anvil-{chain_id}.log"
    if _port_taken(port):  # else the new anvil exits and the old node would pass for it
        raise ChainError(f"port {port} is already in use (another node?): cannot start chain {chain_id} there")
    args = [
        anvil_binary(),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chain-id", str(chain_id),
        "--mnemonic", DEV_MNEMONIC,
        "--accounts", "20",
        "--balance", "1000000",
        "--gas-limit", "1000000000",
        # Blocks keep the order transactions were sent in. anvil's default orders by fee and
        # shuffles equal fees, so a rebuilt tick would number its legs differently.
        "--order", "fifo",
    ]
    if not automine:
        args.append("--no-mining")
    if load_state is not None:
        args += ["--load-state", str(load_state)]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            args, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    node = Node(chain_id, f"http://127.0.0.1:{port}", role, process.pid, str(log_path))
    try:
        wait_ready(node, process=process)
    except ChainError:
        stop(node)
        raise
    log.info("anvil chain %d (%s) on %s, pid %d", chain_id, role, node.rpc_url, process.pid)
    return node


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def rpc_call(url: str, method: str, params: list | None = None, timeout: float = 10.0):
    """One call through the package's JSON-RPC client (svs.node.rpc), for start-up and
    bookkeeping: any failure becomes a ChainError with the node's message."""
    try:
        return RpcClient(url, timeout).call(method, *(params or []))
    except (RpcError, NodeUnavailable) as err:
        raise ChainError(str(err)) from err


def wait_ready(node: Node, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    """Wait until the node answers eth_chainId with the expected id."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ChainError(f"anvil for chain {node.chain_id} exited with {process.returncode}; see {node.log_path}")
        try:
            answered = int(rpc_call(node.rpc_url, "eth_chainId", timeout=1.0), 16)
        except ChainError as err:
            last_error = err
            time.sleep(0.1)
            continue
        if answered != node.chain_id:
            raise ChainError(f"{node.rpc_url} is chain {answered}, expected {node.chain_id}")
        return
    raise ChainError(f"chain {node.chain_id} at {node.rpc_url} not ready after {timeout:.0f}s: {last_error}")


def stop(node: Node, timeout: float = 5.0) -> None:
    """Stop a node this process (or an earlier run, per nodes.json) started."""
    if node.pid is None:
        return
    try:
        os.killpg(node.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(node.pid, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it is our child
            if os.waitpid(node.pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            pass
        time.sleep(0.05)
    os.killpg(node.pid, signal.SIGKILL)


def restart_anvil(node: Node, log_dir: Path, load_state: Path) -> Node:
    """Start a rollup node that died again, on its port, from its persisted state."""
    port = int(node.rpc_url.rsplit(":", 1)[1])
    return start_anvil(node.chain_id, port, node.role, log_dir, automine=False, load_state=load_state)


def process_gone(pid: int) -> bool:
    """True once process ``pid`` has exited (reaping it if it is this process's child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """A dead process nobody reaped (an orphan, where init does not reap: some containers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def save_nodes(state_dir: Path, nodes: list[Node]) -> Path:
    path = state_dir / "nodes.json"
    path.write_text(json.dumps([asdict(n) for n in nodes], indent=2))
    return path


def load_nodes(state_dir: Path) -> list[Node]:
    path = state_dir / "nodes.json"
    return [Node(**entry) for entry in json.loads(path.read_text())] if path.exists() else []
