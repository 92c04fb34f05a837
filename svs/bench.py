"""Throughput and latency of atomic transfers, against a raw ceiling measured in the same run.

- raw ceiling (a): the same burns, and the mints that match them, pushed straight into the anvil
  nodes and mined in blocks of the same size: no ingress, no admission, no trial execution, no
  journal, no self-check.
- sequencer (b): the burns pre-signed from many accounts and sent through the ingress (JSON-RPC
  batches over HTTP); the sequencer builds continuously (block time 0). A transfer counts when
  the tick holding both its legs is committed.
- latency: submit until both legs are included, in the run above (saturated) and in a paced run
  at the default block time.

Every figure is a median over ``repeat`` runs, each on fresh chains.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from svs import accounts
from svs.legs import BURN_SELECTOR, TransferLeg, destination_calldata
from svs.service import NODE_PORT_OFFSET, Service, ServiceOptions
from svs.ports import free_port_block
from svs.signer import LegacySigner

log = logging.getLogger(__name__)

GAS_PRICE = 3 * 10**9
BURN_GAS = 150_000
AMOUNT = 10**15


@dataclass
class BenchConfig:
    transfers: int = 10_000
    block_size: int = 500
    senders: int = 200
    batch: int = 250
    repeat: int = 3
    latency_block_time: float = 1.0
    latency_rate: float = 400.0  # transfers per second offered in the paced run
    latency_seconds: float = 8.0


@dataclass
class RunResult:
    transfers: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds


@dataclass
class Workload:
    """Signed burns (and, for the raw run, their mints) for two rollups."""

    burns: dict[int, list[tuple[bytes, str]]]  # chain -> [(raw, hash)] in submission order
    mints: dict[int, list[bytes]]  # chain -> raw mints for the burns that target it


def _sender_keys(count: int) -> list[bytes]:
    return [keccak(text=f"svs-bench-sender-{i}") for i in range(count)]


def fresh_system(state_dir: Path, block_size: int, block_time: float, sender_keys: list[bytes]) -> Service:
    base = free_port_block(3, offset=NODE_PORT_OFFSET)
    options = ServiceOptions(rollups=2, block_time=block_time, l1_port=base + 2, first_port=base, batch_every=0,
                             state_dir=state_dir, max_block_txs=block_size, demo=False)
    service = Service(options)
    service.bring_up_nodes()
    service.deploy()
    _fund(service, sender_keys)
    return service


def _fund(service: Service, sender_keys: list[bytes]) -> None:
    """Give each sender ETH and tokens on every rollup, before the sequencer takes over."""
    from svs.rpc import RpcClient

    holder = accounts.user(0)
    for chain_id, entry in service.deployment["chains"].items():
        if entry["role"] != "rollup":
            continue
        rpc = RpcClient(entry["rpc"])
        token = entry["contracts"]["BridgeableToken"]
        rpc.call("evm_setAutomine", True)
        addresses = [Account.from_key(k).address for k in sender_keys]
        rpc.batch_strict([("anvil_setBalance", [a, hex(10**22)]) for a in addresses])
        signer = LegacySigner(bytes(holder.key), int(chain_id))
        nonce = int(rpc.call("eth_getTransactionCount", holder.address, "latest"), 16)
        transfer = keccak(text="transfer(address,uint256)")[:4]
        raws = [signer.sign(nonce + i, GAS_PRICE, 100_000, bytes.fromhex(token[2:]), 0,
                            transfer + encode(["address", "uint256"], [a, 10**24]))[0] for i, a in enumerate(addresses)]
        rpc.batch_strict([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
        rpc.call("evm_setAutomine", False)


def build_workload(service: Service, sender_keys: list[bytes], transfers: int, with_mints: bool) -> Workload:
    """Half the transfers go 901 -> 902, half 902 -> 901; senders take turns."""
    chains = {int(c): e for c, e in service.deployment["chains"].items() if e["role"] == "rollup"}
    a, b = sorted(chains)
    recipient = accounts.user(1).address
    senders = [Account.from_key(k) for k in sender_keys]
    burns: dict[int, list[tuple[bytes, str]]] = {a: [], b: []}
    legs: dict[int, list[TransferLeg]] = {a: [], b: []}
    per_chain = transfers // 2
    for source, destination in ((a, b), (b, a)):
        contracts = chains[source]["contracts"]
        mint_burn, token = contracts["MintBurnSystemContract"], contracts["BridgeableToken"]
        data = BURN_SELECTOR + encode(["uint256", "address", "address", "uint256"], [destination, recipient, token, AMOUNT])
        signers = [LegacySigner(bytes(s.key), source) for s in senders]
        for i in range(per_chain):
            sender_index, nonce = i % len(senders), i // len(senders)
            burns[source].append(signers[sender_index].sign(nonce, GAS_PRICE, BURN_GAS, bytes.fromhex(mint_burn[2:]), 0, data))
            nonce_on_pair = i + 1  # leaf 0 of every tree is the genesis leaf
            legs[destination].append(TransferLeg(source, destination, nonce_on_pair, senders[sender_index].address,
                                                 recipient, token, AMOUNT))
    mints: dict[int, list[bytes]] = {a: [], b: []}
    if with_mints:
        sequencer = accounts.sequencer()
        for chain_id, chain_legs in legs.items():
            signer = LegacySigner(bytes(sequencer.key), chain_id)
            mint_burn = bytes.fromhex(chains[chain_id]["contracts"]["MintBurnSystemContract"][2:])
            mints[chain_id] = [signer.sign(n, GAS_PRICE, 200_000, mint_burn, 0, destination_calldata(leg))[0]
                               for n, leg in enumerate(chain_legs)]  # n: the sequencer's account nonce
    return Workload(burns, mints)


def run_raw(service: Service, workload: Workload, block_size: int) -> RunResult:
    """(a) Burns and matching mints straight into the nodes, mined in blocks of block_size burns."""
    from svs.rpc import RpcClient

    rpcs = {int(c): RpcClient(e["rpc"]) for c, e in service.deployment["chains"].items() if e["role"] == "rollup"}
    blocks = max(len(v) for v in workload.burns.values()) // block_size + 1
    started = time.perf_counter()
    for k in range(blocks):
        window = slice(k * block_size, (k + 1) * block_size)
        for chain_id, rpc in rpcs.items():
            raws = [r for r, _ in workload.burns[chain_id][window]] + workload.mints[chain_id][window]
            if raws:
                rpc.batch_strict([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
            rpc.call("evm_mine")
    seconds = time.perf_counter() - started
    _check_raw(service, rpcs, workload)
    return RunResult(sum(len(v) for v in workload.burns.values()), seconds)


def _check_raw(service, rpcs, workload) -> None:
    """Outside the timing: every burn and mint of the raw run really executed."""
    count_selector = {"burn": keccak(text="burnCount(uint256)")[:4], "mint": keccak(text="mintCount(uint256)")[:4]}
    for chain_id, rpc in rpcs.items():
        other = next(c for c in rpcs if c != chain_id)
        contract = service.deployment["chains"][str(chain_id)]["contracts"]["MintBurnSystemContract"]
        for kind, expected in (("burn", len(workload.burns[chain_id])), ("mint", len(workload.mints[chain_id]))):
            data = "0x" + (count_selector[kind] + encode(["uint256"], [other])).hex()
            got = int(rpc.call("eth_call", {"to": contract, "data": data}, "latest"), 16)
            if got != expected:
                raise RuntimeError(f"raw run: {kind}Count on {chain_id} is {got}, expected {expected}")


def run_sequencer(service: Service, workload: Workload, batch: int, pace: float | None = None) -> RunResult:
    """(b) Through the ingress. ``pace``: transfers per second to offer, None for all at once."""
    sequencer = service.start_sequencer()
    service.start_ingress()
    submitted: dict[str, float] = {}
    committed: dict[str, float] = {}
    expected = sum(len(v) for v in workload.burns.values())
    done = threading.Event()

    def on_commit(tick: int, plan: dict) -> None:
        now = time.perf_counter()
        for block in plan["blocks"].values():
            for entry in block["txs"]:
                if entry["origin"] == "user":
                    committed[entry["hash"]] = now
        if len(committed) >= expected:
            done.set()

    sequencer.commit_listeners.append(on_commit)
    clock = threading.Thread(target=service.run_clock, daemon=True)
    clock.start()
    urls = {chain_id: s.url for chain_id, s in zip(sorted(sequencer.chains), service.servers)}
    errors: list[str] = []

    def submit(chain_id: int) -> None:
        session = requests.Session()
        txs = workload.burns[chain_id]
        per_second = pace / len(urls) if pace else None
        start = time.perf_counter()
        for i in range(0, len(txs), batch):
            chunk = txs[i:i + batch]
            if per_second:
                wait = start + i / per_second - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            now = time.perf_counter()
            for _, tx_hash in chunk:
                submitted[tx_hash] = now
            body = [{"jsonrpc": "2.0", "id": j, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]}
                    for j, (raw, _) in enumerate(chunk)]
            for reply in session.post(urls[chain_id], json=body, timeout=120).json():
                if "error" in reply:
                    errors.append(reply["error"]["message"])

    senders = [threading.Thread(target=submit, args=(c,)) for c in urls]
    started = time.perf_counter()
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    if errors:
        service.stop()
        raise RuntimeError(f"{len(errors)} transactions rejected, first: {errors[0]}")
    if not done.wait(timeout=600):
        service.stop()
        raise RuntimeError(f"only {len(committed)} of {expected} transfers committed after 600 s")
    service.stop()
    clock.join()
    if sequencer.halted:
        raise RuntimeError(f"sequencer halted: {sequencer.halted}")
    last = max(committed.values())
    latencies = sorted(committed[h] - submitted[h] for h in committed)
    return RunResult(expected, last - started, latencies)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(config: BenchConfig, block_size: int, transfers: int, repeat: int,
            progress=lambda msg: None) -> dict:
    """Median raw rate, sequencer rate, and saturated latencies over ``repeat`` runs."""
    keys = _sender_keys(config.senders)
    raw_rates, seq_rates, p50s, p99s = [], [], [], []
    for run in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            service = fresh_system(Path(tmp) / "raw", block_size, 0, keys)
            try:
                workload = build_workload(service, keys, transfers, with_mints=True)
                raw = run_raw(service, workload, block_size)
            finally:
                service.shutdown()
            service = fresh_system(Path(tmp) / "seq", block_size, 0, keys)
            try:
                workload = build_workload(service, keys, transfers, with_mints=False)
                seq = run_sequencer(service, workload, config.batch)
            finally:
                service.shutdown()
        raw_rates.append(raw.rate)
        seq_rates.append(seq.rate)
        p50s.append(percentile(seq.latencies, 0.5))
        p99s.append(percentile(seq.latencies, 0.99))
        progress(f"block size {block_size}, run {run + 1}/{repeat}: raw {raw.rate:,.0f}/s, "
                 f"sequencer {seq.rate:,.0f}/s over {seq.transfers:,} transfers")
    return {"block_size": block_size, "transfers": transfers, "raw": statistics.median(raw_rates),
            "sequencer": statistics.median(seq_rates), "p50": statistics.median(p50s), "p99": statistics.median(p99s),
            "raw_runs": raw_rates, "sequencer_runs": seq_rates}


def measure_paced_latency(config: BenchConfig, block_size: int, progress=lambda msg: None) -> dict:
    """Latency at the default block time under a steady offered load."""
    keys = _sender_keys(config.senders)
    transfers = int(config.latency_rate * config.latency_seconds)
    p50s, p99s = [], []
    for run in range(config.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            service = fresh_system(Path(tmp) / "paced", block_size, config.latency_block_time, keys)
            try:
                workload = build_workload(service, keys, transfers, with_mints=False)
                result = run_sequencer(service, workload, batch=max(1, int(config.latency_rate / 40)),
                                       pace=config.latency_rate)
            finally:
                service.shutdown()
        p50s.append(percentile(result.latencies, 0.5))
        p99s.append(percentile(result.latencies, 0.99))
        progress(f"paced {config.latency_rate:.0f} transfers/s at block time {config.latency_block_time}s, "
                 f"run {run + 1}/{config.repeat}: p50 {p50s[-1] * 1000:.0f} ms, p99 {p99s[-1] * 1000:.0f} ms")
    return {"rate": config.latency_rate, "block_time": config.latency_block_time, "transfers": transfers,
            "p50": statistics.median(p50s), "p99": statistics.median(p99s)}


def plot_sweep(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["block_size"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(sizes, [r["raw"] for r in rows], "o-", label="raw ceiling (a): burns + mints straight into anvil")
    ax.plot(sizes, [r["sequencer"] for r in rows], "s-", label="sequencer (b): atomic transfers via ingress")
    for r in rows:
        ax.annotate(f"b/a {r['sequencer'] / r['raw']:.2f}", (r["block_size"], r["sequencer"]), textcoords="offset points",
                    xytext=(0, -14), ha="center", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("block size (user transactions per rollup per tick)")
    ax.set_ylabel("atomic transfers per second")
    ax.set_title("Throughput against block size (2 rollups, median of runs; labels: b/a)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
