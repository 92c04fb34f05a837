"""`ape run verify`: re-check every L1 batch against the rollup nodes; in optimistic mode,
challenge a provably bad one.

Reads the deployment record the sequencer wrote (``.sequencer/deployment.json`` by default).
Exits with status 1 if any batch was found bad.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import click
from ape.cli import ape_cli_context

from svs.deploy import accounts
from svs.deploy.record import Deployment
from svs.l1.beacon import BLOCK_IDS, BeaconBlobs
from svs.l1.inbox import InboxClient
from svs.l1.verifier import Verifier, verify_all
from svs.node.rollup import Rollup
from svs.run.logs import configure
from svs.run.progress import progress

log = logging.getLogger("verify")


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise click.BadParameter(f"{path} does not exist: start the sequencer first, or pass --deployment",
                                 param_hint="--deployment") from None
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"{path} is not JSON: {err}", param_hint="--deployment") from None


@click.command()
@ape_cli_context(default_log_level="WARNING")
@click.option("--deployment", default=".sequencer/deployment.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The sequencer's deployment record.")
@click.option("--challenge/--no-challenge", default=True, show_default=True,
              help="Optimistic mode: challenge the first provably bad batch.")
@click.option("--challenger", default=9, show_default=True, type=click.IntRange(0, 19),
              help="Dev account index (test mnemonic) that signs challenges and receives the bond.")
@click.option("--follow", is_flag=True, help="Keep watching for new batches until Ctrl-C.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between polls with --follow.")
@click.option("--attach", is_flag=True, help="The batches come from attach mode (a testnet record): the rollups' "
              "blocks do not advance together, so only batch ends are compared, not the blocks inside.")
@click.option("--beacon-url", default=None,
              help="Beacon API (GET /eth/v1/beacon/blobs) that serves the blobs of posts in blobs.  "
                   "[default: the L1 RPC URL, which anvil serves it on]")
@click.option("--beacon-ids", type=click.Choice(BLOCK_IDS), default="auto", show_default=True,
              help="How the beacon API names blocks: by slot (a beacon node), by L1 block number (anvil), or "
                   "auto (by slot if it answers a slot clock: /eth/v1/config/spec and /eth/v1/beacon/genesis).")
def cli(cli_ctx, deployment, challenge, challenger, follow, interval, attach, beacon_url, beacon_ids):
    """Verify the L1 batches of a deployment against the rollup nodes."""
    configure(cli_ctx.logger.level)
    record = _load(deployment)
    deployed = Deployment(record)
    l1 = deployed.l1
    if l1 is None or "BatchInbox" not in l1.contracts:
        raise click.ClickException(f"{deployment} records no L1 BatchInbox")
    sources = {c: Rollup.of(r) for c, r in deployed.rollups.items()}
    inbox = InboxClient(l1.rpc, l1["BatchInbox"])
    try:
        blobs = BeaconBlobs(beacon_url or l1.rpc, block_ids=beacon_ids)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--beacon-url") from err
    verifier = Verifier(inbox, sources, lockstep=not attach, blobs=blobs)
    signer = InboxClient(l1.rpc, inbox.address, accounts.dev_account(challenger)) if challenge else None
    click.echo(f"verifying the {'optimistic' if verifier.optimistic else 'strict'} inbox {inbox.address} "
               f"for rollups {verifier.rollups}")
    bad, index = 0, 0

    def heard(verdict) -> None:
        nonlocal bad
        click.echo(verdict.line())
        bad += not verdict.ok
        advance(text=f"verifying: batch #{verdict.index} checked, {bad} bad")

    with progress("verifying the L1 batches") as advance:
        while True:
            try:
                _, index = verify_all(verifier, signer, index, on_verdict=heard)
            except Exception as err:  # noqa: BLE001 - the L1 node failed (a batch never makes verify_all raise)
                if not follow:
                    raise click.ClickException(f"verification stopped at batch #{index}: "
                                               f"{type(err).__name__}: {err}") from err
                log.warning("verification round failed at batch #%d, retrying in %.1f s: %s: %s", index, interval,
                            type(err).__name__, err)
            if not follow:
                break
            advance(0, text=f"following: {index} batch(es) verified, {bad} bad; next look in {interval:g} s")
            time.sleep(interval)
    click.echo(f"{index} batch(es) verified, {bad} bad")
    raise SystemExit(1 if bad else 0)
