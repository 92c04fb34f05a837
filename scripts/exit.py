"""`ape run exit`: move the token from a rollup to L1.

Either burn now (``--amount``, sent through the sequencer's ingress) or name a burn already made
(``--tx``). Then wait until an accepted batch that covers the burn is final (strict mode: once
accepted; optimistic mode: after its challenge window), build the proof from the nodes (the
rollup's commitment proof and the leg's Merkle path) and finalize the exit on L1's bridge.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.deploy import accounts
from svs.errors import SvsError
from svs.run.bridging import TOKEN, burn_to_l1, finalize, find_burn, load_chains
from svs.run.logs import configure
from svs.run.progress import CONSOLE


@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--from", "rollup", required=True, type=int, help="The rollup's chain id (e.g. 902).")
@click.option("--tx", "tx_hash", default=None, help="A burn to L1 already made on the rollup.")
@click.option("--amount", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Burn this many tokens now (instead of --tx).")
@click.option("--recipient", default=None, help="Account credited on L1 [default: the sender].")
@click.option("--account", "account_index", default=0, show_default=True, type=click.IntRange(0, 19),
              help="Demo user index (test mnemonic) that burns and sends the finalization.")
@click.option("--ingress", default=None, help="The rollup's ingress URL [default: the local sequencer's].")
@click.option("--deployment", default=".sequencer/deployment.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The sequencer's deployment record.")
@click.option("--timeout", default=600.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds to wait for a final batch.")
def cli(cli_ctx, rollup, tx_hash, amount, recipient, account_index, ingress, deployment, timeout):
    """Exit tokens from a rollup to L1: burn (or find the burn), wait for finality, finalize."""
    configure(cli_ctx.logger.level)
    if (tx_hash is None) == (amount is None):
        raise click.UsageError("give exactly one of --tx (an existing burn) or --amount (burn now)")
    account = accounts.user(account_index)
    console = CONSOLE
    try:
        chains = load_chains(deployment)
        if tx_hash is None:
            rollups = sorted(chains.deployment.rollups)
            url = ingress or f"http://127.0.0.1:{9545 + rollups.index(rollup)}"
            tx_hash = burn_to_l1(chains, url, account, rollup, recipient or account.address, int(amount * TOKEN))
            click.echo(f"burned on {rollup}: {tx_hash}")
        leg, block = find_burn(chains, rollup, tx_hash, console=console)
        click.echo(f"exit #{leg.nonce} from {rollup}: {leg.amount / TOKEN} tokens to {leg.recipient} on L1, "
                   f"burned in block {block}")
        sent, state = finalize(chains, account, leg, block, timeout, console)
    except (SvsError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    if sent is None:
        click.echo(f"exit #{leg.nonce} from {rollup} was finalized already")
    else:
        click.echo(f"exit #{leg.nonce} from {rollup} finalized on L1 (was {state}): tx {sent.tx_hash}, "
                   f"{sent.gas_used:,} gas; L1 balance of {leg.recipient}: {chains.l1_balance(leg.recipient) / TOKEN}")
