"""A pytest plugin for projects that build on the shared sequencer (entry point ``svs``).

Installed with the ``svs`` package; in a dApp's own ``ape test`` (or plain pytest) it gives:

- ``svs``: the shared sequencer, live: an L1 and two rollups (the ``svs_rollups`` ini option: 2
  to 16) on anvil (free ports), the system
  contracts deployed, the sequencer and its JSON-RPC ingress running in-process. Started once per
  test session; every test starts from the state the session had before it (the nodes' and the
  sequencer's state are snapshotted before each test and restored after it).
- ``svs_users``: funded development accounts (each holds ETH and the bridgeable token on every
  rollup).

Nothing ticks on its own: a test calls ``svs.tick()`` to build the next block of every rollup,
as the sequencer's clock would. See ``SharedSequencer`` for the helpers.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest

GAS_PRICE = 3 * 10**9


class SharedSequencer:
    """The live system a test talks to, with helpers for cross-chain work. Reads and writes go
    through the ingress over HTTP (``w3``), as a dApp's would."""

    def __init__(self, service):
        from web3 import Web3

        from svs.deploy.record import Deployment

        self.service = service
        self.chain_ids: list[int] = sorted(service.sequencer.chains)
        self.urls: dict[int, str] = {c: s.url for c, s in zip(self.chain_ids, service.servers)}
        self.ws_urls: dict[int, str] = {c: s.url for c, s in zip(self.chain_ids, service.sockets)}  # eth_subscribe
        self.w3 = {c: Web3(Web3.HTTPProvider(url)) for c, url in self.urls.items()}
        deployment = Deployment(service.deployment)
        self.addresses: dict[int, dict[str, str]] = {c: dict(r.contracts) for c, r in deployment.rollups.items()}
        self.l1_url: str = deployment.l1.rpc
        self.token: str = self.addresses[self.chain_ids[0]]["BridgeableToken"]

    @property
    def sequencer(self):
        return self.service.sequencer

    # --- blocks ----------------------------------------------------------------------------

    def tick(self):
        """Build, check and commit the next block of every rollup; returns the tick's report
        (``included``, ``excluded`` with reasons, ``legs``, ...)."""
        return self.sequencer.tick()

    # --- transactions ----------------------------------------------------------------------

    def send(self, chain_id: int, sender, call, gas: int = 500_000, value: int = 0) -> str:
        """Sign ``call`` (a web3 contract function call) with ``sender`` and send it to the
        rollup's ingress; returns the hash. It is built at the next ``tick()``."""
        w3 = self.w3[chain_id]
        tx = call.build_transaction({"from": sender.address, "chainId": chain_id, "gas": gas, "gasPrice": GAS_PRICE,
                                     "value": value,
                                     "nonce": w3.eth.get_transaction_count(sender.address, "pending")})
        return w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction).to_0x_hex()

    def deploy(self, chain_id: int, sender, contract, *args, gas: int = 3_000_000):
        """Deploy ``contract`` (an ape ContractContainer, e.g. ``project.MyApp``, or an object
        with ``abi`` and ``bytecode``) on a rollup, tick, and return a web3 contract. Its custom
        errors are registered, so exclusion reasons and simulations name them."""
        from svs.codec.reverts import register_errors

        abi, bytecode = _abi_and_bytecode(contract)
        register_errors(abi)  # the sequencer's reasons then name this contract's custom errors
        factory = self.w3[chain_id].eth.contract(abi=abi, bytecode=bytecode)
        tx_hash = self.send(chain_id, sender, factory.constructor(*args), gas=gas)
        self.tick()
        receipt = self.w3[chain_id].eth.get_transaction_receipt(tx_hash)
        if receipt.status != 1:
            raise AssertionError(f"deployment of {getattr(contract, 'name', 'the contract')} on {chain_id} reverted")
        return self.w3[chain_id].eth.contract(address=receipt.contractAddress, abi=abi)

    def contract(self, chain_id: int, name: str):
        """A system contract or the token on a rollup: ``MintBurnSystemContract``,
        ``GeneralSystemContract`` or ``BridgeableToken``."""
        from svs.deploy.artifacts import load_artifact

        return self.w3[chain_id].eth.contract(address=self.addresses[chain_id][name], abi=load_artifact(name).abi)

    def transfer(self, source: int, destination: int, sender, recipient: str, amount: int) -> str:
        """Move ``amount`` of the bridgeable token from ``sender`` on ``source`` to ``recipient``
        on ``destination`` (a burn whose mint lands in the same tick); returns the burn's hash."""
        call = self.contract(source, "MintBurnSystemContract").functions.burn(destination, recipient, self.token, amount)
        return self.send(source, sender, call)

    def trigger(self, source: int, destination: int, sender, target: str, data: bytes, gas_limit: int = 200_000) -> str:
        """Call ``target`` on ``destination`` with ``data`` from ``sender`` on ``source`` (its
        ``messageSender()`` there); returns the trigger's hash."""
        call = self.contract(source, "GeneralSystemContract").functions.trigger(destination, target, data, gas_limit)
        return self.send(source, sender, call)

    # --- what happened ---------------------------------------------------------------------

    def status(self, chain_id: int, tx_hash: str) -> dict | None:
        """``sequencer_getTransactionStatus``: pending, included (block, legs) or excluded (reason)."""
        reply = self.w3[chain_id].provider.make_request("sequencer_getTransactionStatus", [tx_hash])
        return reply["result"]

    def legs_of(self, chain_id: int, tx_hash: str) -> list[dict]:
        """The legs an included transaction made: kind, destination, and ``counterpart``, the
        hash of the leg's transaction on the destination."""
        status = self.status(chain_id, tx_hash)
        if status is None or status["status"] != "included":
            raise AssertionError(f"{tx_hash} is not included: {status}")
        return status["legs"]

    def simulate(self, chain_id: int, *txs: Any) -> dict:
        """``sequencer_simulate`` of call objects or signed transactions."""
        reply = self.w3[chain_id].provider.make_request("sequencer_simulate", [list(txs)])
        if "error" in reply:
            raise AssertionError(reply["error"]["message"])
        return reply["result"]

    def balance(self, chain_id: int, who: str) -> int:
        """The bridgeable token's balance of ``who`` on a rollup."""
        return self.contract(chain_id, "BridgeableToken").functions.balanceOf(who).call()

    # --- isolation -------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """The nodes' state (evm_snapshot) and a copy of the sequencer's journal."""
        from svs.node.chains import rpc_call

        path = Path(tempfile.mkstemp(suffix=".sqlite")[1])
        with sqlite3.connect(path) as copy:
            self.sequencer.journal._db.backup(copy)
        return {"nodes": {n.rpc_url: rpc_call(n.rpc_url, "evm_snapshot") for n in self.service.nodes},
                "journal": path}

    def revert(self, snapshot: dict) -> None:
        """Back to ``snapshot``: stop the sequencer, revert every node, restore the journal, and
        start a new sequencer behind the running ingress endpoints (it recovers as after a
        restart, so nothing of the test's leaks into the next)."""
        from svs.node.chains import rpc_call

        self.sequencer.close()
        for url, snapshot_id in snapshot["nodes"].items():
            if not rpc_call(url, "evm_revert", [snapshot_id]):
                raise RuntimeError(f"node {url} could not revert to snapshot {snapshot_id}")
        journal = self.service.options.state_dir / "journal.sqlite"
        for suffix in ("-wal", "-shm"):
            Path(str(journal) + suffix).unlink(missing_ok=True)
        shutil.move(snapshot["journal"], journal)
        sequencer = self.service.start_sequencer()
        for server in self.service.servers:
            server.ingress.serve(sequencer)


