"""`ape run sequencer`: start L1 and rollups on anvil, deploy the suite, print the deployment."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import click

from svs.chains import ChainError, stop
from svs.deploy import DeploymentError
from svs.localnet import deploy_local, start_local_network


@click.command()
@click.option("--rollups", default=2, show_default=True, type=click.IntRange(min=2, max=16),
              help="Number of rollups (chains 901, 902, ...); every pair is connected.")
@click.option("--l1-port", default=8545, show_default=True, type=click.IntRange(1, 65535), help="L1 (chain 900) port.")
@click.option("--port", "first_port", default=9545, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the first rollup; rollup i listens on port + i.")
@click.option("--state-dir", default=".sequencer", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where deployment.json, nodes.json and logs go.")
@click.option("--exit", "exit_after", is_flag=True, help="Stop the chains and exit once deployed.")
def cli(rollups: int, l1_port: int, first_port: int, state_dir: Path, exit_after: bool) -> None:
    """Start local chains, deploy the contract suite on every rollup and print the deployment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    ports = [first_port + i for i in range(rollups)]
    if l1_port in ports:
        raise click.BadParameter(f"L1 port {l1_port} collides with rollup ports {ports}", param_hint="--l1-port")
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        nodes = start_local_network(state_dir, rollups, l1_port, ports, automine_rollups=True)
    except ChainError as err:
        raise click.ClickException(str(err)) from err
    try:
        deployments = deploy_local(nodes, state_dir)
        for d in deployments:
            click.echo(f"chain {d.chain_id} ({d.role}) {d.rpc_url}")
            for name, address in d.contracts.items():
                click.echo(f"    {name:<24} {address}")
        click.echo(f"deployment record: {state_dir / 'deployment.json'}")
        if not exit_after:
            click.echo("chains are running; Ctrl-C stops them")
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
            while True:
                time.sleep(1)
    except (DeploymentError, ChainError) as err:
        raise click.ClickException(str(err)) from err
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        for node in nodes:
            stop(node)
