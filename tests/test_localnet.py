"""Local network: anvil nodes with the right chain ids, and a deployment that is idempotent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from svs import accounts
from svs.chains import stop
from svs.deploy import ROLLUP_CONTRACTS, create2_address, rollup_init_codes
from svs.localnet import deploy_local, start_local_network, suite_config

from .helpers import free_ports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def network(tmp_path):
    l1_port, *rollup_ports = free_ports(3)
    nodes = start_local_network(tmp_path, 2, l1_port, rollup_ports, automine_rollups=True)
    yield tmp_path, nodes
    for node in nodes:
        stop(node)


def test_nodes_have_supersim_chain_ids(network):
    _, nodes = network
    assert [(n.chain_id, n.role) for n in nodes] == [(900, "l1"), (901, "rollup"), (902, "rollup")]
    for node in nodes:
        assert Web3(Web3.HTTPProvider(node.rpc_url)).eth.chain_id == node.chain_id


def test_suite_lands_at_the_same_predicted_address_on_every_rollup_and_redeploy_is_a_no_op(network):
    state_dir, nodes = network
    first = deploy_local(nodes, state_dir)
    expected = {name: create2_address(code) for name, code in rollup_init_codes(suite_config()).items()}
    rollups = [d for d in first if d.role == "rollup"]
    assert [d.contracts for d in rollups] == [expected, expected]
    assert set(expected) == set(ROLLUP_CONTRACTS)

    nonces = [Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_transaction_count(accounts.owner().address) for n in nodes]
    second = deploy_local(nodes, state_dir)
    assert [d.contracts for d in second] == [d.contracts for d in first]
    assert nonces == [Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_transaction_count(accounts.owner().address)
                      for n in nodes], "a second deployment sent transactions"

    record = json.loads((state_dir / "deployment.json").read_text())
    assert record["sequencer"] == accounts.sequencer().address
    assert record["chains"]["901"]["contracts"] == expected
    assert record["chains"]["900"]["role"] == "l1"
    assert record["chains"]["902"]["rpc"] == nodes[2].rpc_url


@pytest.mark.parametrize("args, message", [
    (["--rollups", "1"], "--rollups"),
    (["--port", "70000"], "--port"),
    (["--l1-port", "9545", "--port", "9545"], "collides"),
    (["--block-time", "-1"], "--block-time"),
    (["--attach", "ftp://127.0.0.1:1,http://a,http://b"], "not an http(s) URL"),
    (["--attach", "http://127.0.0.1:1"], "L1 URL first"),
    (["--max-block-txs", "0"], "--max-block-txs"),
])
def test_sequencer_cli_rejects_bad_options_with_a_clear_error(args, message, tmp_path):
    result = subprocess.run(["ape", "run", "sequencer", "--state-dir", str(tmp_path), "--exit", *args],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
