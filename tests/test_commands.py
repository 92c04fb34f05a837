"""Smoke tests of the measuring commands the README names: each runs as users run it (`ape run`
in a subprocess) on a tiny workload, and must finish with its own correctness checks passing and
its table printed. No timing is asserted."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from svs.run.service import NODE_PORT_OFFSET
from svs.testing.ports import free_port_block

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: int = 600) -> str:
    result = subprocess.run(["ape", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"ape run {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_bench_runs_its_checks_and_prints_the_main_poison_and_sweep_tables(tmp_path):
    out = _run("bench", "--transfers", "200", "--repeat", "1", "--senders", "20", "--latency-rates", "50",
               "--latency-block-times", "0.25", "--latency-seconds", "1", "--poison", "0,4", "--poison-transfers", "200",
               "--sweep", "50", "--sweep-transfers", "100", "--plot", str(tmp_path / "sweep.png"))
    assert re.search(r"\| \(a\) raw ceiling.* \| [\d,]+ transfers/s \|", out), out
    assert re.search(r"\| \(a'\) the same, one node after the other \| [\d,]+ transfers/s \|", out), out
    assert re.search(r"\| \(a''\) the same at once, each block first simulated once .* \| [\d,]+ transfers/s \|", out), out
    assert re.search(r"\| \(c\) ratio b/a \(the target\) \| \d+\.\d\d \|", out), out
    assert re.search(r"\| \(e\) bound: b if the sequencer run's CPU per transfer, all processes \(\d+\.\d\d ms\), filled all \d+ cores \| "
                     r"[\d,]+ transfers/s \(\d+\.\d\d of a\) \|", out), out
    assert re.search(r"\| \(e'\) CPU per transfer that 0.6 of \(a\) allows on \d+ cores, every core busy \| \d+\.\d\d ms \|",
                     out), out
    assert re.search(r"\| \(d\) latency p50 / p99, 50 transfers/s offered, block time 0.25 s \| [\d,]+ / [\d,]+ ms \|", out), out
    cpu = re.findall(r"^\| (anvil \d+|python[^|]*) \| (\d+\.\d\d) \| (\d+\.\d\d) \| (\d+\.\d\d) \|$", out, re.MULTILINE)
    assert len(cpu) == 3 and all(float(simulated) > 0 and float(seq) > 0 for _, _, simulated, seq in cpu), out
    rows = re.findall(r"^\| (\d+) \| [\d,]+ \| (\d+\.\d\d) \| (\d+) \|$", out, re.MULTILINE)
    assert [k for k, _, _ in rows] == ["0", "4"], out
    assert rows[0][1] == "1.00" and float(rows[1][2]) > 0, "the poison run excluded no failing trigger"
    assert re.search(r"^\| 50 \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d,]+ \| \d+\.\d\d \|$", out, re.MULTILINE), out
    assert (tmp_path / "sweep.png").stat().st_size > 10_000


def test_bench_node_costs_prints_each_request():
    out = _run("bench", "--no-main", "--node-costs")
    rows = dict(re.findall(r"^\| `(\w+)`[^|]* \| (?:< )?([\d,]+) us \| [\d,]+ us \|$", out, re.MULTILINE))
    assert set(rows) == {"eth_chainId", "eth_simulateV1", "eth_sendRawTransaction", "evm_mine", "eth_sendTransaction"}, out
    assert int(rows["eth_sendRawTransaction"].replace(",", "")) > 0, out
    python = re.findall(r"^\| (decode a user's transaction[^|]*|sign a destination leg) \| ([\d,]+) us \|$", out, re.MULTILINE)
    assert len(python) == 2 and all(int(us.replace(",", "")) > 0 for _, us in python), out


def test_inbox_gas_prints_every_row():
    out = _run("inbox_gas")
    for row in ("strict submit, 0 transfers each way", "strict submit, 1,000 transfers each way",
                "optimistic submit", "challenge (burn without mint)"):
        assert row in out, out
    empty = re.search(r"^\| strict submit, 0 transfers each way \| ([\d,]+) \|", out, re.MULTILINE)
    assert int(empty.group(1).replace(",", "")) <= 1_000_000, "the 2-rollup target (issue 13; README, Inbox gas)"
    compared = re.findall(r"^\| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| (\d+)% \|$", out, re.MULTILINE)
    assert [n for n, *_ in compared] == ["2", "200", "2,000"], out  # calldata against blobs, per size
    big = [int(x.replace(",", "")) for x in compared[-1][1:4]]
    assert big[1] < big[0] / 2 and big[2] > 0, "blobs should at least halve the L1 gas of 1,000 transfers each way"


def test_inbox_gas_at_more_rollups_than_blobs_per_transaction_measures_calldata_only():
    """Seven rollups need seven blobs, one more than a transaction carries: the blob row is
    left out with the reason (it used to crash on anvil's refusal), the calldata rows stay."""
    out = _run("inbox_gas", "--rollups", "7", "--sizes", "0,1")
    assert re.search(r"^\| strict submit, 1 transfers each way \| [\d,]+ \|", out, re.MULTILINE), out
    assert "strict submit in blobs" not in out and "no size fits the 6 blobs" in out, out


def test_gas_prints_the_leg_and_tree_tables():
    out = _run("gas")
    for row in ("`burn`", "`mint`", "`trigger`", "`action`", "`IncrementalMerkleTree insert`"):
        assert re.search(rf"^\| {re.escape(row)} \| [\d,]+ \| [\d,]+ \|$", out, re.MULTILINE), out


def test_chaos_kills_and_checks_on_a_small_schedule(tmp_path):
    from svs.testing.ports import free_port_block

    out = _run("chaos", "--kills", "1", "--node-kills", "1", "--state-dir", str(tmp_path / "chaos"),
               "--port", str(free_port_block(3, offset=10_000)))
    assert re.search(r"^kill -9 sequencer\s+1$", out, re.MULTILINE), out
    assert re.search(r"^kill -9 rollup node \(sequencer running\)\s+1$", out, re.MULTILINE), out
    assert re.search(r"^problems\s+0$", out, re.MULTILINE), out


def test_the_sequencer_honours_apes_verbosity(tmp_path):
    """`ape run sequencer local -v WARNING` runs the demo without a line of INFO logging (the
    default, INFO, logs every tick: tests/sequencer/test_crash.py asserts it in its logs)."""
    base = free_port_block(3, offset=NODE_PORT_OFFSET)
    args = ["sequencer", "local", "--rollups", "2", "--port", str(base), "--l1-port", str(base + 2), "--exit",
            "--block-time", "0.5"]
    quiet = subprocess.run(["ape", "run", *args, "--state-dir", str(tmp_path / "quiet"), "-v", "WARNING"], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert "=== demo summary ===" in quiet.stdout
    assert " INFO " not in quiet.stdout + quiet.stderr, (quiet.stdout + quiet.stderr)[-3000:]


def test_the_token_goes_l1_to_901_to_902_and_back_to_l1_with_the_project_commands(tmp_path):
    """Deposit with `ape run deposit`, transfer 901 -> 902 through the ingress, exit with
    `ape run exit`: each command's own output and the final balances equal the model's."""
    from tests.sequencer.test_crash import Cli

    from svs.deploy import accounts
    from svs.run.bridging import Chains, load_chains
    from svs.deploy.artifacts import load_artifact
    from web3 import Web3

    cli = Cli(tmp_path / "state", free_port_block(3, offset=NODE_PORT_OFFSET))
    try:
        cli.start("--block-time", "0.5", "--batch-every", "1")
        record = str(cli.state_dir / "deployment.json")
        holder, bob = accounts.user(0), accounts.user(1)
        chains: Chains = load_chains(cli.state_dir / "deployment.json")
        l1_before, bob_l1_before = chains.l1_balance(holder.address), chains.l1_balance(bob.address)
        token = chains.deployment.rollups[901]["BridgeableToken"]
        rollup_balance = lambda c, who: Web3(Web3.HTTPProvider(cli.urls[c])).eth.contract(  # noqa: E731
            address=token, abi=load_artifact("BridgeableToken").abi).functions.balanceOf(who).call()
        bob_901, bob_902 = rollup_balance(901, bob.address), rollup_balance(902, bob.address)

        out = _run("deposit", "--to", "901", "--amount", "5", "--recipient", bob.address, "--deployment", record)
        assert re.search(r"deposit #1: 5.0 tokens .* minted to .* on 901 by block \d+", out), out
        assert rollup_balance(901, bob.address) == bob_901 + 5 * 10**18
        assert chains.l1_balance(holder.address) == l1_before - 5 * 10**18

        w3 = Web3(Web3.HTTPProvider(cli.urls[901]))
        mint_burn = w3.eth.contract(address=chains.deployment.rollups[901]["MintBurnSystemContract"],
                                    abi=load_artifact("MintBurnSystemContract").abi)
        tx = mint_burn.functions.burn(902, bob.address, token, 3 * 10**18).build_transaction({
            "from": bob.address, "chainId": 901, "gas": 300_000, "gasPrice": 3 * 10**9,
            "nonce": w3.eth.get_transaction_count(bob.address, "pending")})
        w3.eth.send_raw_transaction(bob.sign_transaction(tx).raw_transaction)
        deadline = __import__("time").monotonic() + 30
        while rollup_balance(902, bob.address) == bob_902:
            assert __import__("time").monotonic() < deadline, "the transfer 901 -> 902 never landed"
            __import__("time").sleep(0.2)

        out = _run("exit", "--from", "902", "--amount", "2", "--account", "1", "--ingress", cli.urls[902],
                   "--deployment", record)
        assert re.search(r"exit #1 from 902 finalized on L1 \(was (burned|proven|final)\): tx 0x[0-9a-f]+, [\d,]+ gas", out), out
        assert rollup_balance(901, bob.address) == bob_901 + 2 * 10**18
        assert rollup_balance(902, bob.address) == bob_902 + 1 * 10**18
        assert chains.l1_balance(bob.address) == bob_l1_before + 2 * 10**18
        again = _run("exit", "--from", "902", "--tx", re.search(r"burned on 902: (0x[0-9a-f]+)", out).group(1),
                     "--account", "1", "--deployment", record)
        assert "was finalized already" in again, again
    finally:
        if cli.proc and cli.proc.poll() is None:
            cli.proc.kill()
            cli.proc.wait()
        cli.stop_nodes()


def test_bench_profile_sorts_py_spys_samples_into_the_tick_phases(tmp_path):
    """py-spy is in requirements.lock so that this runs: a py-spy that qualified its frames with
    their class (0.4.3) once left the table empty, and nothing noticed."""
    out = _run("bench", "--no-main", "--profile", "2000", "--block-size", "100", "--profile-dir", str(tmp_path),
               timeout=300)
    rows = re.findall(r"^\| ([a-z][^|]*?) \| (\d+\.\d{3}) \| (\d+)% \|$", out, re.MULTILINE)
    assert 90 <= sum(int(share) for _, _, share in rows) <= 110, out  # every tick-thread sample sorted (shares rounded)
    # The two largest phases (a quarter of the tick each): with ~100 samples a second, never empty.
    phases = {phase: float(ms) for phase, ms, _ in rows}
    assert phases.get("simulation (eth_simulateV1)", 0) > 0 and phases.get("sends (transactions to the nodes)", 0) > 0, out
    assert re.search(r"^\| admission \(ingress threads\) \| \d+\.\d{3} \| \(in parallel\) \|$", out, re.MULTILINE), out
    assert (tmp_path / "profile-raw.txt.gz").stat().st_size > 0
