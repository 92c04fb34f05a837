"""`ape run sequencer`: the shared sequencer.

``ape run sequencer local`` starts L1 (chain 900, :8545) and rollups 901, 902, ... on anvil with
automine off, deploys the suite, serves each rollup's JSON-RPC ingress on :9545, :9546, ..., runs
the demo and keeps building blocks until Ctrl-C. ``ape run sequencer attach RECORD`` relays for a
deployment on public testnets (svs.run.attach). Both honour ape's ``-v/--verbosity``.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.deploy.suite import DEFAULT_DEPOSIT_WINDOW, DeploymentError, InboxConfig
from svs.l1.batcher import DATA_AVAILABILITY, DEFAULT_HEARTBEAT
from svs.l1.deposits import DEFAULT_ATTACH_CONFIRMATIONS, DEFAULT_CONFIRMATIONS
from svs.node.chains import ChainError
from svs.pipeline.recovery import RecoveryError
from svs.pipeline.hooks import CRASH_POINTS, NO_HOOKS
from svs.run.logs import configure
from svs.run.service import Service, ServiceOptions, install_signal_handlers
from svs.testing.faults import KillAt


def _urls(ctx, param, value: str | None) -> list[str]:
    if not value:
        return []
    urls = [u.strip() for u in value.split(",") if u.strip()]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{url!r} is not an http(s) URL")
    if len(urls) < 3:
        raise click.BadParameter("give the L1 URL first, then at least two rollup URLs")
    return urls


@click.group()
def cli():
    """The shared sequencer: `local` builds the blocks of local anvil rollups, `attach` relays for a
    deployment on nodes it does not control."""


@cli.command()
@click.option("--rollups", default=2, show_default=True, type=click.IntRange(min=2, max=16),
              help="Number of rollups (chains 901, 902, ...); every pair is connected.")
@click.option("--block-time", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between ticks; 0 builds continuously (skipping empty ticks).")
@click.option("--l1-port", default=8545, show_default=True, type=click.IntRange(1, 65535), help="L1 (chain 900) port.")
@click.option("--port", "first_port", default=9545, show_default=True, type=click.IntRange(1, 55535),
              help="Ingress port of the first rollup; rollup i on port + i, its node on port + i + 10000.")
@click.option("--ws-port", "ws_first_port", default=None, type=click.IntRange(1, 65535),
              help="WebSocket port (eth_subscribe) of the first rollup; rollup i on ws-port + i.  [default: port + 100]")
@click.option("--state-dir", default=".sequencer", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Journal, deployment.json, nodes.json, node checkpoints and logs.")
@click.option("--nodes", callback=_urls,
              help="Comma-separated anvil node URLs (L1 first) to build on instead of starting anvil.")
@click.option("--max-block-txs", default=1000, show_default=True, type=click.IntRange(min=1),
              help="User transactions per rollup per tick at most.")
@click.option("--batch-every", default=4, show_default=True, type=click.IntRange(min=0),
              help="Post every rollup's batch to the L1 inbox every this many ticks, when their blocks have "
                   "transactions (0: never).")
@click.option("--heartbeat", default=DEFAULT_HEARTBEAT, show_default=True, type=click.IntRange(min=0),
              help="Post even without transactions once this many ticks passed since the last post, so L1 "
                   "sees the rollups advance (0: only post blocks with transactions).")
@click.option("--data-availability", type=click.Choice(DATA_AVAILABILITY), default="auto", show_default=True,
              help="Where L1 posts put the batch data: EIP-4844 blobs, calldata, or auto (blobs if L1 takes "
                   "them). A post that needs more blobs than one transaction carries goes in calldata.")
@click.option("--l1-mode", type=click.Choice(["strict", "optimistic"]), default="strict", show_default=True,
              help="strict: the inbox checks storage proofs on every batch; optimistic: bond + challenges.")
@click.option("--bond", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Optimistic mode: the sequencer's bond, in ether.")
@click.option("--challenge-window", default=60, show_default=True, type=click.IntRange(min=1),
              help="Optimistic mode: seconds during which a batch can be challenged.")
@click.option("--deposit-window", default=DEFAULT_DEPOSIT_WINDOW, show_default=True, type=click.IntRange(min=1),
              help="L1 blocks within which the inbox requires every deposit to be minted (forced inclusion).")
@click.option("--l1-confirmations", default=DEFAULT_CONFIRMATIONS, show_default=True, type=click.IntRange(min=0),
              help="L1 blocks on top of a deposit's block before the sequencer mints it (anvil: no reorgs).")
@click.option("--checkpoint-every", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between checkpoints of the rollup nodes' state (0: never); a rollup node that "
                   "dies is started again from its checkpoint and given the blocks it lost from the journal.")
@click.option("--demo/--no-demo", default=True, show_default=True, help="Run the demo once the sequencer is up.")
@click.option("--exit", "exit_after_demo", is_flag=True, help="Exit after the demo instead of serving until Ctrl-C.")
@click.option("--crash-at", type=click.Choice(CRASH_POINTS), hidden=True,
              help="Fault injection for the crash tests: kill -9 this process at that phase of a tick.")
@ape_cli_context()
def local(cli_ctx, rollups, block_time, l1_port, first_port, ws_first_port, state_dir, nodes, max_block_txs, batch_every, heartbeat,
          data_availability, l1_mode, bond, challenge_window, deposit_window, l1_confirmations, checkpoint_every, demo, exit_after_demo, crash_at):
    """Run the shared sequencer on local anvil chains (started here, or --nodes)."""
    configure(cli_ctx.logger.level)
    ports = [first_port + i for i in range(rollups)]
    if l1_port in ports:
        raise click.BadParameter(f"L1 port {l1_port} collides with ingress ports {ports}", param_hint="--l1-port")
    if nodes and len(nodes) != rollups + 1:
        raise click.BadParameter(f"--nodes gave {len(nodes) - 1} rollup URLs for --rollups {rollups}")
    inbox = (InboxConfig(optimistic=True, bond=int(bond * 10**18), challenge_window=challenge_window,
                         deposit_window=deposit_window)
             if l1_mode == "optimistic" else InboxConfig(deposit_window=deposit_window))
    options = ServiceOptions(rollups=rollups, block_time=block_time, l1_port=l1_port, first_port=first_port,
                             ws_first_port=ws_first_port, state_dir=state_dir, nodes=nodes, max_block_txs=max_block_txs, demo=demo,
                             exit_after_demo=exit_after_demo, batch_every=batch_every, heartbeat=heartbeat, inbox=inbox,
                             data_availability=data_availability,
                             checkpoint_every=checkpoint_every, l1_confirmations=l1_confirmations, hooks=KillAt(crash_at) if crash_at else NO_HOOKS)
    if {l1_port, *ports} & set(options.ws_ports):
        raise click.BadParameter(f"WebSocket ports {options.ws_ports} collide with the L1 or ingress ports",
                                 param_hint="--ws-port")
    service = Service(options)
    install_signal_handlers(service)
    try:
        service.start()
        if demo:
            urls = {chain_id: s.url for chain_id, s in zip(sorted(service.sequencer.chains), service.servers)}
            threading.Thread(target=_demo, args=(service, urls, exit_after_demo), daemon=True).start()
        click.echo(f"sequencer up: ingress {', '.join(s.url for s in service.servers)}; "
                   f"subscriptions {', '.join(s.url for s in service.sockets)}; Ctrl-C stops")
        service.run_clock()
    except (ChainError, DeploymentError, RecoveryError) as err:
        raise click.ClickException(str(err)) from err
    finally:
        # Only a requested stop stops the nodes. After an unexpected error they keep running
        # (nodes.json records them) and a restart with the same --state-dir carries on.
        service.shutdown(stop_nodes=service.stop_requested)
        if not service.stop_requested and service.nodes:
            click.echo(f"sequencer stopped unexpectedly; the nodes keep running (see {state_dir / 'nodes.json'}); "
                       "start again with the same --state-dir to carry on", err=True)


@cli.command()
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--port", "first_port", default=9545, show_default=True, type=click.IntRange(1, 55535),
              help="Ingress port of the first rollup; rollup i on port + i.")
@click.option("--poll-interval", default=2.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between scans of the rollups.")
@click.option("--batch-every", default=4, show_default=True, type=click.IntRange(min=0),
              help="Post to the L1 inbox every this many polls (0: never).")
@click.option("--l1-confirmations", default=DEFAULT_ATTACH_CONFIRMATIONS, show_default=True,
              type=click.IntRange(min=0), help="L1 blocks on top of a deposit before it is minted.")
@click.option("--data-availability", type=click.Choice(DATA_AVAILABILITY), default="calldata", show_default=True,
              help="Where L1 posts put the batch data: EIP-4844 blobs, calldata, or auto (blobs if L1 takes them). "
                   "Blobs are read back by `ape run verify` from a beacon node, by slot.")
@ape_cli_context()
def attach(cli_ctx, record, first_port, poll_interval, batch_every, l1_confirmations, data_availability):
    """Relay for the deployment in RECORD (ape run deploy) on nodes this sequencer does not
    control; needs SVS_SEQUENCER_KEY. See README."""
    configure(cli_ctx.logger.level)
    _attach(record, first_port, poll_interval, batch_every, l1_confirmations, data_availability)


def _attach(record_path: Path, first_port: int, interval: float, post_every: int, l1_confirmations: int,
            data_availability: str) -> None:
    """Attach mode (svs.run.attach): no block production, relaying only."""
    import json
    import os
    import signal

    from eth_account import Account

    from svs.run.attach import AttachError, Relayer, serve

    key = os.environ.get("SVS_SEQUENCER_KEY")
    if not key:
        raise click.UsageError("attach mode signs mints and actions: set SVS_SEQUENCER_KEY to the private key of "
                               "the sequencer the deployment names")
    try:
        relayer = Relayer(json.loads(record_path.read_text()), Account.from_key(key), l1_confirmations=l1_confirmations,
                          data_availability=data_availability)
    except (AttachError, ValueError, KeyError) as err:
        raise click.ClickException(f"{record_path}: {err}") from err
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"attach mode: relaying for {len(relayer.rollups)} rollups; Ctrl-C stops")
    serve(relayer, first_port, interval, post_every, stop)


def _demo(service: Service, urls: dict[int, str], exit_after: bool) -> None:
    from svs.run.demo import run_demo

    try:
        click.echo(run_demo(urls, service.deployment))
        click.echo(_first_l1_batch(service))
    except Exception as err:  # the demo must not take the sequencer down
        logging.getLogger("svs.run.demo").exception("demo failed: %s", err)
    if exit_after:
        service.stop()


def _first_l1_batch(service: Service, timeout: float = 60.0) -> str:
    """Wait for the batcher's first post after the demo and describe it."""
    sequencer = service.sequencer
    if sequencer.batcher is None:
        return "L1: batch posting is off (--batch-every 0)"
    deadline = time.monotonic() + timeout
    while sequencer.last_batch is None and time.monotonic() < deadline and not sequencer.halted:
        time.sleep(0.2)
    batch = sequencer.last_batch
    if batch is None:
        return "L1: no batch posted yet"
    spans = ", ".join(f"{c}:{r['firstBlock']}-{r['lastBlock']}" for c, r in batch["ranges"].items())
    if not batch["ok"]:
        return f"L1: batch post FAILED for {spans}: {batch['error']}"
    return f"L1: batch #{batch['batchIndex']} accepted by the inbox ({spans}; {batch['gasUsed']:,} gas)"
