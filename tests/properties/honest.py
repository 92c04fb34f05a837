"""The honest machine: the atomicity invariants of DESIGN.md under random use of the real
sequencer (hypothesis ``RuleBasedStateMachine`` on anvil rollups).

Rules: cross-chain transfers in every direction (valid, over balance, zero amount, zero
recipient), plain token transfers, triggers whose action succeeds, reverts, runs out of its gas
limit or re-enters, ticks and L1 posts.

After every step: the invariants of svs.testing.invariants (pair roots and counts equal, legs pair
up in the journal, heights equal), legs matched block by block from the chains' own logs, total
supply constant, the model's balances, counters and tree sizes equal the chains', every
transaction's sequencer_getTransactionStatus agrees with the chain and with the model, L1
accepted every post, and L1 would accept a post of the current cut (``Batcher.dry_run``: the
strict inbox's own checks as an estimate; in optimistic mode also the pairs a challenge compares).

``crashing.py`` extends it with crashes, ``lying.py`` with a lie; ``test_atomicity.py`` runs them.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import event as hypothesis_event
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from eth_utils import keccak

from svs.deploy import accounts
from svs.deploy.record import Deployment
from svs.l1.exits import BridgeClient, build_exit_proof, exit_state, find_exit
from svs.node.chains import L1_CHAIN_ID
from svs.pipeline.selfcheck import read_pair_roots
from svs.testing.invariants import check_all, legs_match_on_chain, total_supply
from tests.support.harness import Harness

from .model import EXCLUDED, INCLUDED, REVERTED, ZERO, Model, Tx

USERS = [accounts.user(i) for i in range(4)]
MAX_PENDING_DEPOSITS = 8  # well under the sequencer's 32 per rollup per tick
# Weighted toward what succeeds, so that successful legs are the common case.
ACTIONS = ("ok", "ok", "ok", "revert", "out-of-gas", "reenter")
AMOUNTS = ("valid", "valid", "valid", "over-balance", "zero", "zero-recipient")
TRIGGER_GAS_LIMIT = 100_000


BALANCE_OF = "0x" + keccak(text="balanceOf(address)")[:4].hex()
COUNT = "0x" + keccak(text="count()")[:4].hex()
CONTRACTS: dict = {}  # web3 contract objects by (chain, name, address): building one takes ~0.1 s
SEEN: Counter = Counter()  # what the examples did, printed after the run


def event(name: str) -> None:
    SEEN[name] += 1
    hypothesis_event(name)


class HonestAtomicity(RuleBasedStateMachine):
    harness: Harness  # set by the test function

    def __init__(self):
        super().__init__()
        self.sequencer = self.harness.fresh()
        self.system = self.harness.system
        self.chains = self.system.chain_ids
        self.token = self.system.token
        self.model = Model(self.chains, l1=L1_CHAIN_ID)
        self.bridge = self._bridge()
        self.checked_height = self.sequencer.committed[self.chains[0]]
        self.dirty = True
        self.played: list[Tx] = []
        self.serial = 0  # makes every transaction unique (an excluded one may be sent again)

    # --- setup -----------------------------------------------------------------------------

    @initialize()
    def read_starting_balances(self):
        for chain_id in self.chains:
            balances, counter = self._read_chain(chain_id)
            for user, balance in zip(USERS, balances):
                self.model.balances[(chain_id, user.address)] = balance
            self.model.counters[chain_id] = counter
        for user, balance in zip(USERS, self._l1_balances()):
            self.model.balances[(L1_CHAIN_ID, user.address)] = balance

    # --- user transactions -----------------------------------------------------------------

    @rule(source=st.integers(0, 2), offset=st.integers(1, 2), sender=st.integers(0, 3), recipient=st.integers(0, 3),
          kind=st.sampled_from(AMOUNTS), share=st.floats(0.01, 1.0))
    def cross_chain_transfer(self, source, offset, sender, recipient, kind, share):
        src = self.chains[source % len(self.chains)]
        dst = self.chains[(source + offset) % len(self.chains)]
        if src == dst:
            dst = self.chains[(source + 1) % len(self.chains)]
        user = USERS[sender]
        to = ZERO if kind == "zero-recipient" else USERS[recipient].address
        available = self.model.projected_balance(src, user.address)
        amount = {"valid": max(1, int(available * share)), "over-balance": available + 1,
                  "zero": 0, "zero-recipient": max(1, int(available * share))}[kind]
        mint_burn = self._contract(src, "MintBurnSystemContract")
        tx_hash = self._send(src, user, mint_burn.functions.burn(dst, to, self.token, amount))
        self.model.submit(Tx(tx_hash, src, user.address, "burn", destination=dst, recipient=to, amount=amount))
        event(f"transfer: {kind}")

    @rule(chain=st.integers(0, 2), sender=st.integers(0, 3), recipient=st.integers(0, 3), over=st.booleans(),
          share=st.floats(0.0, 1.0))
    def plain_transfer(self, chain, sender, recipient, over, share):
        chain_id = self.chains[chain % len(self.chains)]
        user, to = USERS[sender], USERS[recipient].address
        available = self.model.projected_balance(chain_id, user.address)
        amount = available + 1 if over else int(available * share)
        token = self._contract(chain_id, "BridgeableToken")
        tx_hash = self._send(chain_id, user, token.functions.transfer(to, amount))
        self.model.submit(Tx(tx_hash, chain_id, user.address, "transfer", recipient=to, amount=amount))

    @rule(source=st.integers(0, 2), offset=st.integers(1, 2), sender=st.integers(0, 3),
          action=st.sampled_from(ACTIONS), by=st.integers(1, 1000))
    def trigger(self, source, offset, sender, action, by):
        src = self.chains[source % len(self.chains)]
        dst = self.chains[(source + offset) % len(self.chains)]
        if src == dst:
            dst = self.chains[(source + 1) % len(self.chains)]
        counter = self._contract(dst, "CrossChainCounter")
        target, data, gas_limit = counter.address, counter.encode_abi("increment", [by]), TRIGGER_GAS_LIMIT
        if action == "revert":
            data = counter.encode_abi("increment", [0])
        elif action == "out-of-gas":
            gas_limit = 2_000  # increment writes storage: 20k gas at least
        elif action == "reenter":
            probes = self._contract(dst, "ActionProbes", self.harness.probes)
            target, data = probes.address, probes.encode_abi("reenterAction", [self.system.addresses[dst]
                                                                                ["GeneralSystemContract"]])
        general = self._contract(src, "GeneralSystemContract")
        tx_hash = self._send(src, USERS[sender], general.functions.trigger(dst, target, data, gas_limit))
        self.model.submit(Tx(tx_hash, src, USERS[sender].address, "trigger", destination=dst,
                             action_ok=action == "ok", by=by))
        event(f"trigger: {action}")

    # --- L1's legs -------------------------------------------------------------------------

    @precondition(lambda self: len(self.model.deposits) < MAX_PENDING_DEPOSITS)
    @rule(sender=st.integers(0, 3), chain=st.integers(0, 2), recipient=st.integers(0, 3), share=st.floats(0.01, 0.5))
    def deposit(self, sender, chain, recipient, share):
        """Deposit on L1 (mined at once); the next tick mints it."""
        user = USERS[sender]
        amount = int(self.model.balances[(L1_CHAIN_ID, user.address)] * share)
        if amount == 0:
            event("deposit: nothing to deposit")
            return
        chain_id = self.chains[chain % len(self.chains)]
        to = USERS[recipient].address
        self._bridge(user).deposit(chain_id, to, amount)
        self.model.deposit(user.address, chain_id, to, amount)
        self.dirty = True
        event("deposit")

    @rule(source=st.integers(0, 2), sender=st.integers(0, 3), share=st.floats(0.01, 1.0))
    def exit(self, source, sender, share):
        """Burn to L1, for the sender on L1."""
        src = self.chains[source % len(self.chains)]
        user = USERS[sender]
        amount = max(1, int(self.model.projected_balance(src, user.address) * share))
        mint_burn = self._contract(src, "MintBurnSystemContract")
        tx_hash = self._send(src, user, mint_burn.functions.burn(L1_CHAIN_ID, user.address, self.token, amount))
        self.model.submit(Tx(tx_hash, src, user.address, "burn", destination=L1_CHAIN_ID, recipient=user.address,
                             amount=amount))
        event("exit burned")

    @precondition(lambda self: bool(self.model.exits))
    @rule(which=st.integers(0, 100))
    def finalize_exit(self, which):
        """Finalize an exit on L1 once a final batch covers it; before that, the bridge refuses."""
        tx = self.model.exits[which % len(self.model.exits)]
        rollup = self.sequencer.chains[tx.chain]
        leg, block = find_exit(rollup, L1_CHAIN_ID, tx.hash)
        inbox = self.sequencer.batcher.inbox
        state, batch = exit_state(inbox, self.bridge, leg, block)
        if state != "final":
            event(f"exit not finalizable yet: {state}")
            assert state in ("burned", "proven"), state
            return
        self._bridge(USERS[3]).finalize_exit(leg, build_exit_proof(inbox, rollup, leg, batch, self.bridge))
        self.model.finalize(tx)
        self.dirty = True
        event("exit finalized")

    def _bridge(self, account=None) -> BridgeClient:
        l1 = Deployment(self.system.service.deployment).l1
        return BridgeClient(l1.rpc, l1["L1Bridge"], account)

    def _l1_balances(self) -> list[int]:
        token = self.bridge.w3.eth.contract(address=self.bridge.l1_token(), abi=self._contract(
            self.chains[0], "BridgeableToken").abi)
        return [token.functions.balanceOf(user.address).call() for user in USERS]

    def _send(self, chain_id: int, user, call) -> str:
        self.serial += 1
        return self.system.send(chain_id, user, call, gas=300_000 + self.serial)

    # --- the sequencer ---------------------------------------------------------------------

    @rule()
    def tick(self):
        report = self.sequencer.tick()
        note(report.line())
        self._played(self.model.tick())

    @rule()
    def post_to_l1(self):
        report = self.sequencer.batcher.post(self.sequencer.committed)
        if report is not None:
            note(report.line())
            event("post accepted" if report.ok else "post refused")
        self._posted(report)

    def _posted(self, report) -> None:
        """What must hold of a post: an honest batch is accepted."""
        assert report is None or report.ok, f"an honest batch was refused: {report.line()}"

    def _played(self, txs: list[Tx]) -> None:
        self.played += txs
        self.dirty = True

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def invariants_hold(self):
        if not self.dirty or not self._chains_are_honest():
            return
        self.dirty = False
        sequencer = self.sequencer
        violations = check_all(sequencer)
        height = sequencer.committed[self.chains[0]]
        violations += legs_match_on_chain(sequencer, self.checked_height + 1, height) if height > self.checked_height else []
        assert not violations, "\n".join(violations)
        assert total_supply(sequencer, self.token) == self.system.initial_supply, "token supply changed"
        for chain_id in self.chains:
            balances, counter = self._read_chain(chain_id)
            for i, (user, balance) in enumerate(zip(USERS, balances)):
                assert balance == self.model.balances[(chain_id, user.address)], f"balance of user {i} on {chain_id}"
            assert counter == self.model.counters[chain_id], f"counter on {chain_id}"
        for i, (user, balance) in enumerate(zip(USERS, self._l1_balances())):
            assert balance == self.model.balances[(L1_CHAIN_ID, user.address)], f"L1 balance of user {i}"
        for pair in read_pair_roots(sequencer.chains, sequencer.committed):
            assert pair.source_count == self.model.leaves[(pair.source, pair.destination, pair.kind)], \
                f"{pair.kind} tree {pair.source}->{pair.destination} has {pair.source_count} leaves"
        self._statuses_agree()
        refused = sequencer.batcher.dry_run(sequencer.committed)
        assert refused is None, f"L1 would refuse the cut at {sequencer.committed}: {refused}"
        self.checked_height = height

    def _chains_are_honest(self) -> bool:
        """Whether the chains must satisfy the invariants (yes: this sequencer does not lie)."""
        return True

    def _statuses_agree(self) -> None:
        """sequencer_getTransactionStatus, the chain and the model agree on every transaction
        played since the last check."""
        for tx in self.played:
            expected = self.model.outcomes[tx.hash]
            status = self.system.status(tx.chain, tx.hash)
            node = self.sequencer.chains[tx.chain].rpc
            receipt = node.call("eth_getTransactionReceipt", tx.hash)
            if expected == EXCLUDED:
                assert status["status"] == "excluded" and receipt is None, (tx, status)
                continue
            assert status["status"] == "included" and receipt is not None, (tx, status, expected)
            assert int(receipt["blockNumber"], 16) == status["block"], (tx, status)
            assert int(receipt["status"], 16) == (1 if expected == INCLUDED else 0), (tx, expected, receipt["status"])
            if expected == REVERTED:  # a reverted source has no leaf: it emitted nothing
                assert receipt["logs"] == [], (tx, receipt["logs"])
        self.played = []

    def _read_chain(self, chain_id: int) -> tuple[list[int], int]:
        """The users' token balances and the counter, from the node at the committed height."""
        block = hex(self.sequencer.committed[chain_id])
        calls = [("eth_call", [{"to": self.token, "data": BALANCE_OF + "00" * 12 + user.address[2:]}, block])
                 for user in USERS]
        calls.append(("eth_call", [{"to": self.system.addresses[chain_id]["CrossChainCounter"], "data": COUNT}, block]))
        values = [int(v, 16) for v in self.sequencer.chains[chain_id].rpc.batch_strict(calls)]
        return values[:-1], values[-1]

    def _contract(self, chain_id: int, name: str, address: str | None = None):
        key = (chain_id, name, address)
        if key not in CONTRACTS:
            CONTRACTS[key] = self.system.contract(chain_id, name, address)
        return CONTRACTS[key]
