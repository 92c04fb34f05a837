"""One live system reused by many hypothesis examples, and the crash of its sequencer.

Starting anvil nodes and deploying takes seconds, so a system is started once per test and every
example begins from the same chain state: ``evm_revert`` on L1 and every rollup, then a new
sequencer with an empty journal in a new state directory, behind the same ingress.

The machine steps into the sequencer through ``MachineHooks``, the hooks (svs.pipeline.hooks)
every sequencer of the harness is made with: a crash at a named phase, and a liar once the
machine starts lying. A crash abandons the sequencer object in the middle of a tick
(``SimulatedCrash`` raised at the phase's crash point, where the CLI's ``KillAt`` would SIGKILL
itself) and starts a new one on the same state directory, which recovers from the journal. Nothing of the old object is used again, so what the
new one can see is what a restarted process would see: the journal (sqlite, committed at each
phase) and the chains. tests/sequencer/test_crash.py kills the real CLI process at each phase.
"""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.deploy.suite import CREATE2_FACTORY, SALT, create2_address
from svs.node.chains import rpc_call
from svs.pipeline.hooks import TickHooks, Wanted
from svs.pipeline.sequencer import Sequencer
from svs.testing.faults import Liar

from .system import GAS_PRICE, System


class SimulatedCrash(BaseException):
    """The sequencer process died here (BaseException: nothing in the sequencer catches it)."""


class MachineHooks(TickHooks):
    """A crash at ``crash_point`` (once), and ``liar``'s lie once it is set."""

    def __init__(self):
        self.crash_point: str | None = None
        self.liar: Liar | None = None

    @property
    def checks_roots(self) -> bool:
        return self.liar is None

    def at(self, point: str) -> None:
        if point == self.crash_point:
            self.crash_point = None
            raise SimulatedCrash(point)

    def legs(self, wanted: Wanted, bases: dict[int, int]) -> Wanted:
        return self.liar.legs(wanted, bases) if self.liar else wanted

    def committed(self, tick: int) -> None:
        if self.liar:
            self.liar.committed(tick)

    def post(self, batches):
        return self.liar.post(batches) if self.liar else batches


class Harness:
    def __init__(self, system: System, state_root: Path):
        self.system = system
        self.service = system.service
        self.state_root = state_root
        self.hooks = MachineHooks()
        self.examples = 0
        self.probes = self._deploy_probes()
        self._fund_users()
        self.urls = [node.rpc_url for node in self.service.nodes]
        self._snapshots = [rpc_call(url, "evm_snapshot") for url in self.urls]

    @property
    def sequencer(self) -> Sequencer:
        return self.service.sequencer

    def _deploy_probes(self) -> str:
        """ActionProbes (re-entering action targets) on every rollup, through the ingress."""
        code = load_artifact("ActionProbes").bytecode
        owner = accounts.owner()
        for chain_id, w3 in self.system.w3.items():
            tx = {"to": Web3.to_checksum_address(CREATE2_FACTORY), "data": SALT + code, "gas": 1_000_000,
                  "gasPrice": GAS_PRICE, "chainId": chain_id,
                  "nonce": w3.eth.get_transaction_count(owner.address, "pending")}
            w3.eth.send_raw_transaction(owner.sign_transaction(tx).raw_transaction)
        self.system.tick()
        address = create2_address(code)
        assert all(w3.eth.get_code(address) for w3 in self.system.w3.values()), "ActionProbes not deployed"
        return address

    def _fund_users(self, users: int = 4, amount: int = 10**24) -> None:
        """Dev user 0 holds the whole supply: give users 1.. some on every rollup."""
        holder = accounts.user(0)
        for chain_id in self.system.chain_ids:
            token = self.system.contract(chain_id, "BridgeableToken")
            for i in range(1, users):
                self.system.send(chain_id, holder, token.functions.transfer(accounts.user(i).address, amount))
        self.system.tick()

    def fresh(self) -> Sequencer:
        """Every chain back to the start, and a new sequencer with an empty journal."""
        self.sequencer.close()
        for i, url in enumerate(self.urls):
            if not rpc_call(url, "evm_revert", [self._snapshots[i]]):
                raise RuntimeError(f"evm_revert failed on {url}")
            self._snapshots[i] = rpc_call(url, "evm_snapshot")
        self.examples += 1
        self.service.options.state_dir = self.state_root / f"example{self.examples}"
        self.hooks = MachineHooks()
        return self._start()

    def crash_at(self, phase: str) -> None:
        """Make the next tick that carries transactions die at ``phase``."""
        self.hooks.crash_point = phase

    def lie(self, liar: Liar) -> None:
        """From the next tick on, the sequencer tells ``liar``'s lie (self-check off)."""
        liar.bind(self.sequencer)
        self.hooks.liar = liar

    def restart(self) -> Sequencer:
        """A new sequencer process on the same state directory (recovery from the journal)."""
        self.sequencer.builder.close()  # the dead process's threads; its journal is left as it was
        self.hooks.crash_point = None  # a crash point the tick never reached dies with the process
        return self._start()

    def _start(self) -> Sequencer:
        self.service.options.hooks = self.hooks
        sequencer = self.service.start_sequencer()
        for server in self.service.servers:
            server.ingress.sequencer = sequencer
        return sequencer
