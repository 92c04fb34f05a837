"""Moving the token between L1 and the rollups, as ``ape run deposit`` and ``ape run exit`` (and
the demo) do it: thin steps over svs.l1.exits, each waiting with a progress display.

- ``deposit``: the L1 bridge burns the L1 token; the sequencer mints on the rollup within a tick.
- ``burn_to_l1``: a rollup burn with destination L1, sent through the sequencer's ingress.
- ``finalize``: wait until a final batch covers the burn, build the proof, finalize on L1.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from rich.console import Console
from web3 import Web3

from svs.codec.legs import MINT_COUNT_SELECTOR, TransferLeg
from svs.deploy.artifacts import load_artifact
from svs.deploy.record import Deployment, RecordError
from svs.errors import SvsError
from svs.l1.contract import Sent
from svs.l1.exits import BridgeClient, build_exit_proof, exit_state, find_exit
from svs.l1.inbox import InboxClient
from svs.node.rollup import Rollup

GAS_PRICE = 3 * 10**9
POLL = 0.25
TOKEN = 10**18


class BridgingError(SvsError, RuntimeError):
    """A deposit or exit could not go on (bad arguments, or a wait that timed out)."""


@dataclass(frozen=True)
class Chains:
    """The deployment, as the bridging steps need it."""

    deployment: Deployment

    @property
    def l1_chain_id(self) -> int:
        return self._l1.chain_id

    @property
    def _l1(self):
        l1 = self.deployment.l1
        if l1 is None or "L1Bridge" not in l1.contracts:
            raise BridgingError("the deployment record has no L1Bridge: deploy the suite again with this version")
        return l1

    def bridge(self, account: LocalAccount | None = None) -> BridgeClient:
        return BridgeClient(self._l1.rpc, self._l1["L1Bridge"], account)

    def inbox(self) -> InboxClient:
        return InboxClient(self._l1.rpc, self._l1["BatchInbox"])

    def rollup(self, chain_id: int) -> Rollup:
        if chain_id not in self.deployment.rollups:
            raise BridgingError(f"chain {chain_id} is not a rollup of this deployment "
                                f"({', '.join(map(str, self.deployment.rollups))})")
        return Rollup.of(self.deployment.rollups[chain_id])

    def l1_balance(self, who: str) -> int:
        bridge = self.bridge()
        token = bridge.w3.eth.contract(address=bridge.l1_token(), abi=load_artifact("BridgeableToken").abi)
        return token.functions.balanceOf(Web3.to_checksum_address(who)).call()


def load_chains(path: Path) -> Chains:
    """The deployment record at ``path`` (BridgingError if it is missing or not a record)."""
    try:
        record = Deployment.load(path)
    except RecordError as err:
        raise BridgingError(str(err)) from err
    if record is None:
        raise BridgingError(f"{path} does not exist: start the sequencer first, or pass --deployment")
    return Chains(record)


def _waiting(console: Console | None, text: str):
    return console.status(text) if console is not None else nullcontext()


def deposit(chains: Chains, account: LocalAccount, rollup: int, recipient: str, amount: int,
            timeout: float = 120.0, console: Console | None = None) -> tuple[Sent, int, int]:
    """Deposit and wait for the mint. Returns (the L1 transaction, the deposit's nonce, the
    rollup block the mint landed in)."""
    target = chains.rollup(rollup)
    bridge = chains.bridge(account)
    sent = bridge.deposit(rollup, Web3.to_checksum_address(recipient), amount)
    nonce = bridge.deposit_count(rollup) - 1
    deadline = time.monotonic() + timeout
    with _waiting(console, f"deposit #{nonce}: waiting for the sequencer to mint it on {rollup}"):
        while time.monotonic() < deadline:
            head = int(target.rpc.call("eth_blockNumber"), 16)
            served = int(target.rpc.call("eth_call", {"to": target.mint_burn, "data": "0x" + (
                MINT_COUNT_SELECTOR + chains.l1_chain_id.to_bytes(32, "big")).hex()}, hex(head)), 16)
            if served > nonce:
                return sent, nonce, head
            time.sleep(POLL)
    raise BridgingError(f"deposit #{nonce} to {rollup} not minted after {timeout:.0f} s: is the sequencer running?")


def burn_to_l1(chains: Chains, ingress_url: str, account: LocalAccount, rollup: int, recipient: str,
               amount: int) -> str:
    """Burn ``amount`` on ``rollup`` for ``recipient`` on L1, through the sequencer's ingress."""
    entry = chains.deployment.rollups[chains.rollup(rollup).chain_id]
    w3 = Web3(Web3.HTTPProvider(ingress_url))
    mint_burn = w3.eth.contract(address=entry["MintBurnSystemContract"], abi=load_artifact("MintBurnSystemContract").abi)
    tx = mint_burn.functions.burn(chains.l1_chain_id, Web3.to_checksum_address(recipient), entry["BridgeableToken"],
                                  amount).build_transaction({
                                      "from": account.address, "chainId": rollup, "gas": 300_000, "gasPrice": GAS_PRICE,
                                      "nonce": w3.eth.get_transaction_count(account.address, "pending")})
    return w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction).to_0x_hex()


def find_burn(chains: Chains, rollup: int, tx_hash: str, timeout: float = 60.0,
              console: Console | None = None) -> tuple[TransferLeg, int]:
    """The exit leg ``tx_hash`` made, waiting for the transaction to be included."""
    source = chains.rollup(rollup)
    deadline = time.monotonic() + timeout
    with _waiting(console, f"waiting for {tx_hash} to be included on {rollup}"):
        while True:
            if source.rpc.call("eth_getTransactionReceipt", tx_hash) is not None or time.monotonic() > deadline:
                return find_exit(source, chains.l1_chain_id, tx_hash)
            time.sleep(POLL)


def finalize(chains: Chains, account: LocalAccount, leg: TransferLeg, block: int, timeout: float = 600.0,
             console: Console | None = None) -> tuple[Sent | None, str]:
    """Wait until a final batch covers the exit, then finalize it. Returns (the L1 transaction,
    or None if it was finalized already, and the state it was found in)."""
    inbox, bridge = chains.inbox(), chains.bridge(account)
    deadline = time.monotonic() + timeout
    state, batch = exit_state(inbox, bridge, leg, block)
    first_state = state
    with _waiting(console, f"exit #{leg.nonce} from {leg.source}: {state}; waiting for a final batch"):
        while state in ("burned", "proven"):
            if time.monotonic() > deadline:
                raise BridgingError(f"exit #{leg.nonce} from {leg.source} still {state} after {timeout:.0f} s")
            time.sleep(POLL * 4)
            state, batch = exit_state(inbox, bridge, leg, block)
    if state == "finalized":
        return None, first_state
    proof = build_exit_proof(inbox, chains.rollup(leg.source), leg, batch, bridge)
    return bridge.finalize_exit(leg, proof), first_state
