"""Throughput and latency of atomic transfers, against a raw ceiling measured in the same run.

- raw ceiling (a): the same burns, and the mints that match them, pushed straight into the anvil
  nodes and mined in blocks of the same size: no ingress, no admission, no simulation, no
  journal, no self-check. Both nodes are fed at once, one thread each, as the sequencer feeds
  them; the figure the nodes reach fed one after the other is kept as a second column.
- sequencer (b): the burns pre-signed from many accounts and sent through the ingress (JSON-RPC
  batches over HTTP); the sequencer builds continuously (block time 0). A transfer counts when
  the tick holding both its legs is committed.
- CPU: the seconds each process (this one, each anvil node) spent on the CPU during a run, per
  transfer, from /proc: where a 2-core machine's time goes.
- latency: submit until both legs are committed, in the run above (saturated) and in paced runs
  at the offered rates and block times asked for.

Every figure is a median over ``repeat`` runs, each on fresh chains.
"""

from __future__ import annotations

import logging
import os
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

from svs.codec.legs import BURN_SELECTOR, TRIGGER_SELECTOR, TransferLeg, destination_calldata
from svs.codec.signer import LegacySigner
from svs.codec.transactions import decode_raw_transaction
from svs.deploy import accounts
from svs.deploy.record import Deployment
from svs.measure.node_costs import process_cpu_seconds
from svs.pipeline.limits import BLOCK_GAS_LIMIT
from svs.pipeline.plan import TickPlan
from svs.run.service import NODE_PORT_OFFSET, Service, ServiceOptions
from svs.testing.ports import free_port_block

log = logging.getLogger(__name__)

# The bench's users pay a fee cap far above the base fee: a saturated run fills every block, and
# EIP-1559 raises the base fee 12.5% per full block (x1,000 in ~60 blocks). At 3 gwei, transfers
# were deferred as underpriced once the fee passed their cap, which measured the fee market, not
# the sequencer.
GAS_PRICE = 10**12
BURN_GAS = 150_000
AMOUNT = 10**15
SIMULATED_CHUNK_GAS = 10**9  # a raw chunk (block size burns and mints) is simulated as one block
INCREMENT_SELECTOR = keccak(text="increment(uint256)")[:4]


@dataclass
class BenchConfig:
    transfers: int = 10_000
    block_size: int = 500
    senders: int = 200
    batch: int = 250
    repeat: int = 3
    latency_rates: tuple[float, ...] = (400.0, 1000.0)  # transfers per second offered in the paced runs
    latency_block_times: tuple[float, ...] = (1.0, 0.25)  # the default block time, and a short one
    latency_seconds: float = 8.0


