"""The chaos run: kill -9 the sequencer and its rollup nodes under steady mixed load, restart,
and check afterwards that nothing was lost, nothing applied twice, and every pair agrees.

The sequencer is the real CLI (``ape run sequencer``) in a subprocess with its own ports. Senders
(threads, one account each) feed every ingress without pause: cross-chain transfers both ways,
triggers whose actions succeed, and triggers whose actions revert (each such sender re-sends at
the same nonce once its trigger was excluded). A sender re-sends a transaction until the ingress
answers with its hash or "already known", so a kill between journaling and answering loses
nothing. Meanwhile the schedule kills, at random moments (seeded):

- ``sequencer``: kill -9 the sequencer, start it again on the same state directory;
- ``node``: kill -9 one rollup node; the running sequencer restarts it from its checkpoint and
  replays the blocks it lost from the journal;
- ``both``: kill -9 a rollup node and the sequencer together; the next start does the rest.

After each event the run waits until the sequencer builds again. Then the load stops, every
transaction is awaited, and ``check`` verifies (``ChaosReport.problems``):

- every accepted transaction is final: honest ones included, reverting triggers excluded;
- every transaction in the blocks appears once, where its status says; each leg at its
  source's height on its destination;
- every block of every rollup is the block the journal committed (hash equal; each committed
  block passed the self-check before its commit), and the pair roots agree at every height the
  nodes still hold state for (a node restarted from a checkpoint keeps no state before it);
- the token supply over all rollups is unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3

from svs.codec.signer import LegacySigner
from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.deploy.record import Deployment
from svs.errors import SvsError
from svs.node.rpc import RpcClient, RpcError
from svs.node.rollup import Rollup
from svs.pipeline.ingress import NODE_DOWN
from svs.pipeline.journal import Journal
from svs.pipeline.selfcheck import read_pair_roots

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
CHAINS = (901, 902)
GAS_PRICE = 3 * 10**9
TOKEN = 10**18
SUPPLY = 2 * 10**27  # the initial supply of both rollups together
EVENTS = ("sequencer", "node", "both")


@dataclass
class ChaosOptions:
    sequencer_kills: int = 100
    node_kills: int = 6  # half of them together with the sequencer
    state_dir: Path = Path(".chaos")
    first_port: int = 19545  # ingress of 901, 902; L1 on +2; nodes on +10000
    block_time: float = 0.3
    checkpoint_every: float = 2.0
    seed: int = 1
    up_seconds: tuple[float, float] = (0.3, 3.0)  # how long the system runs between two kills
    recover_timeout: float = 180.0


@dataclass
class ChaosReport:
    events: dict[str, int] = field(default_factory=lambda: {e: 0 for e in EVENTS})
    recovery_seconds: list[float] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # kind -> transactions accepted
    included: int = 0
    excluded: int = 0
    heights: dict[int, int] = field(default_factory=dict)
    blocks_checked: int = 0  # blocks compared with the journal's sealed hash
    storage_heights: int = 0  # heights whose pair roots and supply were read from storage
    replays: int = 0  # rollup blocks replayed from the journal to restarted nodes (sequencer log)
    resent: dict[str, int] = field(default_factory=dict)  # why sends were repeated -> how often
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> str:
        recovery = sorted(self.recovery_seconds)
        median = recovery[len(recovery) // 2] if recovery else 0.0
        rows = [
            ("kill -9 sequencer", self.events["sequencer"]),
            ("kill -9 rollup node (sequencer running)", self.events["node"]),
            ("kill -9 rollup node and sequencer together", self.events["both"]),
            ("recovery after a kill, median / max (s)", f"{median:.1f} / {max(recovery, default=0):.1f}"),
            ("blocks replayed to restarted nodes", self.replays),
            ("transactions accepted (" + ", ".join(f"{k} {v}" for k, v in sorted(self.accepted.items())) + ")",
             sum(self.accepted.values())),
            ("  included / excluded", f"{self.included} / {self.excluded}"),
            ("sends repeated (no ingress / a rollup node down)",
             f"{self.resent.get('no ingress', 0)} / {self.resent.get('node down', 0)}"),
            ("final heights", ", ".join(f"{c}: {h}" for c, h in sorted(self.heights.items()))),
            ("blocks equal to the journal's (hash)", self.blocks_checked),
            ("heights with pair roots and supply read from storage", self.storage_heights),
            ("run time (s)", f"{self.seconds:.0f}"),
            ("problems", len(self.problems)),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
        return "\n".join(lines + [f"PROBLEM: {p}" for p in self.problems])


class SequencerProcess:
    """``ape run sequencer`` on its own ports and state directory, killable and restartable."""

    def __init__(self, options: ChaosOptions):
        self.options = options
        self.urls = {c: f"http://127.0.0.1:{options.first_port + i}" for i, c in enumerate(CHAINS)}
        self.log_path = options.state_dir / "sequencer.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        o = self.options
        args = ["ape", "run", "sequencer", "local", "--state-dir", str(o.state_dir), "--port", str(o.first_port),
                "--l1-port", str(o.first_port + 2), "--no-demo", "--block-time", str(o.block_time),
                "--checkpoint-every", str(o.checkpoint_every)]
        o.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Ctrl-C: the sequencer stops, and the nodes with it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for node in self.nodes():  # whatever a failed run left behind
            try:
                os.killpg(node["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def nodes(self) -> list[dict]:
        path = self.options.state_dir / "nodes.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return []

    def status(self) -> dict | None:
        try:
            reply = requests.post(self.urls[CHAINS[0]], json={"jsonrpc": "2.0", "id": 1, "method": "sequencer_status"},
                                  timeout=5).json()
        except (requests.RequestException, ValueError):
            return None
        return reply.get("result")

    def wait_building(self, past: int, timeout: float) -> dict:
        """Wait until the sequencer answers, is not waiting for nodes, and has built past height ``past``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ChaosFailure(f"the sequencer exited with {self.proc.returncode}; see {self.log_path}")
            status = self.status()
            if status and status["halted"]:
                raise ChaosFailure(f"the sequencer halted: {status['halted']}")
            if status and status["waitingForNodes"] is None and min(status["heights"].values()) > past:
                return status
            time.sleep(0.1)
        raise ChaosFailure(f"the sequencer did not build again within {timeout:.0f}s; see {self.log_path}")


