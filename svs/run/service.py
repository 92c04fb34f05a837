"""The running sequencer: nodes, deployment, ingress, the tick clock, signals.

``ape run sequencer`` (scripts/sequencer.py) parses options into ``ServiceOptions`` and calls
``run``. Nodes are started in their own sessions and recorded in ``nodes.json``, so a sequencer
killed with -9 leaves them running and a restart with the same state directory re-attaches to
them and recovers from the journal. Ctrl-C stops the sequencer and the nodes it started.

Between ticks, every ``checkpoint_every`` seconds, each rollup node it started persists its state
(``svs.node.checkpoints``). A rollup node that dies is started again from it, by the clock (the
sequencer waits for the node, then replays the blocks it lost from the journal) or by the next
start of the service.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from svs.deploy import accounts
from svs.deploy.localnet import deploy_suite, start_nodes
from svs.deploy.record import Deployment
from svs.deploy.suite import InboxConfig
from svs.l1.batcher import DEFAULT_HEARTBEAT, Batcher
from svs.l1.deposits import DEFAULT_CONFIRMATIONS, L1Legs
from svs.l1.inbox import InboxClient
from svs.node.chains import (ChainError, L1_CHAIN_ID, Node, load_nodes, process_gone, restart_anvil, rpc_call,
                             save_nodes, stop)
from svs.node.checkpoints import DIRECTORY as CHECKPOINTS, Checkpointer, checkpoint_path
from svs.pipeline.hooks import NO_HOOKS, TickHooks
from svs.pipeline.ingress import Ingress, IngressServer
from svs.pipeline.subscriptions import WS_PORT_OFFSET, SocketServer
from svs.pipeline.sequencer import Halted, NodesUnavailable, Sequencer, SequencerConfig, TickAbandoned

log = logging.getLogger(__name__)

NODE_PORT_OFFSET = 10_000  # rollup i's node listens on its ingress port + this


@dataclass
class ServiceOptions:
    rollups: int = 2
    block_time: float = 1.0
    l1_port: int = 8545
    first_port: int = 9545
    ws_first_port: int | None = None  # WebSocket port of the first rollup (None: first_port + 100; 0: any free)
    state_dir: Path = Path(".sequencer")
    nodes: list[str] = field(default_factory=list)  # --nodes: build on these (L1 first) instead of starting anvil
    max_block_txs: int = 1000
    demo: bool = True
    exit_after_demo: bool = False
    batch_every: int = 4  # post to the L1 inbox every this many ticks (0: never)
    heartbeat: int = DEFAULT_HEARTBEAT  # ticks without transactions after which a post goes anyway (0: never)
    data_availability: str = "auto"  # where posts put the batch data: auto, blobs or calldata (svs.l1.batcher)
    inbox: InboxConfig = field(default_factory=InboxConfig)
    l1_confirmations: int = DEFAULT_CONFIRMATIONS  # L1 blocks on top of a deposit before it is minted
    checkpoint_every: float = 5.0  # seconds between rollup node checkpoints (0: never)
    hooks: TickHooks = NO_HOOKS  # fault injection (svs.pipeline.hooks, svs.testing.faults); production: none

    @property
    def ports(self) -> list[int]:
        return [self.first_port + i for i in range(self.rollups)]

    @property
    def ws_ports(self) -> list[int]:
        if self.ws_first_port == 0:
            return [0] * self.rollups
        first = self.first_port + WS_PORT_OFFSET if self.ws_first_port is None else self.ws_first_port
        return [first + i for i in range(self.rollups)]


class Service:
    def __init__(self, options: ServiceOptions):
        self.options = options
        self.nodes: list[Node] = []
        self.sequencer: Sequencer | None = None
        self.servers: list[IngressServer] = []
        self.sockets: list[SocketServer] = []  # the WebSocket endpoints (eth_subscribe), one per rollup
        self.deployment: dict = {}
        self.checkpointer: Checkpointer | None = None
        self._stop = threading.Event()
        self.stop_requested = False

    # --- setup -----------------------------------------------------------------------------

    def start(self) -> Sequencer:
        """Nodes, deployment, sequencer (with recovery), ingress: everything but the clock."""
        self.bring_up_nodes()
        self.deploy()
        sequencer = self.start_sequencer()
        self.start_ingress()
        return sequencer

    def bring_up_nodes(self) -> None:
        opts = self.options
        opts.state_dir.mkdir(parents=True, exist_ok=True)
        if opts.nodes:
            self.nodes = [_given_node(url, i) for i, url in enumerate(opts.nodes)]
        elif (recorded := load_nodes(opts.state_dir)) and any(_answers(n) for n in recorded):
            self.nodes = recorded
            self.revive_nodes()
            self.nodes = _reattach(self.nodes)
            log.info("re-attached to %d nodes from %s", len(self.nodes), opts.state_dir / "nodes.json")
        else:
            _set_aside_journal(opts.state_dir)
            try:
                start_nodes(opts.state_dir / "logs", opts.l1_port, [p + NODE_PORT_OFFSET for p in opts.ports], self.nodes)
            finally:
                save_nodes(opts.state_dir, self.nodes)  # those that started, for a restart or a stop
        rollups = [n for n in self.nodes if n.role == "rollup"]
        if len(rollups) != opts.rollups:
            raise ChainError(f"expected {opts.rollups} rollups, found {len(rollups)} "
                             f"({', '.join(str(n.chain_id) for n in rollups)}); match --rollups to the nodes")

    def deploy(self) -> dict:
        """Deploy (or find) the suite on every rollup, then make the sequencer the only block
        producer (automine off)."""
        record = deploy_suite(self.nodes, self.options.inbox)
        record.write(self.options.state_dir / "deployment.json")
        self.deployment = record.record
        return self.deployment

    def start_sequencer(self) -> Sequencer:
        deployment = Deployment(self.deployment)
        config = SequencerConfig(state_dir=self.options.state_dir, max_block_txs=self.options.max_block_txs,
                                 rollups=deployment.rollups, l1=L1Legs.of(deployment, self.options.l1_confirmations))
        self.sequencer = Sequencer(config, accounts.sequencer(), self.options.hooks)
        self.sequencer.start()
        if not self.options.nodes:
            self.checkpointer = Checkpointer(self.options.state_dir, self.nodes, self.options.checkpoint_every)
            self.checkpointer.start()
        if self.options.batch_every > 0:
            self.sequencer.batcher = self._make_batcher()
        return self.sequencer

    def _make_batcher(self) -> Batcher:
        """The batcher for the deployed inbox; in optimistic mode, top up the bond first."""
        l1 = Deployment(self.deployment).l1
        inbox = InboxClient(l1.rpc, l1["BatchInbox"], accounts.sequencer(), owns_account=True)
        if inbox.optimistic() and inbox.bond() < self.options.inbox.bond:
            inbox.post_bond(self.options.inbox.bond - inbox.bond())
            log.info("posted a bond of %d wei to the optimistic inbox", self.options.inbox.bond)
        heartbeat = f"at least every {self.options.heartbeat}" if self.options.heartbeat else "never without transactions"
        log.info("posting batches to the %s L1 inbox %s every %d tick(s) with transactions, %s tick(s)",
                 "optimistic" if inbox.optimistic() else "strict", inbox.address, self.options.batch_every, heartbeat)
        batcher = Batcher(inbox, self.sequencer.chains, self.options.batch_every, hooks=self.sequencer.hooks,
                          heartbeat=self.options.heartbeat, data_availability=self.options.data_availability)
        log.info("batch data goes to L1 in %s", "EIP-4844 blobs (calldata when a post needs more than fits)"
                 if batcher.in_blobs else "calldata")
        return batcher

    def start_ingress(self) -> None:
        for chain_id, port, ws_port in zip(sorted(self.sequencer.chains), self.options.ports, self.options.ws_ports):
            ingress = Ingress(self.sequencer, chain_id, self.deployment)
            self.servers.append(IngressServer(ingress, "127.0.0.1", port).start())
            self.sockets.append(SocketServer(ingress, "127.0.0.1", ws_port).start())
            log.info("ingress for chain %d on %s and %s", chain_id, self.servers[-1].url, self.sockets[-1].url)

    # --- running ---------------------------------------------------------------------------

    def run_clock(self) -> None:
        """Tick every block_time seconds (0: back to back, skipping empty ticks) until stopped."""
        block_time = self.options.block_time
        self.sequencer.post_in_background()  # waiting for L1 must not pause the ticks
        next_at = time.monotonic()
        while not self._stop.is_set():
            if block_time > 0:
                self._stop.wait(max(0.0, next_at - time.monotonic()))
                if self._stop.is_set():
                    break
                next_at = max(next_at + block_time, time.monotonic())
            if self.sequencer.poster is not None:
                self.sequencer.poster.wait_while_behind(self._stop)  # L1's capacity bounds the backlog
                if self._stop.is_set():
                    break
            try:
                report = self.sequencer.tick(allow_empty=block_time > 0)
            except NodesUnavailable as err:
                log.warning("%s; waiting for the nodes", err)
                try:
                    self.revive_nodes()
                except Exception:  # reviving is best effort: the next tick asks again
                    log.exception("restarting a dead node failed")
                self._stop.wait(0.5)
                continue
            except Halted as err:
                log.critical("no more blocks will be produced: %s (ingress keeps answering reads; Ctrl-C to stop)", err)
                self._stop.wait()
                break
            except TickAbandoned as err:
                log.warning("%s; building on", err)
                continue
            except Exception:  # a bug must not stop the clock, let alone the nodes
                log.exception("unexpected error in a tick; building on")
                self._stop.wait(min(1.0, block_time or 0.1))
                continue
            self._checkpoint_if_due()
            if report is None:
                self._stop.wait(0.005)
                continue
            log.info(report.line())
            for tx_hash, reason in report.excluded.items():
                log.info("    excluded %s: %s", tx_hash, reason)

    def _checkpoint_if_due(self) -> None:
        if self.checkpointer is None or not self.checkpointer.due():
            return
        try:
            self.checkpointer.take()
        except (ChainError, OSError) as err:  # a node that died is noticed by the next tick
            log.warning("node checkpoint failed: %s", err)

    def revive_nodes(self) -> None:
        """Start every rollup node this service started that has died again, on its port, from
        its last checkpoint; nodes.json then records the new process."""
        for index, node in enumerate(self.nodes):
            if node.role != "rollup" or node.pid is None or not process_gone(node.pid):
                continue
            path = checkpoint_path(self.options.state_dir, node.chain_id)
            if not path.exists():
                log.error("rollup node %d died and has no checkpoint at %s; it cannot be restarted", node.chain_id, path)
                continue
            log.warning("rollup node %d (pid %d) died; starting it again from %s", node.chain_id, node.pid, path)
            try:
                self.nodes[index] = restart_anvil(node, self.options.state_dir / "logs", path)
            except ChainError as err:
                log.error("restarting rollup node %d failed: %s", node.chain_id, err)
                continue
            save_nodes(self.options.state_dir, self.nodes)
            if self.sequencer is not None and self.sequencer.batcher is not None:
                self.sequencer.batcher.find_earliest_ends()  # the node has no state before its checkpoint

    def stop(self) -> None:
        """Stop the clock on request (Ctrl-C, SIGTERM, --exit): the only way the nodes this
        service started are stopped with it."""
        self.stop_requested = True
        self._stop.set()

    def shutdown(self, stop_nodes: bool = True) -> None:
        for server in [*self.servers, *self.sockets]:
            server.stop()
        if self.sequencer is not None:
            self.sequencer.close()
        if stop_nodes and not self.options.nodes:
            for node in self.nodes:
                stop(node)
            (self.options.state_dir / "nodes.json").unlink(missing_ok=True)


def _answers(node: Node) -> bool:
    try:
        rpc_call(node.rpc_url, "eth_chainId", timeout=2.0)
        return True
    except ChainError:
        return False


def _set_aside_journal(state_dir: Path) -> None:
    """New nodes mean new chains: an old journal describes chains that are gone."""
    journal = state_dir / "journal.sqlite"
    if journal.exists():
        kept = state_dir / f"journal-{int(time.time())}.sqlite"
        journal.rename(kept)
        for suffix in ("-wal", "-shm"):
            Path(f"{journal}{suffix}").unlink(missing_ok=True)
        log.info("starting new chains; the previous journal is kept as %s", kept)
    checkpoints = state_dir / CHECKPOINTS
    if checkpoints.exists():
        checkpoints.rename(state_dir / f"{CHECKPOINTS}-{int(time.time())}")


def _given_node(url: str, index: int) -> Node:
    chain_id = int(rpc_call(url, "eth_chainId"), 16)
    role = "l1" if chain_id == L1_CHAIN_ID or index == 0 else "rollup"
    return Node(chain_id, url, role)


def _reattach(recorded: list[Node]) -> list[Node]:
    alive = []
    for node in recorded:
        try:
            answered = int(rpc_call(node.rpc_url, "eth_chainId", timeout=2.0), 16)
        except ChainError as err:
            raise ChainError(f"node for chain {node.chain_id} recorded in nodes.json does not answer ({err}); "
                             "refusing to build on a partial set of chains. Restart it, or use a new --state-dir") from err
        if answered != node.chain_id:
            raise ChainError(f"{node.rpc_url} is now chain {answered}, nodes.json says {node.chain_id}")
        alive.append(node)
    return alive


def install_signal_handlers(service: Service) -> None:
    def handler(signum, frame):
        log.info("signal %d: stopping", signum)
        service.stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)

