"""`ape run inbox_gas`: gas of the L1 inbox (strict submits by batch size, optimistic submit,
challenge), measured on fresh local anvil chains. Prints the README's inbox gas table."""

import tempfile
from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.measure.inbox_gas import format_table, measure
from svs.run.logs import configure


@click.command()
@ape_cli_context(default_log_level="WARNING")
def cli(cli_ctx) -> None:
    """Measure the inbox's gas on a fresh local L1 and two rollups."""
    configure(cli_ctx.logger.level, timestamps=False)
    with tempfile.TemporaryDirectory(prefix="svs-inbox-gas-") as state_dir:
        rows = measure(Path(state_dir), progress=lambda m: click.echo(m, err=True))
    click.echo(format_table(rows))