class ChaosFailure(SvsError, RuntimeError):
    """The run could not go on (the system did not recover)."""


class Sender(threading.Thread):
    """One account on one rollup sending one kind of transaction without pause."""

    def __init__(self, kind: str, chain_id: int, account: LocalAccount, process: SequencerProcess, deployment: dict):
        super().__init__(daemon=True, name=f"sender-{kind}-{chain_id}")
        self.kind, self.chain_id, self.account, self.process = kind, chain_id, account, process
        self.signer = LegacySigner(bytes(account.key), chain_id)
        self.calldata = _calldata(kind, chain_id, deployment)
        self.accepted: list[str] = []
        self.refused: list[str] = []
        self.node_down = 0  # sends refused because a rollup node was down (then sent again)
        self.unreachable = 0  # sends that found no ingress (the sequencer was down)
        self.stopping = threading.Event()

    def run(self) -> None:
        nonce = int(self._call("eth_getTransactionCount", self.account.address, "pending"), 16)
        salt = 0
        while not self.stopping.is_set():
            to, data = self.calldata
            salt += 1  # a re-sent reverting trigger must be a new transaction: another gas limit
            raw, _ = self.signer.sign(nonce, GAS_PRICE, 400_000 + salt, bytes.fromhex(to[2:]), 0, data)
            tx_hash = self._send(raw)
            if tx_hash is None:
                return
            self.accepted.append(tx_hash)
            if self.kind == "reverting":  # excluded, so its nonce is free again
                if not self._wait_final(tx_hash):
                    return
            else:
                nonce += 1
            self.stopping.wait(0.02)

    def _send(self, raw: bytes) -> str | None:
        while not self.stopping.is_set():
            try:
                return self._call("eth_sendRawTransaction", "0x" + raw.hex())
            except _Refused as err:
                if "already known" in str(err):
                    return str(err).split("already known: ")[1][:66]
                if str(err).startswith(NODE_DOWN):  # a node is restarting: nothing accepted, send again
                    self.node_down += 1
                else:
                    self.refused.append(str(err))
                self.stopping.wait(0.2)
            except _Unreachable:
                self.unreachable += 1
                self.stopping.wait(0.2)
        return None

    def _wait_final(self, tx_hash: str) -> bool:
        while not self.stopping.is_set():
            try:
                status = self._call("sequencer_getTransactionStatus", tx_hash)
                if status and status["status"] != "pending":
                    return True
            except (_Refused, _Unreachable):
                pass
            self.stopping.wait(0.1)
        return False

    def _call(self, method: str, *params):
        try:
            reply = requests.post(self.process.urls[self.chain_id], json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                                         "params": list(params)}, timeout=10).json()
        except (requests.RequestException, ValueError) as err:
            raise _Unreachable(str(err)) from err
        if "error" in reply:
            raise _Refused(reply["error"].get("message", str(reply["error"])))
        return reply["result"]


