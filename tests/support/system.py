"""A live system per test: L1 + rollups on anvil, the suite deployed, the sequencer and its
ingress running in-process on free ports. Tests drive ``tick()`` themselves (no clock), talk to
the ingress with web3.py, and every tick is followed by the invariant checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.deploy.record import Deployment
from svs.l1.inbox import InboxClient
from svs.l1.verifier import Verifier
from svs.run.service import Service
from svs.testing.invariants import check_all, total_supply
from svs.testing.plugin import start_service


GAS_PRICE = 3 * 10**9
TOKEN = 10**18


@dataclass
class System:
    service: Service
    state_dir: Path

    @property
    def sequencer(self):
        return self.service.sequencer

    @property
    def chain_ids(self) -> list[int]:
        return sorted(self.sequencer.chains)

    def __post_init__(self):
        self.w3 = {c: Web3(Web3.HTTPProvider(s.url)) for c, s in zip(self.chain_ids, self.service.servers)}
        self.urls = {c: s.url for c, s in zip(self.chain_ids, self.service.servers)}
        self.ws_urls = {c: s.url for c, s in zip(self.chain_ids, self.service.sockets)}
        self.addresses = {c: r.contracts for c, r in Deployment(self.service.deployment).rollups.items()}
        self.token = self.addresses[self.chain_ids[0]]["BridgeableToken"]
        self.initial_supply = total_supply(self.sequencer, self.token)

    def contract(self, chain_id: int, name: str, address: str | None = None):
        return self.w3[chain_id].eth.contract(address=address or self.addresses[chain_id][name],
                                              abi=load_artifact(name).abi)

    def send(self, chain_id: int, sender: LocalAccount, call, gas: int = 300_000, nonce: int | None = None) -> str:
        w3 = self.w3[chain_id]
        if nonce is None:
            nonce = w3.eth.get_transaction_count(sender.address, "pending")
        tx = call.build_transaction({"from": sender.address, "chainId": chain_id, "gas": gas,
                                     "gasPrice": GAS_PRICE, "nonce": nonce})
        return w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction).to_0x_hex()

    def burn(self, source: int, destination: int, sender: LocalAccount, recipient: str, amount: int) -> str:
        mint_burn = self.contract(source, "MintBurnSystemContract")
        return self.send(source, sender, mint_burn.functions.burn(destination, recipient, self.token, amount))

    def trigger(self, source: int, destination: int, sender: LocalAccount, by: int, gas_limit: int = 100_000) -> str:
        counter = self.contract(destination, "CrossChainCounter")
        general = self.contract(source, "GeneralSystemContract")
        return self.send(source, sender, general.functions.trigger(destination, counter.address,
                                                                   counter.encode_abi("increment", [by]), gas_limit))

    def balance(self, chain_id: int, who: str) -> int:
        return self.contract(chain_id, "BridgeableToken").functions.balanceOf(who).call()

    def status(self, chain_id: int, tx_hash: str) -> dict | None:
        return self.w3[chain_id].provider.make_request("sequencer_getTransactionStatus", [tx_hash])["result"]

    def inbox(self, account: LocalAccount | None = None) -> InboxClient:
        """The deployed L1 inbox, written to by ``account`` if given."""
        l1 = Deployment(self.service.deployment).l1
        return InboxClient(l1.rpc, l1["BatchInbox"], account)

    def verifier(self) -> Verifier:
        return Verifier(self.inbox(), self.sequencer.chains)

    def tick(self):
        report = self.sequencer.tick()
        self.assert_invariants()
        if report.l1_batch is not None:  # every honest batch must be accepted by the L1 inbox
            assert report.l1_batch.ok, report.l1_batch.line()
        return report

    def assert_invariants(self) -> None:
        violations = check_all(self.sequencer)
        assert not violations, "\n".join(violations)
        assert total_supply(self.sequencer, self.token) == self.initial_supply, "token supply changed"


def start_system(state_dir: Path, rollups: int = 2, **overrides) -> System:
    """A running system; ``overrides`` are ServiceOptions fields (batch_every, inbox, ...)."""
    return System(start_service(state_dir, rollups, **overrides), state_dir)


@pytest.fixture
def make_system(tmp_path):
    systems: list[System] = []

    def make(rollups: int = 2, **overrides) -> System:
        system = start_system(tmp_path / f"state{len(systems)}", rollups, **overrides)
        systems.append(system)
        return system

    yield make
    for system in systems:
        system.service.shutdown()


@pytest.fixture
def system(make_system) -> System:
    return make_system(2)


@pytest.fixture
def users():
    return [accounts.user(i) for i in range(8)]
