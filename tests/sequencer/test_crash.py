"""kill -9 at every phase of a tick, then a restart on the same state directory: the nodes
survive, the interrupted tick is rolled back or completed, and every invariant holds.

These run the real CLI (`ape run sequencer`) as a subprocess and kill it with SIGKILL through
its hidden --crash-at option, which sends the signal from inside the named phase."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from web3 import Web3

from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.pipeline.hooks import CRASH_POINTS
from svs.testing.ports import free_port_block

from tests.support.system import GAS_PRICE, TOKEN

ROOT = Path(__file__).resolve().parents[2]
INITIAL_SUPPLY_PER_ROLLUP = 10**27
TRANSFER_TOPIC = "0x" + Web3.keccak(text="Transfer(address,address,uint256)").hex().removeprefix("0x")


class Cli:
    def __init__(self, state_dir: Path, base_port: int):
        self.state_dir, self.base = state_dir, base_port
        self.urls = {901: f"http://127.0.0.1:{base_port}", 902: f"http://127.0.0.1:{base_port + 1}"}
        self.proc: subprocess.Popen | None = None
        self.log = state_dir.parent / "sequencer.log"

    def start(self, *extra: str) -> None:
        args = ["ape", "run", "sequencer", "local", "--state-dir", str(self.state_dir), "--port", str(self.base),
                "--l1-port", str(self.base + 2), "--no-demo", *(extra or ("--block-time", "0.3"))]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"sequencer exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.post(self.urls[902], json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("sequencer did not come up")

    def call(self, chain_id: int, method: str, *params):
        reply = requests.post(self.urls[chain_id], json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                         "params": list(params)}, timeout=10).json()
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply["result"]

    def stop_nodes(self) -> None:
        path = self.state_dir / "nodes.json"
        for node in json.loads(path.read_text()) if path.exists() else []:
            try:
                os.killpg(node["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def cli(tmp_path):
    instance = Cli(tmp_path / "state", free_port_block(3, offset=10_000))
    yield instance
    if instance.proc and instance.proc.poll() is None:
        instance.proc.kill()
        instance.proc.wait()
    instance.stop_nodes()


def submit_work(cli: Cli, first=lambda: None) -> list[tuple[int, str]]:
    """Cross-chain transfers both ways, a failing and a succeeding trigger: (chain, hash).
    Everything is signed first and sent right after a tick, so it all lands in one tick;
    ``first`` runs between that tick and the sends (a deposit on L1 joins the same tick)."""
    signed = []
    deployment = cli.call(901, "sequencer_status")["deployment"]["chains"]
    for source, destination, sender in ((901, 902, accounts.user(0)), (902, 901, accounts.user(0)),
                                        (901, 902, accounts.user(3))):
        w3 = Web3(Web3.HTTPProvider(cli.urls[source]))
        contracts = deployment[str(source)]["contracts"]
        mint_burn = w3.eth.contract(address=contracts["MintBurnSystemContract"], abi=load_artifact("MintBurnSystemContract").abi)
        general = w3.eth.contract(address=contracts["GeneralSystemContract"], abi=load_artifact("GeneralSystemContract").abi)
        counter = deployment[str(destination)]["contracts"]["CrossChainCounter"]
        increment = lambda by: Web3().eth.contract(abi=load_artifact("CrossChainCounter").abi).encode_abi("increment", [by])  # noqa: E731
        nonce = w3.eth.get_transaction_count(sender.address, "pending")
        calls = [mint_burn.functions.burn(destination, accounts.user(1).address, contracts["BridgeableToken"], TOKEN)
                 if sender == accounts.user(0) else general.functions.trigger(destination, counter, increment(0), 100_000),
                 general.functions.trigger(destination, counter, increment(2), 100_000)]
        for i, call in enumerate(calls):
            tx = call.build_transaction({"from": sender.address, "chainId": source, "gas": 300_000,
                                         "gasPrice": GAS_PRICE, "nonce": nonce + i})
            signed.append((source, "0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex()))
    height = cli.call(901, "eth_blockNumber")
    while cli.call(901, "eth_blockNumber") == height:
        time.sleep(0.02)
    first()
    return [(source, cli.call(source, "eth_sendRawTransaction", raw)) for source, raw in signed]


def wait_final(cli: Cli, sent: list[tuple[int, str]], timeout: float = 60) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = {h: cli.call(c, "sequencer_getTransactionStatus", h) for c, h in sent}
        if all(s and s["status"] != "pending" for s in statuses.values()):
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"still pending after {timeout}s: {statuses}")


def assert_consistent(cli: Cli, statuses: dict[str, dict], l1_supply: int) -> None:
    """``l1_supply``: the L1 token's total supply; with the rollups' it is the three initial ones
    (a deposit moves tokens from L1 into a rollup, it mints none)."""
    status = cli.call(901, "sequencer_status")
    assert status["halted"] is None
    assert all(p["equal"] for p in status["pairs"]), status["pairs"]
    heights = {int(c): h for c, h in status["heights"].items()}
    assert len(set(heights.values())) == 1, heights
    token = status["deployment"]["chains"]["901"]["contracts"]["BridgeableToken"]
    supply = sum(int(cli.call(c, "eth_call", {"to": token, "data": "0x18160ddd"}, "latest"), 16) for c in (901, 902))
    assert supply + l1_supply == 3 * INITIAL_SUPPLY_PER_ROLLUP
    # Every transaction in the blocks appears once; included ones are where the status says.
    placed: dict[str, tuple[int, int]] = {}
    for chain_id in (901, 902):
        for number in range(heights[chain_id] + 1):
            for tx_hash in cli.call(chain_id, "eth_getBlockByNumber", hex(number), False)["transactions"]:
                assert tx_hash not in placed, f"{tx_hash} applied twice"
                placed[tx_hash] = (chain_id, number)
    for tx_hash, s in statuses.items():
        if s["status"] == "included":
            assert placed[tx_hash] == (s["chainId"], s["block"])
            for leg in s["legs"]:
                assert placed[leg["counterpart"]] == (leg["destination"], s["block"]), "legs at different heights"
        else:
            assert tx_hash not in placed, f"excluded {tx_hash} is in a block"


@pytest.mark.parametrize("phase", CRASH_POINTS)
def test_kill_9_at_each_phase_then_restart_loses_nothing_and_keeps_invariants(cli, phase):
    """One tick carries transfers both ways, a failing and a succeeding trigger, and a deposit's
    mint; it is killed at ``phase``. After the restart every transaction is final as it should
    be, the deposit is minted exactly once, and the supply over L1 and the rollups is whole."""
    from svs.l1.exits import BridgeClient

    cli.start("--crash-at", phase, "--block-time", "2")
    chains = cli.call(901, "sequencer_status")["deployment"]["chains"]
    l1 = next(entry for entry in chains.values() if entry["role"] == "l1")
    bridge = BridgeClient(l1["rpc"], l1["contracts"]["L1Bridge"], accounts.user(0))
    recipient = accounts.user(4).address
    sent = submit_work(cli, first=lambda: bridge.deposit(902, recipient, 3 * TOKEN))
    assert cli.proc.wait(timeout=60) == -signal.SIGKILL, cli.log.read_text()[-2000:]
    nodes = json.loads((cli.state_dir / "nodes.json").read_text())
    for node in nodes:  # the rollup nodes outlive the sequencer
        os.killpg(node["pid"], 0)

    cli.start()
    statuses = wait_final(cli, sent)
    expected = {h: "excluded" for h in (sent[4][1], sent[5][1])}  # the failing trigger and its follower
    assert {h: s["status"] for h, s in statuses.items() if h in expected} == expected
    assert all(s["status"] == "included" for h, s in statuses.items() if h not in expected)
    token = chains["902"]["contracts"]["BridgeableToken"]
    balance_of = "0x70a08231" + recipient[2:].lower().rjust(64, "0")
    deadline = time.monotonic() + 60
    while int(cli.call(902, "eth_call", {"to": token, "data": balance_of}, "latest"), 16) == 0:
        assert time.monotonic() < deadline, "the deposit was never minted after the restart"
        time.sleep(0.2)
    for _ in range(2):  # two more ticks: nothing is minted again
        height = cli.call(902, "eth_blockNumber")
        while cli.call(902, "eth_blockNumber") == height:
            time.sleep(0.05)
    assert int(cli.call(902, "eth_call", {"to": token, "data": balance_of}, "latest"), 16) == 3 * TOKEN
    minted = cli.call(902, "eth_getLogs", {"address": token, "fromBlock": "0x0", "toBlock": "latest", "topics": [
        TRANSFER_TOPIC, "0x" + "00" * 32, "0x" + recipient[2:].lower().rjust(64, "0")]})
    assert [int(entry["blockNumber"], 16) for entry in minted] == [statuses[sent[0][1]]["block"]], \
        "the deposit's mint is in the killed tick, with the transfers"
    status = cli.call(901, "sequencer_status")
    assert status["l1Legs"]["rollups"]["902"]["depositsServed"] == 1
    l1_supply = bridge.w3.eth.contract(address=bridge.l1_token(), abi=load_artifact("BridgeableToken").abi) \
        .functions.totalSupply().call()
    assert_consistent(cli, statuses, l1_supply)
    log = cli.log.read_text()
    assert "re-attached to 3 nodes" in log
    assert re.search(r" INFO tick \d+ height", log), "ape's default verbosity (INFO) logs every tick"
    cli.proc.send_signal(signal.SIGINT)  # Ctrl-C stops the sequencer and the nodes it runs
    assert cli.proc.wait(timeout=30) == 0
    for node in nodes:
        with pytest.raises(ProcessLookupError):
            os.killpg(node["pid"], 0)
    assert not (cli.state_dir / "nodes.json").exists()
