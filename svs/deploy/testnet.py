"""Deploying to chains this project does not start (public testnets), one network at a time.

``ape run deploy --network <ecosystem>:<network>:node --account <alias>`` calls ``deploy_network``
once per chain: the rollups first (each records the block it was deployed at, where its first L1
batch starts), then L1, whose inbox needs those blocks. Every contract goes through CREATE2, so a
re-run finds each one at its address, checks it is the one the record describes, and deploys
nothing. The record (``svs.deploy.record.Deployment``) has the format the sequencer reads, plus
each rollup's ``firstBlock``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from web3 import Web3

from svs.deploy.record import ChainEntry, Deployment, RecordError
from svs.deploy.suite import (
    DeploymentError,
    InboxConfig,
    L1_CONTRACTS,
    Send,
    SuiteConfig,
    create2_address,
    deploy_create2,
    deploy_l1_create2,
    l1_addresses,
    rollup_init_codes,
)

log = logging.getLogger(__name__)

SEPOLIA, OP_SEPOLIA, BASE_SEPOLIA = 11155111, 11155420, 84532
TESTNET_ROLLUPS = (OP_SEPOLIA, BASE_SEPOLIA)
SEQUENCER_VIEW = "0x" + Web3.keccak(text="sequencer()")[:4].hex()


@dataclass
class NetworkReport:
    """What one run did on one chain."""

    chain_id: int
    role: str
    contracts: dict[str, str] = field(default_factory=dict)  # name -> address
    deployed: list[str] = field(default_factory=list)  # names deployed by this run
    first_block: int | None = None

    def lines(self) -> list[str]:
        return [f"{'deployed' if name in self.deployed else 'found   '} {name:24} {address} on chain {self.chain_id}"
                for name, address in self.contracts.items()]


def deploy_network(w3: Web3, send: Send, rpc_url: str, record_path: Path, config: SuiteConfig,
                   inbox: InboxConfig) -> NetworkReport:
    """Deploy (or find and verify) what belongs on the chain ``w3`` talks to; update the record.

    The suite is always asynchronous here (``config.synchronous`` is overridden): these chains
    make their own blocks, so a burn and its mint never share a height (see ``CounterpartTrees``).
    """
    config = replace(config, synchronous=False, l1_chain_id=SEPOLIA)
    chain_id = w3.eth.chain_id
    try:
        record = Deployment.load(record_path) or _new_record(config, inbox)
    except RecordError as err:
        raise DeploymentError(f"{err} --record") from err
    _check_same_suite(record.record, config, inbox, record_path)
    if chain_id in config.rollup_chain_ids:
        report = _deploy_rollup(w3, send, config, record.chains.get(chain_id))
    else:
        report = _deploy_l1(w3, send, config, inbox, record)
    _verify(w3, report, config)
    record.set_chain(ChainEntry(chain_id, rpc_url, report.role, report.contracts, report.first_block))
    record.write(record_path)
    return report


def _new_record(config: SuiteConfig, inbox: InboxConfig) -> Deployment:
    return Deployment.new(config.sequencer, config.owner, config.rollup_chain_ids, inbox.as_json())


def _check_same_suite(record: dict, config: SuiteConfig, inbox: InboxConfig, path: Path) -> None:
    """One record describes one suite: the same owner, sequencer, rollups and inbox mode."""
    wanted = _new_record(config, inbox).record
    for key in ("sequencer", "owner", "rollups", "inbox"):
        if record.get(key) != wanted[key]:
            raise DeploymentError(f"{path} records {key} = {record.get(key)!r}, this run asks for {wanted[key]!r}: "
                                  "the contracts would land at other addresses. Use the same options or another --record")


def _deploy_rollup(w3: Web3, send: Send, config: SuiteConfig, previous: ChainEntry | None) -> NetworkReport:
    report = NetworkReport(w3.eth.chain_id, "rollup")
    # The first L1 batch of this rollup starts at the block after the one that had no suite yet.
    report.first_block = previous.first_block if previous and previous.first_block is not None \
        else w3.eth.block_number + 1
    for name, code in rollup_init_codes(config).items():
        address, fresh = deploy_create2(w3, send, code)
        report.contracts[name] = address
        if fresh:
            report.deployed.append(name)
    return report


def _deploy_l1(w3: Web3, send: Send, config: SuiteConfig, inbox: InboxConfig, record: Deployment) -> NetworkReport:
    missing = [c for c in config.rollup_chain_ids if c not in record.chains or record.chains[c].first_block is None]
    if missing:
        raise DeploymentError(f"chain {w3.eth.chain_id} is the L1 here, and its inbox needs every rollup deployed "
                              f"first; deploy to chain(s) {', '.join(map(str, missing))} first")
    first_blocks = tuple(record.chains[c].first_block for c in config.rollup_chain_ids)
    inbox = replace(inbox, first_blocks=first_blocks)
    address, fresh = deploy_l1_create2(w3, send, config, inbox)
    return NetworkReport(w3.eth.chain_id, "l1", l1_addresses(address), list(L1_CONTRACTS) if fresh else [])


def _verify(w3: Web3, report: NetworkReport, config: SuiteConfig) -> None:
    """Each contract has code, and the system contracts and the inbox name our sequencer. (The
    address alone commits to the init code, so code there is the code we deploy.)"""
    for name, address in report.contracts.items():
        if not w3.eth.get_code(address):
            raise DeploymentError(f"{name} at {address} on chain {report.chain_id} has no code")
        if name in ("MintBurnSystemContract", "GeneralSystemContract", "BatchInbox"):
            named = "0x" + w3.eth.call({"to": address, "data": SEQUENCER_VIEW})[-20:].hex()
            if named.lower() != config.sequencer.lower():
                log.warning("%s on chain %d names sequencer %s, the record %s (rotated since?)", name,
                            report.chain_id, named, config.sequencer)


def expected_addresses(config: SuiteConfig) -> dict[str, str]:
    """Where the rollup contracts land on every rollup."""
    return {name: create2_address(code) for name, code in rollup_init_codes(config).items()}
