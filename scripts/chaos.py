"""`ape run chaos`: kill -9 the sequencer and its rollup nodes under load, then check everything.

See svs/testing/chaos.py for what is killed and what is checked. Exits 1 if any check failed.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.testing.chaos import ChaosOptions, run_chaos
from svs.run.logs import configure


@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--kills", default=100, show_default=True, type=click.IntRange(min=0),
              help="Times the sequencer is killed with SIGKILL and started again.")
@click.option("--node-kills", default=6, show_default=True, type=click.IntRange(min=0),
              help="Times a rollup node is killed with SIGKILL (half of them with the sequencer).")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the kill schedule.")
@click.option("--port", "first_port", default=19545, show_default=True, type=click.IntRange(1, 55000),
              help="First ingress port; L1 on port + 2, the nodes on port + 10000.")
@click.option("--state-dir", default=".chaos", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="The sequencer's state directory for the run (emptied first).")
def cli(cli_ctx, kills, node_kills, seed, first_port, state_dir):
    """Kill the sequencer and its nodes at random moments under load; check nothing was lost."""
    configure(cli_ctx.logger.level, timestamps=False)
    import shutil

    shutil.rmtree(state_dir, ignore_errors=True)
    options = ChaosOptions(sequencer_kills=kills, node_kills=node_kills, seed=seed, first_port=first_port,
                           state_dir=state_dir)
    click.echo(f"chaos run: {kills} sequencer kills, {node_kills} node kills, seed {seed}, state in {state_dir}")
    report = run_chaos(options, progress=click.echo)
    click.echo(report.table())
    if report.problems:
        raise SystemExit(1)