@dataclass
class RunResult:
    transfers: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    poison_per_tick: list[int] = field(default_factory=list)  # failing triggers excluded per tick
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds during the run

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
    from svs.node.rpc import RpcClient

    holder = accounts.user(0)
    for chain_id, rollup in Deployment(service.deployment).rollups.items():
        rpc = RpcClient(rollup.rpc)
        token = rollup["BridgeableToken"]
        addresses = [Account.from_key(k).address for k in sender_keys]
        rpc.batch_strict([("anvil_setBalance", [a, hex(10**22)]) for a in addresses])
        signer = LegacySigner(bytes(holder.key), int(chain_id))
        nonce = int(rpc.call("eth_getTransactionCount", holder.address, "latest"), 16)
        transfer = keccak(text="transfer(address,uint256)")[:4]
        raws = [signer.sign(nonce + i, GAS_PRICE, 100_000, bytes.fromhex(token[2:]), 0,
                            transfer + encode(["address", "uint256"], [a, 10**24]))[0] for i, a in enumerate(addresses)]
        rpc.batch_strict([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
        # Mined here, not by automine: anvil's automine could still be mining the last of them
        # after evm_setAutomine(false) returned, and the sequencer, once started, halts on a
        # block it did not build ("another block producer is active").
        _mine_out(rpc, blocks=len(raws))


def _mine_out(rpc, blocks: int) -> None:
    """Mine until the pool is empty; at most ``blocks`` blocks."""
    for _ in range(blocks):
        if not _pool_size(rpc):
            return
        rpc.call("evm_mine")
    if _pool_size(rpc):
        raise RuntimeError(f"{rpc.url}: transactions still pending after {blocks} blocks")


def _pool_size(rpc) -> int:
    status = rpc.call("txpool_status")
    return int(status["pending"], 16) + int(status["queued"], 16)


def build_workload(service: Service, sender_keys: list[bytes], transfers: int, with_mints: bool) -> Workload:
    """Half the transfers go 901 -> 902, half 902 -> 901; senders take turns."""
    chains = Deployment(service.deployment).rollups
    a, b = sorted(chains)
    recipient = accounts.user(1).address
    senders = [Account.from_key(k) for k in sender_keys]
    burns: dict[int, list[tuple[bytes, str]]] = {a: [], b: []}
    legs: dict[int, list[TransferLeg]] = {a: [], b: []}
    per_chain = transfers // 2
    for source, destination in ((a, b), (b, a)):
        contracts = chains[source].contracts
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
            mint_burn = bytes.fromhex(chains[chain_id]["MintBurnSystemContract"][2:])
            mints[chain_id] = [signer.sign(n, GAS_PRICE, 200_000, mint_burn, 0, destination_calldata(leg))[0]
                               for n, leg in enumerate(chain_legs)]  # n: the sequencer's account nonce
    return Workload(burns, mints)


def run_raw(service: Service, workload: Workload, block_size: int, concurrent: bool = True,
            simulated: bool = False) -> RunResult:
    """(a) Burns and matching mints straight into the nodes, both rollups fed at once (one thread
    each, as the sequencer feeds them; ``concurrent=False``: one after the other), in blocks of at
    most ``block_size`` burns under the same block gas limit the sequencer builds with; what a
    block does not hold goes into the next. ``simulated``: each chunk is first simulated once
    with ``eth_simulateV1`` (validated, on the node's latest state), the least a sequencer that
    simulates before it executes adds to the nodes' work."""
    from svs.node.rpc import RpcClient

    rpcs = {c: RpcClient(r.rpc) for c, r in Deployment(service.deployment).rollups.items()}
    for rpc in rpcs.values():
        rpc.call("evm_setBlockGasLimit", hex(BLOCK_GAS_LIMIT))
    before = _raw_counts(service, rpcs)
    failures: list[BaseException] = []
    calls = {chain_id: _simulation_calls([r for r, _ in workload.burns[chain_id]], workload.mints[chain_id],
                                         block_size) for chain_id in rpcs} if simulated else {}

    def feed(chain_id: int, rpc: RpcClient) -> None:
        try:
            burns, mints = workload.burns[chain_id], workload.mints[chain_id]
            for k in range(0, max(len(burns), len(mints)), block_size):
                raws = [r for r, _ in burns[k:k + block_size]] + mints[k:k + block_size]
                if simulated:
                    _simulate_chunk(rpc, calls[chain_id][k // block_size])
                for result in rpc.send_in_order(raws):
                    if isinstance(result, Exception):
                        raise result
                rpc.call("evm_mine")
                # What the gas limit left over goes into the next blocks before the next chunk is
                # sent: the pool never holds more than one chunk (anvil's pool, left to grow to
                # thousands, lost transactions now and then), as the sequencer's never does.
                _mine_out(rpc, blocks=len(raws))
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            failures.append(err)

    threads = [threading.Thread(target=feed, args=item) for item in rpcs.items()]
    cpu = CpuClock(service)
    started = time.perf_counter()
    for t in threads:
        t.start()
        if not concurrent:
            t.join()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    used = cpu.used()
    if failures:
        raise RuntimeError(f"raw run failed: {failures[0]}") from failures[0]
    _check_raw(service, rpcs, workload, before)
    return RunResult(sum(len(v) for v in workload.burns.values()), seconds, cpu=used)


class CpuClock:
    """CPU seconds (user + system) of this process and of each rollup node since it was made."""

    def __init__(self, service: Service):
        self.pids = {f"anvil {n.chain_id}": n.pid for n in service.nodes if n.role == "rollup" and n.pid}
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        times = os.times()
        now = {"python (sequencer, clients)": times.user + times.system}
        for name, pid in self.pids.items():
            try:
                now[name] = process_cpu_seconds(pid)
            except (OSError, IndexError, ValueError):
                now[name] = 0.0
        return now

    def used(self) -> dict[str, float]:
        return {name: value - self.start.get(name, 0.0) for name, value in self._now().items()}


_COUNT_SELECTORS = {"burn": keccak(text="burnCount(uint256)")[:4], "mint": keccak(text="mintCount(uint256)")[:4]}


def _simulation_calls(burns: list[bytes], mints: list[bytes], block_size: int) -> list[list[dict]]:
    """eth_simulateV1 calls for each chunk run_raw sends, built before the clock starts."""
    def call(raw: bytes) -> dict:
        tx = decode_raw_transaction(raw)
        return {"from": tx.sender, "to": tx.to, "data": "0x" + tx.data.hex(), "gas": hex(tx.gas),
                "gasPrice": hex(tx.max_fee_per_gas), "nonce": hex(tx.nonce), "value": hex(tx.value)}
    return [[call(r) for r in burns[k:k + block_size] + mints[k:k + block_size]]
            for k in range(0, max(len(burns), len(mints)), block_size)]


def _simulate_chunk(rpc, calls: list[dict]) -> None:
    """One validated simulation of a chunk; every call must succeed, as in the real block."""
    result = rpc.call("eth_simulateV1", {"blockStateCalls": [{
        "blockOverrides": {"gasLimit": hex(SIMULATED_CHUNK_GAS)}, "calls": calls}], "validation": True}, "latest")
    failed = [i for i, r in enumerate(result[0]["calls"]) if int(r["status"], 16) != 1]
    if failed:
        raise RuntimeError(f"{rpc.url}: {len(failed)} of {len(calls)} simulated calls failed, first #{failed[0]}")


def _raw_counts(service, rpcs) -> dict[tuple[int, str], int]:
    """burnCount / mintCount of every rollup for its counterpart (each tree starts with its genesis
    leaf, so a count is never zero)."""
    counts = {}
    for chain_id, rpc in rpcs.items():
        other = next(c for c in rpcs if c != chain_id)
        contract = Deployment(service.deployment).rollups[chain_id]["MintBurnSystemContract"]
        for kind, selector in _COUNT_SELECTORS.items():
            data = "0x" + (selector + encode(["uint256"], [other])).hex()
            counts[(chain_id, kind)] = int(rpc.call("eth_call", {"to": contract, "data": data}, "latest"), 16)
    return counts


def _check_raw(service, rpcs, workload, before: dict[tuple[int, str], int]) -> None:
    """Outside the timing: every burn and mint of the raw run really executed."""
    after = _raw_counts(service, rpcs)
    for chain_id in rpcs:
        for kind, expected in (("burn", len(workload.burns[chain_id])), ("mint", len(workload.mints[chain_id]))):
            got = after[(chain_id, kind)] - before[(chain_id, kind)]
            if got != expected:
                raise RuntimeError(f"raw run: {kind}Count on {chain_id} grew by {got}, expected {expected}")


@dataclass
class PoisonLoad:
    """``per_tick`` failing triggers (an action that reverts, the demo's failing case) sent to the
    ingress after every commit, half on each rollup (they are built in their turn: a tick takes
    its candidates in arrival order). Each comes from its own funded account
    with nonce 0: an excluded trigger never uses its nonce."""

    per_tick: int
    triggers: dict[int, list[tuple[bytes, str]]]  # chain -> [(raw, hash)], fed in this order


def build_poison(service: Service, per_tick: int, ticks: int) -> PoisonLoad:
    """Sign enough failing triggers for ``ticks`` ticks, and fund their senders."""
    from svs.node.rpc import RpcClient

    chains = Deployment(service.deployment).rollups
    a, b = sorted(chains)
    per_chain = (per_tick + 1) // 2 * ticks
    triggers: dict[int, list[tuple[bytes, str]]] = {}
    for index, (source, destination) in enumerate(((a, b), (b, a))):
        counter = chains[destination]["CrossChainCounter"]
        general = bytes.fromhex(chains[source]["GeneralSystemContract"][2:])
        keys = [keccak(text=f"svs-bench-poison-{index}-{i}") for i in range(per_chain)]
        rpc = RpcClient(chains[source].rpc)
        for i in range(0, len(keys), 500):
            rpc.batch_strict([("anvil_setBalance", [Account.from_key(k).address, hex(10**20)]) for k in keys[i:i + 500]])
        triggers[source] = []
        for i, key in enumerate(keys):
            action = INCREMENT_SELECTOR + encode(["uint256"], [0])  # increment(0) reverts
            data = TRIGGER_SELECTOR + encode(["uint256", "address", "bytes", "uint256"],
                                             [destination, counter, action, 100_000 + i])  # distinct hashes
            triggers[source].append(LegacySigner(key, source).sign(0, GAS_PRICE, 300_000, general, 0, data))
    return PoisonLoad(per_tick, triggers)


def run_sequencer(service: Service, workload: Workload, batch: int, pace: float | None = None,
                  poison: PoisonLoad | None = None) -> RunResult:
    """(b) Through the ingress. ``pace``: transfers per second to offer, None for all at once.
    ``poison``: failing triggers fed after every commit; none may be included, and the result's
    ``poison_per_tick`` says how many each tick excluded."""
    sequencer = service.start_sequencer()
    service.start_ingress()
    submitted: dict[str, float] = {}
    committed: dict[str, float] = {}
    honest = {h for v in workload.burns.values() for _, h in v}
    poison_hashes = {h for v in (poison.triggers.values() if poison else ()) for _, h in v}
    excluded_per_tick: list[int] = []
    included_poison: list[str] = []
    expected = len(honest)
    done = threading.Event()
    poison_session, poison_fed, poison_due = requests.Session(), [0], threading.Event()

    def on_commit(tick: int, plan: TickPlan) -> None:
        now = time.perf_counter()
        for tx_hash in plan.included_user_txs():
            if tx_hash in honest:
                committed[tx_hash] = now
            elif tx_hash in poison_hashes:
                included_poison.append(tx_hash)
        if poison is not None:
            excluded_per_tick.append(len(poison_hashes.intersection(plan.excluded)))
        if len(committed) >= expected:
            done.set()
        elif poison is not None and poison.per_tick:
            poison_due.set()  # the feeder sends the next k while the next tick builds, as users would

    sequencer.commit_listeners.append(on_commit)
    urls = {chain_id: s.url for chain_id, s in zip(sorted(sequencer.chains), service.servers)}
    errors: list[str] = []

    def post(session: requests.Session, chain_id: int, chunk: list[tuple[bytes, str]]) -> None:
        body = [{"jsonrpc": "2.0", "id": j, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]}
                for j, (raw, _) in enumerate(chunk)]
        for reply in session.post(urls[chain_id], json=body, timeout=120).json():
            if "error" in reply:
                errors.append(reply["error"]["message"])

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
            post(session, chain_id, chunk)

    def feed_poison() -> None:
        """The next k failing triggers, half to each rollup's ingress, as a user would send them."""
        half = (poison.per_tick + 1) // 2
        fed = poison_fed[0]
        if fed + half > min(len(v) for v in poison.triggers.values()):
            return  # the signed supply ran out (the report's per-tick figure shows it)
        for chain_id in urls:
            post(poison_session, chain_id, poison.triggers[chain_id][fed:fed + half])
        poison_fed[0] = fed + half

    def poison_feeder() -> None:
        while not done.is_set():
            if poison_due.wait(timeout=0.5):
                poison_due.clear()
                feed_poison()

    threads = [threading.Thread(target=submit, args=(c,)) for c in urls]
    if poison is not None and poison.per_tick:
        feed_poison()  # the first tick's; after each commit the feeder sends the next k
        threading.Thread(target=poison_feeder, daemon=True).start()
    clock = threading.Thread(target=service.run_clock, daemon=True)
    cpu = CpuClock(service)
    clock.start()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        service.stop()
        raise RuntimeError(f"{len(errors)} transactions rejected, first: {errors[0]}")
    if not done.wait(timeout=600):
        service.stop()
        raise RuntimeError(f"only {len(committed)} of {expected} transfers committed after 600 s")
    used = cpu.used()
    service.stop()
    clock.join()
    if sequencer.halted:
        raise RuntimeError(f"sequencer halted: {sequencer.halted}")
    if included_poison:
        raise RuntimeError(f"{len(included_poison)} failing triggers were included, first {included_poison[0]}")
    last = max(committed.values())
    latencies = sorted(committed[h] - submitted[h] for h in committed)
    return RunResult(expected, last - started, latencies, excluded_per_tick, used)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# The raw runs of each repeat: (name, both nodes at once, each chunk simulated before it is sent).
RAW_RUNS = (("raw", True, False), ("raw_sequential", False, False), ("raw_simulated", True, True))


def measure(config: BenchConfig, block_size: int, transfers: int, repeat: int,
            progress=lambda msg: None) -> dict:
    """Median raw rates (RAW_RUNS: both nodes at once, one after the other, at once with each
    chunk simulated first), sequencer rate, CPU per transfer of each process, and saturated
    latencies over ``repeat`` runs."""
    keys = _sender_keys(config.senders)
    rates: dict[str, list[float]] = {"raw": [], "raw_sequential": [], "raw_simulated": [], "sequencer": []}
    cpu: dict[str, dict[str, list[float]]] = {"raw": {}, "raw_simulated": {}, "sequencer": {}}
    p50s, p99s = [], []
    for run in range(repeat):
        for name, concurrent, simulated in RAW_RUNS:
            with tempfile.TemporaryDirectory() as tmp:
                service = fresh_system(Path(tmp) / "raw", block_size, 0, keys)
                try:
                    workload = build_workload(service, keys, transfers, with_mints=True)
                    raw = run_raw(service, workload, block_size, concurrent, simulated)
                finally:
                    service.shutdown()
            rates[name].append(raw.rate)
            if name in cpu:
                _add_cpu(cpu[name], raw)
        with tempfile.TemporaryDirectory() as tmp:
            service = fresh_system(Path(tmp) / "seq", block_size, 0, keys)
            try:
                workload = build_workload(service, keys, transfers, with_mints=False)
                seq = run_sequencer(service, workload, config.batch)
            finally:
                service.shutdown()
        rates["sequencer"].append(seq.rate)
        _add_cpu(cpu["sequencer"], seq)
        p50s.append(percentile(seq.latencies, 0.5))
        p99s.append(percentile(seq.latencies, 0.99))
        progress(f"block size {block_size}, run {run + 1}/{repeat}: raw {rates['raw'][-1]:,.0f}/s at once, "
                 f"{rates['raw_sequential'][-1]:,.0f}/s one after the other, {rates['raw_simulated'][-1]:,.0f}/s "
                 f"simulated first; sequencer {seq.rate:,.0f}/s over "
                 f"{seq.transfers:,} transfers")
    return {"block_size": block_size, "transfers": transfers,
            **{name: statistics.median(values) for name, values in rates.items()},
            "p50": statistics.median(p50s), "p99": statistics.median(p99s),
            "cpu": {run: {name: statistics.median(v) for name, v in per.items()} for run, per in cpu.items()},
            "runs": rates}


def _add_cpu(into: dict[str, list[float]], result: RunResult) -> None:
    """CPU milliseconds per transfer of each process, appended to ``into``."""
    for name, seconds in result.cpu.items():
        into.setdefault(name, []).append(1000 * seconds / result.transfers)


def measure_paced_latency(config: BenchConfig, block_size: int, rate: float, block_time: float,
                          progress=lambda msg: None) -> dict:
    """Latency (submit until both legs are committed) under ``rate`` transfers/s offered at
    ``block_time``."""
    keys = _sender_keys(config.senders)
    transfers = int(rate * config.latency_seconds)
    p50s, p99s = [], []
    for run in range(config.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            service = fresh_system(Path(tmp) / "paced", block_size, block_time, keys)
            try:
                workload = build_workload(service, keys, transfers, with_mints=False)
                result = run_sequencer(service, workload, batch=max(1, int(rate / 40)), pace=rate)
            finally:
                service.shutdown()
        p50s.append(percentile(result.latencies, 0.5))
        p99s.append(percentile(result.latencies, 0.99))
        progress(f"paced {rate:.0f} transfers/s at block time {block_time:g} s, run {run + 1}/{config.repeat}: "
                 f"p50 {p50s[-1] * 1000:.0f} ms, p99 {p99s[-1] * 1000:.0f} ms")
    return {"rate": rate, "block_time": block_time, "transfers": transfers,
            "p50": statistics.median(p50s), "p99": statistics.median(p99s)}


def measure_poison(config: BenchConfig, block_size: int, transfers: int, ks: list[int],
                   progress=lambda msg: None) -> list[dict]:
    """Honest throughput with k failing triggers per tick, for each k; the runs of one repeat are
    taken one after the other so that each ratio compares runs of the same moment."""
    keys = _sender_keys(config.senders)
    ticks = transfers // 50 + 20  # more ticks than a run can take: the feed never runs dry
    rates: dict[int, list[float]] = {k: [] for k in ks}
    per_tick: dict[int, list[float]] = {k: [] for k in ks}
    for run in range(config.repeat):
        for k in ks:
            with tempfile.TemporaryDirectory() as tmp:
                service = fresh_system(Path(tmp) / "poison", block_size, 0, keys)
                try:
                    workload = build_workload(service, keys, transfers, with_mints=False)
                    poison = build_poison(service, k, ticks) if k else None
                    result = run_sequencer(service, workload, config.batch, poison=poison)
                finally:
                    service.shutdown()
            rates[k].append(result.rate)
            per_tick[k].append(statistics.mean(result.poison_per_tick) if result.poison_per_tick else 0)
            progress(f"poison k={k}, run {run + 1}/{config.repeat}: {result.rate:,.0f} honest transfers/s, "
                     f"{per_tick[k][-1]:.0f} failing triggers excluded per tick (mean)")
    base = statistics.median(rates[ks[0]])
    return [{"k": k, "rate": statistics.median(rates[k]), "ratio": statistics.median(rates[k]) / base,
             "excluded_per_tick": statistics.median(per_tick[k]), "runs": rates[k]} for k in ks]


def plot_sweep(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["block_size"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(sizes, [r["raw"] for r in rows], "o-", label="raw ceiling (a): burns + mints straight into anvil")
    ax.plot(sizes, [r["raw_simulated"] for r in rows], "^--", label="raw, each block simulated first (a'')")
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
