"""`ape run deposit`: move the token from L1 to a rollup.

The L1 bridge burns the L1 token from the account; the shared sequencer mints it on the rollup
in a tick after it sees the deposit, and the inbox refuses any batch that leaves it unserved past
the deposit window. Waits for the mint, with a progress display.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.deploy import accounts
from svs.errors import SvsError
from svs.run.bridging import TOKEN, deposit, load_chains
from svs.run.logs import configure
from svs.run.progress import CONSOLE



@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--to", "rollup", required=True, type=int, help="The rollup's chain id (e.g. 901).")
@click.option("--amount", required=True, type=click.FloatRange(min=0, min_open=True), help="Tokens (18 decimals).")
@click.option("--recipient", default=None, help="Account credited on the rollup [default: the sender].")
@click.option("--account", "account_index", default=0, show_default=True, type=click.IntRange(0, 19),
              help="Demo user index (test mnemonic) that holds the L1 tokens.")
@click.option("--deployment", default=".sequencer/deployment.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The sequencer's deployment record.")
@click.option("--timeout", default=120.0, show_default=True, type=click.FloatRange(min=1), help="Seconds to wait.")
def cli(cli_ctx, rollup, amount, recipient, account_index, deployment, timeout):
    """Deposit L1 tokens to a rollup and wait until the sequencer mints them."""
    configure(cli_ctx.logger.level)
    account = accounts.user(account_index)
    recipient = recipient or account.address
    wei = int(amount * TOKEN)
    try:
        chains = load_chains(deployment)
        sent, nonce, block = deposit(chains, account, rollup, recipient, wei, timeout, CONSOLE)
    except SvsError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"deposit #{nonce}: {amount} tokens from {account.address} on L1 (tx {sent.tx_hash}, "
               f"{sent.gas_used:,} gas) minted to {recipient} on {rollup} by block {block}")