def _abi_and_bytecode(contract) -> tuple[list, str]:
    contract_type = getattr(contract, "contract_type", None)
    if contract_type is not None:  # ape's ContractContainer
        abi = [entry.model_dump(mode="json", by_alias=True) for entry in contract_type.abi]
        return abi, contract_type.deployment_bytecode.bytecode
    return contract.abi, contract.bytecode


def start(state_dir: Path, rollups: int = 2):
    """The live system on free ports: nodes, suite, sequencer, ingress (no clock)."""
    return SharedSequencer(start_service(state_dir, rollups, checkpoint_every=0))


def start_service(state_dir: Path, rollups: int = 2, **overrides):
    """A started ``Service`` on free ports, without a clock (tests tick it); ``overrides`` are
    ServiceOptions fields (batch_every, inbox, checkpoint_every, ...). The repository's own
    tests start theirs here too.

    Posts go in calldata unless ``data_availability`` says otherwise: a blob post spends ~0.2 s
    of CPU per blob on KZG proofs, which a test suite that posts on every few ticks pays for
    nothing (tests/l1/test_blobs.py and the CLI's default cover blobs)."""
    from svs.run.service import NODE_PORT_OFFSET, Service, ServiceOptions
    from svs.testing.ports import free_port_block

    base = free_port_block(rollups + 1, offset=NODE_PORT_OFFSET)
    options = ServiceOptions(rollups=rollups, block_time=0, l1_port=base + rollups, first_port=base,
                             ws_first_port=0, state_dir=state_dir, demo=False,
                             **{"data_availability": "calldata", **overrides})
    service = Service(options)
    try:
        service.start()
    except BaseException:
        service.shutdown()
        raise
    return service


def pytest_addoption(parser):
    parser.addini("svs_rollups", "rollups the svs fixture starts (chains 901, 902, ...), at least 2", default="2")


@pytest.fixture(scope="session")
def svs_session(tmp_path_factory, pytestconfig):
    """One live system for the session (see ``svs`` for the per-test view), with as many rollups
    as the ``svs_rollups`` ini option says (2 by default)."""
    rollups = int(pytestconfig.getini("svs_rollups"))
    if not 2 <= rollups <= 16:
        raise pytest.UsageError(f"svs_rollups = {rollups}: the shared sequencer runs 2 to 16 rollups")
    system = start(tmp_path_factory.mktemp("svs"), rollups)
    yield system
    system.service.shutdown()


@pytest.fixture
def svs(svs_session):
    """The shared sequencer, reverted to the session's state after the test."""
    snapshot = svs_session.snapshot()
    yield svs_session
    svs_session.revert(snapshot)


@pytest.fixture
def svs_users():
    """Funded development accounts (eth_account LocalAccounts)."""
    from svs.deploy import accounts

    return [accounts.user(i) for i in range(8)]
