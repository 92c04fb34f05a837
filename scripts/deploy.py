"""`ape run deploy`: deploy the suite to the network ape is connected to, idempotently.

    ape run deploy --network optimism:sepolia:node --account deployer --sequencer 0xSEQ
    ape run deploy --network base:sepolia:node     --account deployer --sequencer 0xSEQ
    ape run deploy --network ethereum:sepolia:node --account deployer --sequencer 0xSEQ

Rollups first (token, MintBurn, General and the example counter, at the same CREATE2 address on
every rollup), then L1 (the BatchInbox). A re-run finds what is there and deploys nothing. The
record (default deployments/testnets.json) is what `ape run sequencer --attach` reads.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context
from web3 import Web3

from svs.deploy.suite import DeploymentError, InboxConfig, SuiteConfig
from svs.deploy.testnet import TESTNET_ROLLUPS, deploy_network
from svs.run.logs import configure
from svs.run.progress import progress


def _chain_ids(ctx, param, value: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of chain ids")
    if len(ids) < 2 or len(set(ids)) != len(ids) or min(ids) <= 0:
        raise click.BadParameter("give at least two distinct positive chain ids")
    return ids


def _address(ctx, param, value: str | None) -> str | None:
    if value is not None and not Web3.is_address(value):
        raise click.BadParameter(f"{value!r} is not an address")
    return Web3.to_checksum_address(value) if value else None


@click.command(cls=ConnectedProviderCommand)
@ape_cli_context()
@account_option()
@click.option("--record", default="deployments/testnets.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Deployment record to read and update.")
@click.option("--sequencer", callback=_address, help="The sequencer's address (default: the deploying account).")
@click.option("--rollups", default=",".join(map(str, TESTNET_ROLLUPS)), show_default=True, callback=_chain_ids,
              help="Chain ids of all rollups, the same on every run (they are part of the init code).")
@click.option("--supply", default=10**27, show_default=True, type=click.IntRange(min=1),
              help="Initial token supply (wei) minted to the deploying account on each rollup.")
@click.option("--l1-mode", type=click.Choice(["strict", "optimistic"]), default="strict", show_default=True)
@click.option("--bond", default=0.01, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Optimistic mode: the sequencer's bond, in ether.")
@click.option("--challenge-window", default=3600, show_default=True, type=click.IntRange(min=1),
              help="Optimistic mode: seconds during which a batch can be challenged.")
def cli(cli_ctx, provider, account, record, sequencer, rollups, supply, l1_mode, bond, challenge_window):
    """Deploy (or find) the suite on the connected network and update the record."""
    configure(cli_ctx.logger.level, timestamps=False)
    config = SuiteConfig(owner=account.address, sequencer=sequencer or account.address, token_holder=account.address,
                         rollup_chain_ids=rollups, initial_supply=supply)
    inbox = (InboxConfig(optimistic=True, bond=int(bond * 10**18), challenge_window=challenge_window)
             if l1_mode == "optimistic" else InboxConfig())
    w3 = provider.web3

    sent = 0

    def send(to: str, data: bytes) -> int:
        nonlocal sent
        advance(0, text=f"deploying on chain {w3.eth.chain_id}: transaction {sent + 1} sent, waiting for its receipt")
        receipt = account.transfer(to, 0, data=data, required_confirmations=0)
        if receipt.failed:
            raise DeploymentError(f"transaction {receipt.txn_hash} failed on chain {w3.eth.chain_id}")
        sent += 1
        return receipt.block_number

    try:
        with progress(f"deploying on chain {w3.eth.chain_id}: looking for the suite") as advance:
            report = deploy_network(w3, send, provider.uri, record, config, inbox)
    except DeploymentError as err:
        raise click.ClickException(str(err)) from err
    for line in report.lines():
        click.echo(line)
    changed = "deployed " + ", ".join(report.deployed) if report.deployed else "nothing to deploy: all found"
    click.echo(f"chain {report.chain_id} ({report.role}): {changed}; record {record}")
