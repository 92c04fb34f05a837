"""`ape run inbox_gas`: gas of the L1 inbox (strict submits by batch size, optimistic submit,
challenge), measured on fresh local anvil chains with N rollups. Prints the README's inbox gas
table."""

import tempfile
from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.measure.inbox_gas import STRICT_SIZES, format_comparison, format_table, measure
from svs.run.logs import configure


def _sizes(ctx, param, value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of integers") from None
    if not sizes or sizes[0] != 0 or any(not 0 <= x <= 2000 for x in sizes):
        raise click.BadParameter("the first size must be 0 (the baseline) and every size 0..2000")
    return sizes


@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--rollups", default=2, show_default=True, type=click.IntRange(2, 16),
              help="Number of rollups (the system contracts take at most 15 counterparts).")
@click.option("--sizes", default=",".join(map(str, STRICT_SIZES)), show_default=True, callback=_sizes,
              help="Transfers each way in the strict rows, comma-separated; the first must be 0 (the baseline).")
def cli(cli_ctx, rollups: int, sizes: tuple[int, ...]) -> None:
    """Measure the inbox's gas on a fresh local L1 and N rollups."""
    configure(cli_ctx.logger.level, timestamps=False)
    with tempfile.TemporaryDirectory(prefix="svs-inbox-gas-") as state_dir:
        rows = measure(Path(state_dir), rollups, sizes, progress=lambda m: click.echo(m, err=True))
    click.echo(f"{rollups} rollups")
    click.echo(format_table(rows))
    click.echo()
    click.echo("calldata against blobs, per transfer")
    click.echo(format_comparison(rows))
