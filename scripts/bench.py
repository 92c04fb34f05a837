"""`ape run bench`: atomic transfers per second and latency, against a raw ceiling.

Prints markdown tables of medians: throughput against the raw ceiling (both nodes fed at once,
one after the other, and at once with each block simulated first), CPU per transfer of each
process, latency at the offered rates and block times asked for; with --poison, honest
throughput under failing triggers; with --profile, where the time goes per transfer (py-spy);
with --node-costs, what one anvil node's CPU spends per transaction on each kind of request;
with --sweep, throughput against block size (plot).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.measure.bench import BenchConfig, measure, measure_paced_latency, measure_poison, plot_sweep
from svs.measure.node_costs import cpu_bound, measure_node_costs, measure_python_floor
from svs.measure.profile import profile
from svs.run.logs import configure
from svs.run.progress import progress


@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--transfers", default=10_000, show_default=True, type=click.IntRange(min=100),
              help="Transfers per run (half each way).")
@click.option("--block-size", default=500, show_default=True, type=click.IntRange(min=1),
              help="User transactions per rollup per tick (and per raw block).")
@click.option("--senders", default=200, show_default=True, type=click.IntRange(min=1), help="Distinct accounts.")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(min=1), help="Runs per figure (median).")
@click.option("--latency-rates", default="400,1000", show_default=True,
              help="Comma-separated offered transfers/s of the paced latency runs.")
@click.option("--latency-block-times", default="1,0.25", show_default=True,
              help="Comma-separated block times (s) of the paced latency runs; every rate runs at each.")
@click.option("--latency-seconds", default=8.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Length of each paced latency run.")
@click.option("--sweep", "sweep", default="", help="Comma-separated block sizes to plot, e.g. 100,250,500,1000.")
@click.option("--sweep-transfers", default=4_000, show_default=True, type=click.IntRange(min=100))
@click.option("--poison", "poison", default="",
              help="Comma-separated k, e.g. 0,10,100: honest throughput with k failing triggers per tick.")
@click.option("--poison-transfers", default=4_000, show_default=True, type=click.IntRange(min=100))
@click.option("--profile", "profile_transfers", default=0, type=click.IntRange(min=0),
              help="Profile one saturated run of this many transfers with py-spy (pip install py-spy) and print "
                   "where the time goes per transfer (0: no profile).")
@click.option("--profile-dir", default="docs", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where --profile keeps py-spy's raw samples (profile-raw.txt.gz).")
@click.option("--node-costs", is_flag=True, default=False,
              help="Measure what one anvil node's CPU spends per transaction on each kind of request.")
@click.option("--main/--no-main", "run_main", default=True, show_default=True,
              help="Measure the main tables (ceilings, sequencer, CPU, latencies).")
@click.option("--plot", "plot_path", default="docs/throughput.png", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def cli(cli_ctx, transfers, block_size, senders, repeat, latency_rates, latency_block_times, latency_seconds, sweep,
        sweep_transfers, poison, poison_transfers, profile_transfers, profile_dir, node_costs, run_main, plot_path):
    """Measure the sequencer against the raw anvil ceiling."""
    configure(cli_ctx.logger.level, timestamps=False)
    config = BenchConfig(transfers=transfers, block_size=block_size, senders=senders, repeat=repeat,
                         latency_rates=tuple(_numbers(latency_rates, "--latency-rates", float)),
                         latency_block_times=tuple(_numbers(latency_block_times, "--latency-block-times", float)),
                         latency_seconds=latency_seconds)
    if run_main:
        _main_tables(config)
    if poison:
        _poison_table(config, _numbers(poison, "--poison", int), poison_transfers)
    if profile_transfers:
        _profile_table(profile_transfers, block_size, profile_dir)
    if node_costs:
        _node_costs_table()
    if sweep:
        _sweep(config, _numbers(sweep, "--sweep", int), sweep_transfers, plot_path)


def _numbers(text: str, option: str, kind=int) -> list:
    try:
        values = [kind(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}", param_hint=option) from None
    if not values or min(values) <= 0 and option != "--poison":
        raise click.BadParameter(f"expected positive numbers, got {text!r}", param_hint=option)
    return values


def _say(message: str) -> None:
    click.echo(f"  {message}", err=True)


def _main_tables(config: BenchConfig) -> None:
    transfers, block_size, repeat = config.transfers, config.block_size, config.repeat
    paced_runs = [(rate, bt) for bt in config.latency_block_times for rate in config.latency_rates]
    click.echo(f"measuring {transfers:,} transfers x {repeat} runs at block size {block_size}, then "
               f"{len(paced_runs)} paced latency runs ...", err=True)
    with progress("bench: ceilings and sequencer", total=repeat + len(paced_runs) * repeat) as advance:
        def step(message: str) -> None:
            _say(message)
            advance()
        main = measure(config, block_size, transfers, repeat, step)
        paced = [measure_paced_latency(config, block_size, rate, bt, step) for rate, bt in paced_runs]
    a, a_seq, a_sim, b = main["raw"], main["raw_sequential"], main["raw_simulated"], main["sequencer"]
    click.echo()
    click.echo("| measure | median |")
    click.echo("|---|---:|")
    click.echo(f"| (a) raw ceiling: burns + mints straight into both nodes at once, blocks of {block_size} | {a:,.0f} transfers/s |")
    click.echo(f"| (a') the same, one node after the other | {a_seq:,.0f} transfers/s |")
    click.echo(f"| (a'') the same at once, each block first simulated once with eth_simulateV1 | {a_sim:,.0f} transfers/s |")
    click.echo(f"| (b) sequencer: atomic transfers through the ingress, {transfers:,} per run | {b:,.0f} transfers/s |")
    click.echo(f"| (c) ratio b/a (the target) | {b / a:.2f} |")
    click.echo(f"| (c') ratio b/a' | {b / a_seq:.2f} |")
    click.echo(f"| (c'') ratio b/a'' (a''/a: {a_sim / a:.2f}) | {b / a_sim:.2f} |")
    totals = {run: sum(per.values()) for run, per in main["cpu"].items()}
    bound = cpu_bound(totals["sequencer"], a)
    click.echo(f"| (e) bound: b if the sequencer run's CPU per transfer, all processes ({totals['sequencer']:.2f} ms), "
               f"filled all {bound['cores']} cores | {bound['rate']:,.0f} transfers/s ({bound['ratio']:.2f} of a) |")
    click.echo(f"| (e') CPU per transfer that 0.6 of (a) allows on {bound['cores']} cores, every core busy | "
               f"{bound['allowed_ms']:.2f} ms |")
    click.echo(f"| (d) latency p50 / p99, saturated (all {transfers:,} sent at once, block time 0) |"
               f" {main['p50'] * 1000:,.0f} / {main['p99'] * 1000:,.0f} ms |")
    for row in paced:
        click.echo(f"| (d) latency p50 / p99, {row['rate']:,.0f} transfers/s offered, block time {row['block_time']:g} s |"
                   f" {row['p50'] * 1000:,.0f} / {row['p99'] * 1000:,.0f} ms |")
    click.echo()
    runs = ("raw", "raw_simulated", "sequencer")
    click.echo("| CPU per transfer (ms, median) | raw ceiling (a) | simulated first (a'') | sequencer (b) |")
    click.echo("|---|---:|---:|---:|")
    for name in main["cpu"]["sequencer"]:
        click.echo(f"| {name} | " + " | ".join(f"{main['cpu'][run].get(name, 0):.2f}" for run in runs) + " |")
    click.echo("| all processes | " + " | ".join(f"{totals[run]:.2f}" for run in runs) + " |")


def _node_costs_table() -> None:
    click.echo("\nmeasuring one anvil node's CPU per request: 1,000 signed transfers ...", err=True)
    with progress("bench: node costs"):
        rows = measure_node_costs()
    click.echo()
    click.echo("| request to one anvil node (1,000 transfers, batches of 32) | node CPU per transaction | wall per transaction |")
    click.echo("|---|---:|---:|")
    for r in rows:
        cpu = f"{r['cpu_us']:,.0f} us" if r["cpu_us"] >= r["resolution_us"] else f"< {r['resolution_us']:,.0f} us"
        click.echo(f"| {r['request']} | {cpu} | {r['wall_us']:,.0f} us |")
    click.echo()
    click.echo("| the sequencer's own cryptography, in Python (median of 5 x 1,000) | CPU per transaction |")
    click.echo("|---|---:|")
    for r in measure_python_floor():
        click.echo(f"| {r['work']} | {r['cpu_us']:,.0f} us |")


def _poison_table(config: BenchConfig, ks: list[int], poison_transfers: int) -> None:
    click.echo(f"\nmeasuring the poison load: {poison_transfers:,} honest transfers, k = {ks} ...", err=True)
    with progress("bench: poison load", total=len(ks) * config.repeat) as advance:
        def step(message: str) -> None:
            _say(message)
            advance()
        rows = measure_poison(config, config.block_size, poison_transfers, ks, step)
    click.echo()
    click.echo(f"| failing triggers per tick (k) | honest transfers/s | ratio to k={ks[0]} | failing triggers excluded per tick (mean) |")
    click.echo("|---:|---:|---:|---:|")
    for r in rows:
        click.echo(f"| {r['k']} | {r['rate']:,.0f} | {r['ratio']:.2f} | {r['excluded_per_tick']:.0f} |")


def _profile_table(transfers: int, block_size: int, out_dir: Path) -> None:
    click.echo(f"\nprofiling one saturated run of {transfers:,} transfers with py-spy ...", err=True)
    with progress("bench: profiling"):
        try:
            rows, run = profile(transfers, block_size, out_dir)
        except RuntimeError as err:
            raise click.ClickException(str(err)) from err
    click.echo()
    click.echo(f"Where the time goes ({run['transfers']:,} transfers at {run['rate']:,.0f}/s under py-spy; raw samples "
               f"in {out_dir / 'profile-raw.txt.gz'})")
    click.echo()
    click.echo("| phase | ms per transfer | share of the tick thread |")
    click.echo("|---|---:|---:|")
    for row in rows:
        share = f"{row['share']:.0%}" if row["share"] is not None else "(in parallel)"
        click.echo(f"| {row['phase']} | {row['ms_per_transfer']:.3f} | {share} |")


def _sweep(config: BenchConfig, sizes: list[int], sweep_transfers: int, plot_path: Path) -> None:
    with progress("bench: block size sweep", total=len(sizes) * config.repeat) as advance:
        def step(message: str) -> None:
            _say(message)
            advance()
        rows = [measure(config, size, sweep_transfers, config.repeat, step) for size in sizes]
    click.echo()
    click.echo("| block size | raw (a) | raw one after the other (a') | raw simulated first (a'') | sequencer (b) | b/a |")
    click.echo("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        click.echo(f"| {r['block_size']} | {r['raw']:,.0f} | {r['raw_sequential']:,.0f} | {r['raw_simulated']:,.0f} | "
                   f"{r['sequencer']:,.0f} | {r['sequencer'] / r['raw']:.2f} |")
    plot_path.parent.mkdir(parents=True, exist_ok=True)
    plot_sweep(rows, plot_path)
    click.echo(f"\nplot: {plot_path}")
