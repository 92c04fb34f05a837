"""`ape run bench`: atomic transfers per second and latency, against a raw ceiling.

Prints a table of medians (and, with --sweep, draws throughput against block size).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.measure.bench import BenchConfig, measure, measure_paced_latency, measure_poison, plot_sweep
from svs.run.logs import configure


@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--transfers", default=10_000, show_default=True, type=click.IntRange(min=100),
              help="Transfers per run (half each way).")
@click.option("--block-size", default=500, show_default=True, type=click.IntRange(min=1),
              help="User transactions per rollup per tick (and per raw block).")
@click.option("--senders", default=200, show_default=True, type=click.IntRange(min=1), help="Distinct accounts.")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(min=1), help="Runs per figure (median).")
@click.option("--latency-rate", default=400.0, show_default=True, type=click.FloatRange(min=1),
              help="Offered transfers/s in the paced latency run (block time 1 s).")
@click.option("--sweep", "sweep", default="", help="Comma-separated block sizes to plot, e.g. 100,250,500,1000.")
@click.option("--sweep-transfers", default=4_000, show_default=True, type=click.IntRange(min=100))
@click.option("--poison", "poison", default="",
              help="Comma-separated k, e.g. 0,10,100: honest throughput with k failing triggers per tick.")
@click.option("--poison-transfers", default=4_000, show_default=True, type=click.IntRange(min=100))
@click.option("--main/--no-main", "run_main", default=True, show_default=True,
              help="Measure the main table (raw ceiling, sequencer, latencies).")
@click.option("--latency-seconds", default=8.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Length of the paced latency run.")
@click.option("--plot", "plot_path", default="docs/throughput.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def cli(cli_ctx, transfers, block_size, senders, repeat, latency_rate, sweep, sweep_transfers, poison, poison_transfers,
        run_main, latency_seconds, plot_path):
    """Measure the sequencer against the raw anvil ceiling."""
    configure(cli_ctx.logger.level, timestamps=False)
    config = BenchConfig(transfers=transfers, block_size=block_size, senders=senders, repeat=repeat,
                         latency_rate=latency_rate, latency_seconds=latency_seconds)
    progress = lambda msg: click.echo(f"  {msg}", err=True)  # noqa: E731
    if run_main:
        _main_table(config, progress)
    if poison:
        ks = _numbers(poison, "--poison")
        click.echo(f"\nmeasuring the poison load: {poison_transfers:,} honest transfers, k = {ks} ...", err=True)
        rows = measure_poison(config, block_size, poison_transfers, ks, progress)
        click.echo()
        click.echo(f"| failing triggers per tick (k) | honest transfers/s | ratio to k={ks[0]} | failing triggers excluded per tick (mean) |")
        click.echo("|---:|---:|---:|---:|")
        for r in rows:
            click.echo(f"| {r['k']} | {r['rate']:,.0f} | {r['ratio']:.2f} | {r['excluded_per_tick']:.0f} |")
    if sweep:
        _sweep(config, _numbers(sweep, "--sweep"), sweep_transfers, plot_path, progress)


def _numbers(text: str, option: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}", param_hint=option) from None


def _main_table(config: BenchConfig, progress) -> None:
    transfers, block_size = config.transfers, config.block_size
    repeat = config.repeat
    click.echo(f"measuring {transfers:,} transfers x {repeat} runs at block size {block_size} ...", err=True)
    main = measure(config, block_size, transfers, repeat, progress)
    paced = measure_paced_latency(config, block_size, progress)
    click.echo()
    click.echo("| measure | median |")
    click.echo("|---|---:|")
    click.echo(f"| (a) raw ceiling: burns + mints straight into both nodes at once, blocks of {block_size} | {main['raw']:,.0f} transfers/s |")
    click.echo(f"| (b) sequencer: atomic transfers through the ingress, {transfers:,} per run | {main['sequencer']:,.0f} transfers/s |")
    click.echo(f"| (c) ratio b/a | {main['sequencer'] / main['raw']:.2f} |")
    click.echo(f"| (d) latency p50 / p99, saturated (all {transfers:,} sent at once, block time 0) |"
               f" {main['p50'] * 1000:,.0f} / {main['p99'] * 1000:,.0f} ms |")
    click.echo(f"| (d) latency p50 / p99, {paced['rate']:.0f} transfers/s offered, block time {paced['block_time']:g} s |"
               f" {paced['p50'] * 1000:,.0f} / {paced['p99'] * 1000:,.0f} ms |")


def _sweep(config: BenchConfig, sizes: list[int], sweep_transfers: int, plot_path: Path, progress) -> None:
    rows = [measure(config, size, sweep_transfers, config.repeat, progress) for size in sizes]
    click.echo()
    click.echo("| block size | raw (a) | sequencer (b) | b/a |")
    click.echo("|---:|---:|---:|---:|")
    for r in rows:
        click.echo(f"| {r['block_size']} | {r['raw']:,.0f} | {r['sequencer']:,.0f} | {r['sequencer'] / r['raw']:.2f} |")
    plot_path.parent.mkdir(parents=True, exist_ok=True)
    plot_sweep(rows, plot_path)
    click.echo(f"\nplot: {plot_path}")
