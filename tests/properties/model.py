"""What the chains must hold, computed without them.

The model is told every transaction the state machine submits, and at each tick it plays the
tick the way the design says a tick goes: on every rollup the user transactions in submission
order, then the destination legs. A burn reverts at its source (no leaf, no mint) unless the
recipient is non-zero, the amount non-zero and the sender has it; a trigger whose action fails is
left out of the tick altogether, with every later transaction of its sender on that rollup.

L1 (``l1``): a deposit leaves the depositor's L1 balance at once and arrives, with the tick's
other destination legs, in the next tick; a burn to L1 (an exit) leaves the rollup at its tick
and reaches L1 only when it is finalized there (``finalize``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

ZERO = "0x" + "00" * 20

INCLUDED, REVERTED, EXCLUDED = "included", "reverted", "excluded"  # REVERTED: included, status 0


@dataclass
class Tx:
    hash: str
    chain: int
    sender: str
    kind: str  # "burn", "transfer", "trigger"
    destination: int | None = None
    recipient: str | None = None
    amount: int = 0
    action_ok: bool = True  # trigger: whether the action succeeds
    by: int = 0  # trigger: the counter increment


@dataclass
class Model:
    chains: list[int]
    balances: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    counters: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # (source, destination, "transfer" | "call") -> leaves in the source's outbound tree,
    # the genesis leaf included
    leaves: dict[tuple[int, int, str], int] = field(default_factory=lambda: defaultdict(lambda: 1))
    pending: list[Tx] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    l1: int = 0  # L1's chain id (its balances are keyed by it too)
    deposits: list[tuple[int, str, int]] = field(default_factory=list)  # (rollup, recipient, amount), not minted yet
    exits: list[Tx] = field(default_factory=list)  # burns to L1 included, not finalized yet

    def deposit(self, sender: str, rollup: int, recipient: str, amount: int) -> None:
        self.balances[(self.l1, sender)] -= amount
        self.deposits.append((rollup, recipient, amount))

    def finalize(self, exit_tx: Tx) -> None:
        self.exits.remove(exit_tx)
        self.balances[(self.l1, exit_tx.recipient)] += exit_tx.amount

    def submit(self, tx: Tx) -> None:
        self.pending.append(tx)

    def projected_balance(self, chain: int, who: str) -> int:
        """The balance once the pending transactions ran, ignoring incoming mints (what a user
        picking an amount would look at)."""
        balance = self.balances[(chain, who)]
        for tx in self.pending:
            if tx.chain == chain and tx.sender == who and tx.kind in ("burn", "transfer"):
                balance -= tx.amount
        return max(balance, 0)

    def tick(self) -> list[Tx]:
        """Play the pending transactions as one tick; return them with their outcomes set."""
        played, self.pending = self.pending, []
        cut: set[tuple[int, str]] = set()
        arrivals: list[tuple[int, str, int]] = list(self.deposits)  # minted first among the legs
        self.deposits = []
        increments: list[tuple[int, int]] = []
        for tx in played:
            if (tx.chain, tx.sender) in cut:
                self.outcomes[tx.hash] = EXCLUDED
            elif tx.kind == "trigger":
                if not tx.action_ok:
                    self.outcomes[tx.hash] = EXCLUDED
                    cut.add((tx.chain, tx.sender))
                else:
                    self.outcomes[tx.hash] = INCLUDED
                    self.leaves[(tx.chain, tx.destination, "call")] += 1
                    increments.append((tx.destination, tx.by))
            elif tx.kind == "burn":
                if tx.recipient != ZERO and 0 < tx.amount <= self.balances[(tx.chain, tx.sender)]:
                    self.outcomes[tx.hash] = INCLUDED
                    self.balances[(tx.chain, tx.sender)] -= tx.amount
                    self.leaves[(tx.chain, tx.destination, "transfer")] += 1
                    if tx.destination == self.l1:
                        self.exits.append(tx)
                    else:
                        arrivals.append((tx.destination, tx.recipient, tx.amount))
                else:
                    self.outcomes[tx.hash] = REVERTED
            elif tx.kind == "transfer":
                if tx.amount <= self.balances[(tx.chain, tx.sender)]:
                    self.outcomes[tx.hash] = INCLUDED
                    self.balances[(tx.chain, tx.sender)] -= tx.amount
                    self.balances[(tx.chain, tx.recipient)] += tx.amount
                else:
                    self.outcomes[tx.hash] = REVERTED
            else:
                raise ValueError(f"unknown transaction kind {tx.kind}")
        for chain, who, amount in arrivals:  # destination legs come after every user transaction
            self.balances[(chain, who)] += amount
        for chain, by in increments:
            self.counters[chain] += by
        return played