class _Refused(RuntimeError):
    pass


class _Unreachable(RuntimeError):
    pass


def _calldata(kind: str, chain_id: int, deployment: dict) -> tuple[str, bytes]:
    other = next(c for c in CHAINS if c != chain_id)
    rollups = Deployment(deployment).rollups
    mine, theirs = rollups[chain_id], rollups[other]
    w3 = Web3()
    if kind == "transfer":
        mint_burn = w3.eth.contract(abi=load_artifact("MintBurnSystemContract").abi)
        data = mint_burn.encode_abi("burn", [other, accounts.user(1).address, mine["BridgeableToken"], TOKEN])
        return mine["MintBurnSystemContract"], bytes.fromhex(data[2:])
    counter = w3.eth.contract(abi=load_artifact("CrossChainCounter").abi)
    increment = counter.encode_abi("increment", [0 if kind == "reverting" else 1])
    general = w3.eth.contract(abi=load_artifact("GeneralSystemContract").abi)
    data = general.encode_abi("trigger", [other, theirs["CrossChainCounter"], bytes.fromhex(increment[2:]), 100_000])
    return mine["GeneralSystemContract"], bytes.fromhex(data[2:])


def _senders(process: SequencerProcess, deployment: dict) -> list[Sender]:
    """Transfers from the token holder on each rollup, succeeding and reverting triggers from
    accounts of their own (a reverting trigger's exclusion would break a shared nonce sequence)."""
    plan = [("transfer", 901, 0), ("transfer", 902, 0), ("trigger", 901, 4), ("trigger", 902, 5),
            ("reverting", 901, 6), ("reverting", 902, 7)]
    return [Sender(kind, chain, accounts.user(n), process, deployment) for kind, chain, n in plan]


