"""The service around the sequencer: building on nodes it did not start (--nodes), and restarts on the same state directory."""

from __future__ import annotations

import os

import pytest
from web3 import Web3

from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.node.chains import start_anvil, stop
from svs.run.service import NODE_PORT_OFFSET, Service, ServiceOptions
from svs.testing.ports import free_port_block

TOKEN = 10**18


@pytest.fixture
def foreign_nodes(tmp_path):
    """L1 and two rollups started by someone else (the test), not by the service."""
    base = free_port_block(3, offset=NODE_PORT_OFFSET)
    nodes = [start_anvil(900, base + 2, "l1", tmp_path / "logs", automine=True)]
    nodes += [start_anvil(901 + i, base + NODE_PORT_OFFSET + i, "rollup", tmp_path / "logs", automine=True)
              for i in range(2)]
    yield base, nodes
    for node in nodes:
        stop(node)


def test_nodes_option_builds_on_nodes_it_did_not_start_and_leaves_them_running(tmp_path, foreign_nodes):
    base, nodes = foreign_nodes
    options = ServiceOptions(first_port=base, l1_port=base + 2, state_dir=tmp_path / "state", demo=False,
                             nodes=[n.rpc_url for n in nodes])
    service = Service(options)
    try:
        sequencer = service.start()
        w3 = Web3(Web3.HTTPProvider(service.servers[0].url))
        chains = service.deployment["chains"]
        mint_burn = w3.eth.contract(address=chains["901"]["contracts"]["MintBurnSystemContract"],
                                    abi=load_artifact("MintBurnSystemContract").abi)
        alice = accounts.user(0)
        tx = mint_burn.functions.burn(902, accounts.user(1).address, chains["901"]["contracts"]["BridgeableToken"],
                                      TOKEN).build_transaction({"from": alice.address, "nonce": 0, "gas": 300_000,
                                                                "gasPrice": 3 * 10**9, "chainId": 901})
        w3.eth.send_raw_transaction(alice.sign_transaction(tx).raw_transaction)
        report = sequencer.tick()
        assert report.pairs == 1 and report.roots_agree
        assert not (options.state_dir / "nodes.json").exists()  # attached nodes are not ours to record
    finally:
        service.shutdown()
    for node in nodes:  # shutting down an attached sequencer leaves the nodes alone
        os.kill(node.pid, 0)
        assert Web3(Web3.HTTPProvider(node.rpc_url)).eth.chain_id == node.chain_id


def test_attach_refuses_a_wrong_number_of_rollups(tmp_path, foreign_nodes):
    base, nodes = foreign_nodes
    service = Service(ServiceOptions(rollups=3, state_dir=tmp_path / "s", demo=False, nodes=[n.rpc_url for n in nodes]))
    with pytest.raises(Exception, match="expected 3 rollups, found 2"):
        service.bring_up_nodes()
