"""The local network: its shape (chain ids, the dev accounts that own, sequence and hold the
suite) and its one bring-up.

``start_nodes`` starts L1 and the rollups on anvil; ``deploy_suite`` deploys (or finds, through
CREATE2) the rollup suite on every rollup and an inbox on L1, leaves the rollups with automine off
(the sequencer is their only block producer) and returns the deployment record. The service
(``ape run sequencer local``, the bench, the tests' live systems) and the DevNet (the inbox tests,
``ape run inbox_gas``) both bring their chains up through these two.
"""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from svs.deploy import accounts
from svs.deploy.record import ChainEntry, Deployment
from svs.deploy.suite import InboxConfig, SuiteConfig, create2_address, deploy_inbox, deploy_rollup_suite, rollup_init_codes
from svs.node.chains import FIRST_ROLLUP_CHAIN_ID, L1_CHAIN_ID, Node, start_anvil
from svs.node.rpc import RpcClient


def rollup_chain_ids(count: int) -> list[int]:
    return [FIRST_ROLLUP_CHAIN_ID + i for i in range(count)]


def suite_config(rollups: int) -> SuiteConfig:
    return SuiteConfig(
        owner=accounts.owner().address,
        sequencer=accounts.sequencer().address,
        token_holder=accounts.user(0).address,
        rollup_chain_ids=tuple(rollup_chain_ids(rollups)),
    )


def start_nodes(log_dir: Path, l1_port: int, rollup_ports: list[int], started: list[Node]) -> list[Node]:
    """L1 (chain 900) on ``l1_port`` and rollups 901, 902, ... on ``rollup_ports``, automine on
    (deploying needs blocks). Each node is appended to ``started`` as soon as it runs, so the
    caller can stop (or record) those that did start when a later one fails."""
    started.append(start_anvil(L1_CHAIN_ID, l1_port, "l1", log_dir, automine=True))
    for chain_id, port in zip(rollup_chain_ids(len(rollup_ports)), rollup_ports):
        started.append(start_anvil(chain_id, port, "rollup", log_dir, automine=True))
    return started


def deploy_suite(nodes: list[Node], inbox: InboxConfig) -> Deployment:
    """Deploy (or find) the suite on every rollup node and ``inbox`` on the L1 node; the rollups
    are left with automine off. Returns the record (not written)."""
    rollups = [n for n in nodes if n.role == "rollup"]
    config = suite_config(len(rollups))
    record = Deployment.new(config.sequencer, config.owner, config.rollup_chain_ids, inbox.as_json())
    mint_burn = create2_address(rollup_init_codes(config)["MintBurnSystemContract"])
    fresh = all(not Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_code(mint_burn) for n in rollups)
    for node in nodes:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        if node.role == "rollup":
            rpc = RpcClient(node.rpc_url)
            if not rpc.call("anvil_getAutomine"):
                rpc.call("evm_setAutomine", True)  # deploying needs blocks
            contracts = deploy_rollup_suite(w3, accounts.owner(), config)
        else:
            contracts = deploy_inbox(w3, accounts.owner(), config, inbox)
        record.set_chain(ChainEntry(node.chain_id, node.rpc_url, node.role, contracts))
    rpcs = [RpcClient(n.rpc_url) for n in rollups]
    if fresh:  # chains that already hold the suite (a restart) keep their heights: recovery replays onto them
        _align_heights(rpcs)
    for rpc in rpcs:
        rpc.call("evm_setAutomine", False)
    return record


def _align_heights(rpcs: list[RpcClient]) -> None:
    """Mine empty blocks on the freshly deployed rollups that are behind, so that all stand at
    the same height. The suite is synchronous: every tick mines one block on each rollup,
    leg hashes carry the height, and each L1 submission covers the same heights everywhere."""
    heights = [int(rpc.call("eth_blockNumber"), 16) for rpc in rpcs]
    for rpc, height in zip(rpcs, heights):
        for _ in range(max(heights) - height):
            rpc.call("evm_mine")