def run_chaos(options: ChaosOptions, progress=print) -> ChaosReport:
    report = ChaosReport()
    started = time.monotonic()
    rng = random.Random(options.seed)
    events = ["sequencer"] * options.sequencer_kills + ["node", "both"] * (options.node_kills // 2) \
        + ["node"] * (options.node_kills % 2)
    rng.shuffle(events)
    process = SequencerProcess(options)
    senders: list[Sender] = []
    try:
        process.start()
        status = process.wait_building(0, options.recover_timeout)
        senders = _senders(process, status["deployment"])
        for sender in senders:
            sender.start()
        for number, event in enumerate(events, 1):
            time.sleep(rng.uniform(*options.up_seconds))
            height = min(process.wait_building(0, options.recover_timeout)["heights"].values())
            _strike(event, process, rng)
            killed_at = time.monotonic()
            if event != "node":
                process.start()
            process.wait_building(height, options.recover_timeout)
            report.recovery_seconds.append(time.monotonic() - killed_at)
            report.events[event] += 1
            progress(f"[{number}/{len(events)}] kill -9 {event}: building again after "
                     f"{report.recovery_seconds[-1]:.1f}s; {sum(len(s.accepted) for s in senders)} accepted so far")
        for sender in senders:
            sender.stopping.set()
        for sender in senders:
            sender.join(timeout=30)
        check(process, senders, report)
    except ChaosFailure as err:
        report.problems.append(str(err))
    finally:
        for sender in senders:
            sender.stopping.set()
        process.stop()
        report.seconds = time.monotonic() - started
    return report


def _strike(event: str, process: SequencerProcess, rng: random.Random) -> None:
    if event in ("node", "both"):
        node = rng.choice([n for n in process.nodes() if n["role"] == "rollup"])
        os.killpg(node["pid"], signal.SIGKILL)
    if event in ("sequencer", "both"):
        process.kill()


def check(process: SequencerProcess, senders: list[Sender], report: ChaosReport, timeout: float = 120.0) -> None:
    """Wait for every accepted transaction, then verify the run (module notes)."""
    for sender in senders:
        report.accepted[sender.kind] = report.accepted.get(sender.kind, 0) + len(sender.accepted)
        report.resent["no ingress"] = report.resent.get("no ingress", 0) + sender.unreachable
        report.resent["node down"] = report.resent.get("node down", 0) + sender.node_down
        report.problems += [f"{sender.name}: the ingress refused an honest transaction: {r}" for r in sender.refused
                            if sender.kind != "reverting"]
    statuses = _final_statuses(process, senders, timeout, report)
    status = process.status()
    deployment = status["deployment"]
    heights = {int(c): h for c, h in status["heights"].items()}
    report.heights = heights
    nodes = {c: RpcClient(r.rpc) for c, r in Deployment(deployment).rollups.items()}
    placed = _placements(nodes, heights, report)
    for sender in senders:
        for tx_hash in sender.accepted:
            _check_transaction(sender, tx_hash, statuses.get(tx_hash), placed, report)
    first = _check_blocks_against_journal(process.options.state_dir, nodes, heights, report)
    _check_storage(deployment, nodes, first, heights, report)
    report.replays = sum(int(line.split("replayed ")[1].split()[0]) for line in _log_lines(process, "committed blocks to"))


def _final_statuses(process, senders, timeout, report) -> dict[str, dict]:
    wanted = {h: s.chain_id for s in senders for h in s.accepted}
    statuses: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while wanted and time.monotonic() < deadline:
        for tx_hash, chain_id in list(wanted.items()):
            reply = requests.post(process.urls[chain_id], json={"jsonrpc": "2.0", "id": 1, "params": [tx_hash],
                                                                "method": "sequencer_getTransactionStatus"}, timeout=10).json()
            if reply.get("result") and reply["result"]["status"] != "pending":
                statuses[tx_hash] = reply["result"]
                del wanted[tx_hash]
        if wanted:
            time.sleep(0.5)
    report.problems += [f"{h} still pending after {timeout:.0f}s" for h in list(wanted)[:10]]
    return statuses


def _placements(nodes: dict[int, RpcClient], heights: dict[int, int], report) -> dict[str, list[tuple[int, int]]]:
    placed: dict[str, list[tuple[int, int]]] = {}
    for chain_id, rpc in nodes.items():
        numbers = range(heights[chain_id] + 1)
        for start in range(0, len(numbers), 200):
            blocks = rpc.batch_strict([("eth_getBlockByNumber", [hex(n), False]) for n in numbers[start:start + 200]])
            for block in blocks:
                for tx_hash in block["transactions"]:
                    placed.setdefault(tx_hash.lower(), []).append((chain_id, int(block["number"], 16)))
    report.problems += [f"{h} is in the blocks {len(p)} times: {p}" for h, p in placed.items() if len(p) > 1]
    return placed


def _check_transaction(sender: Sender, tx_hash: str, status: dict | None, placed: dict, report: ChaosReport) -> None:
    if status is None:
        return  # reported as still pending
    where = placed.get(tx_hash, [])
    if status["status"] == "excluded":
        report.excluded += 1
        if sender.kind != "reverting":
            report.problems.append(f"honest {sender.kind} {tx_hash} was excluded: {status.get('reason')}")
        if where:
            report.problems.append(f"excluded {tx_hash} is in block {where}")
        return
    report.included += 1
    if sender.kind == "reverting":
        report.problems.append(f"reverting trigger {tx_hash} was included")
    if where != [(status["chainId"], status["block"])]:
        report.problems.append(f"{tx_hash}: status says block {status['block']} on {status['chainId']}, blocks say {where}")
    for leg in status["legs"]:
        if placed.get(leg["counterpart"].lower()) != [(leg["destination"], status["block"])]:
            report.problems.append(f"{tx_hash}: its leg {leg['counterpart']} is not at block {status['block']} "
                                   f"on {leg['destination']}")


def _check_blocks_against_journal(state_dir: Path, nodes: dict[int, RpcClient], heights: dict[int, int], report) -> int:
    """Every block from the first tick on is the one the journal committed; returns the first
    tick's base height."""
    journal = Journal(state_dir / "journal.sqlite")
    try:
        first = max(journal.first_tick_base(c) for c in CHAINS)
        for chain_id, rpc in nodes.items():
            ticks = journal.committed_ticks(chain_id, 0, heights[chain_id])
            for start in range(0, len(ticks), 200):
                chunk = ticks[start:start + 200]
                blocks = rpc.batch_strict([("eth_getBlockByNumber", [hex(t.base_heights[chain_id] + 1), False])
                                           for t in chunk])
                for tick, block in zip(chunk, blocks):
                    sealed = tick.plan.blocks[chain_id].hash
                    if block["hash"] != sealed:
                        report.problems.append(f"chain {chain_id} block {int(block['number'], 16)} is {block['hash']}, "
                                               f"the journal committed {sealed}")
                report.blocks_checked += len(chunk)
            if len(ticks) != heights[chain_id] - journal.first_tick_base(chain_id):
                report.problems.append(f"chain {chain_id}: {len(ticks)} committed ticks for blocks "
                                       f"{journal.first_tick_base(chain_id) + 1}-{heights[chain_id]}")
    finally:
        journal.close()
    return first


def _check_storage(deployment: dict, nodes: dict[int, RpcClient], first: int, heights: dict[int, int], report) -> None:
    """Pair roots and supply at every height from ``first`` on that both nodes hold state for."""
    rollups = Deployment(deployment).rollups
    chains = {c: Rollup.of(rollups[c]) for c in CHAINS}
    tokens = {c: rollups[c]["BridgeableToken"] for c in CHAINS}
    for height in range(first, min(heights.values()) + 1):
        try:
            pairs = read_pair_roots(chains, {c: height for c in CHAINS})
            supply = sum(int(nodes[c].call("eth_call", {"to": tokens[c], "data": "0x18160ddd"}, hex(height)), 16)
                         for c in CHAINS)
        except RpcError:  # a node restarted from a checkpoint holds no state before it
            continue
        report.storage_heights += 1
        report.problems += [f"height {height}: {p.describe()}" for p in pairs if not p.equal]
        if supply != SUPPLY:
            report.problems.append(f"height {height}: total supply {supply}, expected {SUPPLY}")
    if report.storage_heights == 0:
        report.problems.append("no height could be read from storage")


def _log_lines(process: SequencerProcess, needle: str) -> list[str]:
    try:
        return [line for line in process.log_path.read_text(errors="replace").splitlines() if needle in line]
    except OSError:
        return []
