"""`ape run gas`: measure the gas of burn, mint, trigger and action transactions.

Deploys a fresh suite on the connected network (default: ape's local anvil) and prints the
README's gas table.
"""

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from svs.measure.gas import format_table, measure_leg_gas, measure_tree_gas
from svs.node.chains import L1_CHAIN_ID


@click.command(cls=ConnectedProviderCommand)
@click.option("--rounds", default=8, show_default=True, type=click.IntRange(min=2), help="Legs of each kind.")
def cli(rounds: int) -> None:
    """Print gas per leg transaction (first leg of a pair, and steady state)."""
    owner, sequencer, user, recipient = (accounts.test_accounts[i] for i in range(4))
    rollups = [chain.chain_id, 901]  # this chain and one counterpart
    mint_burn = owner.deploy(project.MintBurnSystemContract, owner, sequencer, rollups, True, L1_CHAIN_ID)
    general = owner.deploy(project.GeneralSystemContract, owner, sequencer, mint_burn, rollups, True)
    token = owner.deploy(project.BridgeableToken, "Shared", "SHR", mint_burn, user, 10**24)
    counter = owner.deploy(project.CrossChainCounter, general)
    report = measure_leg_gas(mint_burn, general, token, counter, sequencer, user, recipient, 901, rounds)
    click.echo(format_table(report))
    ours = owner.deploy(project.MerkleTreeHarness)
    openzeppelin = owner.deploy(project.OZMerkleTreeHarness)
    click.echo()
    click.echo(format_table(measure_tree_gas(ours, openzeppelin, owner)))
