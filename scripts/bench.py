"""`ape run bench`: atomic transfers per second and latency, against a raw ceiling.

Prints a table of medians (and, with --sweep, draws throughput against block size).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from svs.bench import BenchConfig, measure, measure_paced_latency, plot_sweep


@click.command()
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
@click.option("--plot", "plot_path", default="docs/throughput.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def cli(transfers, block_size, senders, repeat, latency_rate, sweep, sweep_transfers, plot_path):
    """Measure the sequencer against the raw anvil ceiling."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    config = BenchConfig(transfers=transfers, block_size=block_size, senders=senders, repeat=repeat,
                         latency_rate=latency_rate)
    progress = lambda msg: click.echo(f"  {msg}", err=True)  # noqa: E731
    click.echo(f"measuring {transfers:,} transfers x {repeat} runs at block size {block_size} ...", err=True)
    main = measure(config, block_size, transfers, repeat, progress)
    paced = measure_paced_latency(config, block_size, progress)
    click.echo()
    click.echo("| measure | median |")
    click.echo("|---|---:|")
    click.echo(f"| (a) raw ceiling: burns + mints straight into anvil, blocks of {block_size} | {main['raw']:,.0f} transfers/s |")
    click.echo(f"| (b) sequencer: atomic transfers through the ingress, {transfers:,} per run | {main['sequencer']:,.0f} transfers/s |")
    click.echo(f"| (c) ratio b/a | {main['sequencer'] / main['raw']:.2f} |")
    click.echo(f"| (d) latency p50 / p99, saturated (all {transfers:,} sent at once, block time 0) |"
               f" {main['p50'] * 1000:,.0f} / {main['p99'] * 1000:,.0f} ms |")
    click.echo(f"| (d) latency p50 / p99, {paced['rate']:.0f} transfers/s offered, block time {paced['block_time']:g} s |"
               f" {paced['p50'] * 1000:,.0f} / {paced['p99'] * 1000:,.0f} ms |")
    if sweep:
        sizes = [int(s) for s in sweep.split(",") if s.strip()]
        rows = [measure(config, size, sweep_transfers, repeat, progress) for size in sizes]
        click.echo()
        click.echo("| block size | raw (a) | sequencer (b) | b/a |")
        click.echo("|---:|---:|---:|---:|")
        for r in rows:
            click.echo(f"| {r['block_size']} | {r['raw']:,.0f} | {r['sequencer']:,.0f} | {r['sequencer'] / r['raw']:.2f} |")
        plot_path.parent.mkdir(parents=True, exist_ok=True)
        plot_sweep(rows, plot_path)
        click.echo(f"\nplot: {plot_path}")
