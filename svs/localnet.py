"""A local network: L1 (chain 900) and N rollups (901...) on anvil, with the suite deployed."""

from __future__ import annotations

import logging
from pathlib import Path

from web3 import Web3

from svs import accounts
from svs.chains import FIRST_ROLLUP_CHAIN_ID, L1_CHAIN_ID, Node, save_nodes, start_anvil, stop
from svs.deploy import ChainDeployment, SuiteConfig, deploy_rollup_suite, write_record

log = logging.getLogger(__name__)


def rollup_chain_ids(count: int) -> list[int]:
    return [FIRST_ROLLUP_CHAIN_ID + i for i in range(count)]


def start_local_network(state_dir: Path, rollups: int, l1_port: int, rollup_ports: list[int],
                        automine_rollups: bool) -> list[Node]:
    """Start L1 and ``rollups`` rollup nodes; on any failure stop those already started."""
    if len(rollup_ports) != rollups:
        raise ValueError(f"{rollups} rollups need {rollups} ports, got {len(rollup_ports)}")
    nodes: list[Node] = []
    try:
        nodes.append(start_anvil(L1_CHAIN_ID, l1_port, "l1", state_dir / "logs", automine=True))
        for chain_id, port in zip(rollup_chain_ids(rollups), rollup_ports):
            nodes.append(start_anvil(chain_id, port, "rollup", state_dir / "logs", automine=automine_rollups))
    except Exception:
        for node in nodes:
            stop(node)
        raise
    save_nodes(state_dir, nodes)
    return nodes


def suite_config() -> SuiteConfig:
    return SuiteConfig(
        owner=accounts.owner().address,
        sequencer=accounts.sequencer().address,
        token_holder=accounts.user(0).address,
    )


def deploy_local(nodes: list[Node], state_dir: Path) -> list[ChainDeployment]:
    """Deploy the rollup suite on every rollup node; write deployment.json."""
    config = suite_config()
    deployments = []
    for node in nodes:
        deployment = ChainDeployment(node.chain_id, node.rpc_url, node.role)
        if node.role == "rollup":
            w3 = Web3(Web3.HTTPProvider(node.rpc_url))
            deployment.contracts = deploy_rollup_suite(w3, accounts.owner(), config)
        deployments.append(deployment)
    write_record(state_dir / "deployment.json", deployments, config)
    return deployments
