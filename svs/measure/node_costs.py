"""What an anvil node's CPU costs per request, for the requests the raw ceiling and the sequencer
send most (``ape run bench --node-costs``).

One fresh rollup node (the service's own flags) gets 1,000 signed value transfers from 200
funded senders, in JSON-RPC batches of 32 as the builder sends them, and the node's CPU time
(/proc) is read around each step: the JSON-RPC floor (``eth_chainId``), the transfers'
``eth_simulateV1``, their ``eth_sendRawTransaction``, the same transfers sent unsigned by
impersonated senders (the pool without signature recovery), and mining them.

``measure_python_floor`` times the least Python work a transfer costs the sequencer: decoding a
user's transaction with its signature recovery (admission) and signing the destination leg.
``cpu_bound`` turns CPU per transfer into the most a machine's cores could carry.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_utils import keccak

from svs.codec.signer import LegacySigner
from svs.codec.transactions import decode_raw_transaction
from svs.node.chains import start_anvil, stop
from svs.node.rpc import SEND_CHUNK, RpcClient
from svs.testing.ports import free_port_block

SENDERS = 200
GAS_PRICE = 10**12
TRANSFER_GAS = 21_000
RECIPIENT = "0x" + "11" * 20


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used, from /proc (counted in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_node_costs(transactions: int = 1_000) -> list[dict]:
    """Rows of (request, node CPU microseconds per transaction, wall microseconds per
    transaction), each step on the same node; ``transactions``: a multiple of 200."""
    with tempfile.TemporaryDirectory() as tmp:
        node = start_anvil(901, free_port_block(1), "rollup", Path(tmp), automine=False)
        try:
            return _measure(node, transactions)
        finally:
            stop(node)


def _measure(node, transactions: int) -> list[dict]:
    if transactions <= 0 or transactions % SENDERS:
        raise ValueError(f"transactions must be a positive multiple of {SENDERS}, not {transactions}")
    rpc = RpcClient(node.rpc_url)
    keys = [keccak(text=f"svs-node-costs-{i}") for i in range(SENDERS)]
    senders = [Account.from_key(k).address for k in keys]
    rpc.batch_strict([("anvil_setBalance", [a, hex(10**22)]) for a in senders])
    signers = [LegacySigner(k, node.chain_id) for k in keys]

    def transfer(i: int, round_: int) -> tuple[int, int]:
        return i % SENDERS, round_ * (transactions // SENDERS) + i // SENDERS  # sender, nonce

    def signed(round_: int) -> list[str]:
        return ["0x" + signers[s].sign(n, GAS_PRICE, TRANSFER_GAS, bytes.fromhex(RECIPIENT[2:]), 1, b"")[0].hex()
                for s, n in (transfer(i, round_) for i in range(transactions))]

    def unsigned(round_: int) -> list[dict]:
        return [{"from": senders[s], "to": RECIPIENT, "value": "0x1", "gas": hex(TRANSFER_GAS),
                 "gasPrice": hex(GAS_PRICE), "nonce": hex(n)} for s, n in (transfer(i, round_) for i in range(transactions))]

    rows = []

    def step(name: str, calls: list[tuple[str, list]]) -> None:
        before, started = process_cpu_seconds(node.pid), time.perf_counter()
        for k in range(0, len(calls), SEND_CHUNK):
            for result in rpc.batch(calls[k:k + SEND_CHUNK]):
                if isinstance(result, Exception):
                    raise RuntimeError(f"{name}: {result}")
        rows.append({"request": name, "cpu_us": 1e6 * (process_cpu_seconds(node.pid) - before) / transactions,
                     "wall_us": 1e6 * (time.perf_counter() - started) / transactions,
                     "resolution_us": 1e6 / os.sysconf("SC_CLK_TCK") / transactions})  # /proc counts ticks

    step("`eth_chainId` (the JSON-RPC floor)", [("eth_chainId", [])] * transactions)
    step("`eth_simulateV1` of the transfers, 32 per call",
         [("eth_simulateV1", [{"blockStateCalls": [{"calls": unsigned(0)[k:k + SEND_CHUNK]}], "validation": True},
                              "latest"]) for k in range(0, transactions, SEND_CHUNK)])
    step("`eth_sendRawTransaction` (signature recovery + pool)",
         [("eth_sendRawTransaction", [raw]) for raw in signed(0)])
    step("`evm_mine` of those transactions (execution + block)", [("evm_mine", [])])
    pending = int(rpc.call("txpool_status")["pending"], 16)
    if pending:
        raise RuntimeError(f"{pending} transactions were left out of the mined block")
    rpc.batch_strict([("anvil_impersonateAccount", [a]) for a in senders])
    step("`eth_sendTransaction`, impersonated senders (the pool, no recovery)",
         [("eth_sendTransaction", [tx]) for tx in unsigned(1)])
    return rows


def cpu_bound(cpu_ms_per_transfer: float, ceiling: float, target: float = 0.6, cores: int | None = None) -> dict:
    """What ``cores`` (this machine's) could carry at ``cpu_ms_per_transfer`` with every core busy
    all the time (an upper bound: a tick's steps wait on each other), as transfers/s and as a
    ratio to ``ceiling``; and the CPU per transfer at which that bound is ``target`` of it."""
    cores = cores or len(os.sched_getaffinity(0))  # the cores this process may run on
    rate = cores * 1000 / cpu_ms_per_transfer
    return {"cores": cores, "rate": rate, "ratio": rate / ceiling, "allowed_ms": cores * 1000 / (target * ceiling)}


def measure_python_floor(transactions: int = 1_000, repeat: int = 5) -> list[dict]:
    """Microseconds of this process's CPU per transaction (median of ``repeat``) for the
    cryptography every transfer costs the sequencer in Python, whatever else it does."""
    user = Account.from_key(keccak(text="svs-python-floor-user"))
    calldata = "0x" + "aa" * 4 + "00" * 128  # a burn's size
    raws = [bytes(user.sign_transaction({"to": RECIPIENT, "data": calldata, "gas": 200_000, "maxFeePerGas": GAS_PRICE,
                                         "maxPriorityFeePerGas": 1, "nonce": n, "chainId": 901, "value": 0,
                                         "type": 2}).raw_transaction) for n in range(transactions)]
    signer = LegacySigner(keccak(text="svs-python-floor-sequencer"), 902)
    leg = bytes(196)  # a mint's calldata size

    def per_transaction(work) -> float:
        times = []
        for _ in range(repeat):
            started = time.process_time()
            for i in range(transactions):
                work(i)
            times.append(1e6 * (time.process_time() - started) / transactions)
        return statistics.median(times)

    return [{"work": "decode a user's transaction and recover its sender (admission)",
             "cpu_us": per_transaction(lambda i: decode_raw_transaction(raws[i]))},
            {"work": "sign a destination leg",
             "cpu_us": per_transaction(lambda i: signer.sign(i, GAS_PRICE, 150_000, bytes(20), 0, leg))}]
