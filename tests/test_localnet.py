"""Local network: anvil nodes with the right chain ids, a deployment that is idempotent, and the
CLI's refusal of bad options."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from svs.deploy import accounts
from svs.deploy.localnet import suite_config
from svs.deploy.suite import ROLLUP_CONTRACTS, create2_address, rollup_init_codes
from svs.run.service import NODE_PORT_OFFSET, Service, ServiceOptions
from svs.testing.ports import free_port_block

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def network(tmp_path):
    base = free_port_block(3, offset=NODE_PORT_OFFSET)
    service = Service(ServiceOptions(first_port=base, l1_port=base + 2, state_dir=tmp_path, demo=False))
    service.bring_up_nodes()
    yield service
    service.shutdown()


def test_nodes_have_supersim_chain_ids(network):
    nodes = network.nodes
    assert [(n.chain_id, n.role) for n in nodes] == [(900, "l1"), (901, "rollup"), (902, "rollup")]
    for node in nodes:
        assert Web3(Web3.HTTPProvider(node.rpc_url)).eth.chain_id == node.chain_id


def test_suite_lands_at_the_same_predicted_address_on_every_rollup_and_redeploy_is_a_no_op(network):
    nodes = network.nodes
    first = network.deploy()
    expected = {name: create2_address(code) for name, code in rollup_init_codes(suite_config(2)).items()}
    rollups = [c["contracts"] for c in first["chains"].values() if c["role"] == "rollup"]
    assert rollups == [expected, expected]
    assert set(expected) == set(ROLLUP_CONTRACTS)

    nonces = [Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_transaction_count(accounts.owner().address) for n in nodes]
    second = network.deploy()
    assert second["chains"] == first["chains"]
    assert nonces == [Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_transaction_count(accounts.owner().address)
                      for n in nodes], "a second deployment sent transactions"

    record = json.loads((network.options.state_dir / "deployment.json").read_text())
    assert record["sequencer"] == accounts.sequencer().address
    assert record["chains"]["901"]["contracts"] == expected
    assert record["chains"]["900"]["role"] == "l1"
    assert record["chains"]["902"]["rpc"] == nodes[2].rpc_url


@pytest.mark.parametrize("args, message", [
    (["--rollups", "1"], "--rollups"),
    (["--port", "70000"], "--port"),
    (["--l1-port", "9545", "--port", "9545"], "collides"),
    (["--block-time", "-1"], "--block-time"),
    (["--nodes", "ftp://127.0.0.1:1,http://a,http://b"], "not an http(s) URL"),
    (["--nodes", "http://127.0.0.1:1"], "L1 URL first"),
    (["--max-block-txs", "0"], "--max-block-txs"),
])
def test_sequencer_cli_rejects_bad_options_with_a_clear_error(args, message, tmp_path):
    result = subprocess.run(["ape", "run", "sequencer", "local", "--state-dir", str(tmp_path), "--exit", *args],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
