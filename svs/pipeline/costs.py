"""What a tick's transactions cost in their blocks, and the rule that decides what fits.

A cost is (rollup, gas used, unused gas of the transaction's limit, bytes). The builder measures
costs by simulation, but a full mempool offers far more candidates than the blocks hold (the
block size counts transactions, the gas limit decides), and simulating them all is the tick's
largest cost. So before each simulation it cuts, at *estimated* costs, what cannot fit anyway:

- before the users' transactions are simulated, each counts at the least gas a transaction of
  its kind (rollup, recipient, 4-byte selector) used in the last simulation that saw one, with
  the least legs that kind asked for; a kind never seen counts at its intrinsic gas, no legs;
- before the legs are simulated, each leg counts at the least gas a leg to that rollup used in
  the last destination simulation.

Estimates err low: an estimate only ever lets more in for simulation, which the exact cut after
it then trims. Where one errs high (a transaction cheaper than any of its kind seen before),
the limits are taken ``PRE_CUT_MARGIN`` larger and the oldest source is never cut, so no
estimate keeps a transaction out for good: it is deferred, not excluded, and once it is the
oldest it is simulated and measured.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from svs.codec.legs import Leg, destination_calldata, destination_gas
from svs.pipeline.limits import INTRINSIC_GAS, intrinsic_gas
from svs.pipeline.mempool import PendingTx

# The cuts at estimated costs take the limits this much larger: a transaction the exact cut skips
# lets a later, smaller one in, which a cut at estimated costs would have left out.
PRE_CUT_MARGIN = 0.1
LEG_TX_OVERHEAD_BYTES = 120  # a signed legacy transaction around its calldata
MAX_KINDS = 4096  # kinds of transaction whose least cost is remembered (the least recently seen go first)

Cost = tuple[int, int, int, int]  # (rollup, gas used, unused gas of its limit, bytes)
LegCosts = dict[str, list[Cost]]  # source (tx hash or deposit key) -> its legs' costs
Kind = tuple[int, str | None, bytes]  # (rollup, recipient, selector)


def not_fitting(ordered: list[PendingTx], chains, gas_used: dict[str, int], legs: LegCosts,
                first: list[str], gas_limit: int, bytes_cap: int, estimated: bool = False) -> dict[str, str]:
    """What does not fit the blocks, in global sequence order (``ordered``), after the sources
    ``first`` (deposits, minted first, whatever fits after). A transaction fits if, with its own
    gas (``gas_used``, else its limit) and bytes on its rollup and its legs' on their
    destinations, every block keeps (sum of gas used + largest unused gas limit) within the gas
    limit, which implies the node's own rule (gas used so far + the transaction's gas limit),
    and its bytes within the cap that lets one block of every rollup go to L1 in one submission.

    ``estimated``: the costs are estimates; the limits are taken ``PRE_CUT_MARGIN`` larger and
    the oldest source is never cut (module notes)."""
    margin = PRE_CUT_MARGIN if estimated else 0.0
    gas_cap, size_cap = int(gas_limit * (1 + margin)), int(bytes_cap * (1 + margin))
    used = {c: 0 for c in chains}
    slack = {c: 0 for c in chains}
    size = {c: 0 for c in chains}
    for key in first:
        for chain_id, gas, spare, nbytes in legs.get(key, []):
            used[chain_id] += gas
            slack[chain_id] = max(slack[chain_id], spare)
            size[chain_id] += nbytes
    too_big: dict[str, str] = {}
    for position, tx in enumerate(ordered):
        tx_used = gas_used.get(tx.hash, tx.tx.gas)
        costs = [(tx.chain_id, tx_used, tx.tx.gas - tx_used, len(tx.raw))] + legs.get(tx.hash, [])
        trial_used, trial_slack, trial_size = dict(used), dict(slack), dict(size)
        for chain_id, gas, spare, nbytes in costs:
            trial_used[chain_id] += gas
            trial_slack[chain_id] = max(trial_slack[chain_id], spare)
            trial_size[chain_id] += nbytes
        full = [c for c in chains if trial_used[c] + trial_slack[c] > gas_cap or trial_size[c] > size_cap]
        if full and not (estimated and position == 0):
            too_big[tx.hash] = (f"does not fit this tick's block on chain {full[0]} (gas limit "
                                f"{gas_limit:,}, {bytes_cap:,} transaction bytes); waits for the next")
            continue
        used, slack, size = trial_used, trial_slack, trial_size
    return too_big


def leg_costs(wanted, gas_of) -> LegCosts:
    """Each wanted leg's cost on its destination, by source: ``gas_of(chain, index, leg,
    calldata)`` gives (gas used, unused gas of its limit); the bytes are its calldata's plus a
    transaction's own."""
    costs: LegCosts = defaultdict(list)
    for chain_id, legs in wanted.items():
        for index, (source_hash, leg) in enumerate(legs):
            calldata = destination_calldata(leg)
            costs[source_hash].append((chain_id, *gas_of(chain_id, index, leg, calldata),
                                       len(calldata) + LEG_TX_OVERHEAD_BYTES))
    return costs


def measured_leg_costs(wanted, outcomes) -> LegCosts:
    """The legs' costs as the destination simulation measured them."""

    def measured(chain_id: int, index: int, leg: Leg, _: bytes) -> tuple[int, int]:
        used = min(destination_gas(leg), outcomes[chain_id][index][1])
        return used, destination_gas(leg) - used

    return leg_costs(wanted, measured)


def calldata_gas(calldata: bytes) -> int:
    zeros = calldata.count(0)
    return 4 * zeros + 16 * (len(calldata) - zeros)


@dataclass(frozen=True)
class _KindCost:
    gas: int  # the least gas a transaction of the kind used
    legs: dict[int, tuple[int, int]]  # destination -> least (gas, bytes) of its legs there; absent: none


def kind_of(tx: PendingTx) -> Kind:
    return tx.chain_id, tx.tx.to, tx.tx.data[:4]


class Estimates:
    """Low-rather-than-high costs learned from the last simulations (module notes). Memory is
    bounded: at most ``MAX_KINDS`` kinds are remembered."""

    def __init__(self, max_kinds: int = MAX_KINDS):
        self.max_kinds = max_kinds
        self.least_leg_gas: dict[int, int] = {}  # rollup -> least gas a leg to it used (last simulation)
        self._kinds: OrderedDict[Kind, _KindCost] = OrderedDict()

    # --- legs ---------------------------------------------------------------------------

    def learn_legs(self, outcomes: dict[int, list[tuple[bool, int]]]) -> None:
        """Remember, per rollup, the least gas a succeeding leg to it used."""
        for chain_id, results in outcomes.items():
            used = [gas for ok, gas in results if ok]
            if used:
                self.least_leg_gas[chain_id] = min(used)

    def legs(self, wanted) -> LegCosts:
        """The wanted legs' costs before they are simulated: the least gas a leg to that rollup
        used (at least the intrinsic and calldata gas), no unused gas."""
        def least(chain_id: int, _: int, leg: Leg, calldata: bytes) -> tuple[int, int]:
            floor = INTRINSIC_GAS + calldata_gas(calldata)
            return min(destination_gas(leg), max(floor, self.least_leg_gas.get(chain_id, 0))), 0

        return leg_costs(wanted, least)

    # --- sources ------------------------------------------------------------------------

    def learn_sources(self, txs: list[PendingTx], gas_used: dict[str, int], costs: LegCosts) -> None:
        """Remember, per kind, the least gas these simulated transactions used and the least
        legs they asked for (a destination some of them had no leg to counts as none)."""
        seen: dict[Kind, _KindCost] = {}
        for tx in txs:
            if tx.hash not in gas_used:
                continue
            legs: dict[int, tuple[int, int]] = {}
            for chain_id, gas, _, nbytes in costs.get(tx.hash, []):
                total = legs.get(chain_id, (0, 0))
                legs[chain_id] = (total[0] + gas, total[1] + nbytes)
            kind = kind_of(tx)
            before = seen.get(kind)
            if before is not None:
                legs = {c: (min(g, before.legs[c][0]), min(b, before.legs[c][1]))
                        for c, (g, b) in legs.items() if c in before.legs}
            seen[kind] = _KindCost(min(gas_used[tx.hash], before.gas if before else gas_used[tx.hash]), legs)
        for kind, cost in seen.items():
            self._kinds[kind] = cost
            self._kinds.move_to_end(kind)
        while len(self._kinds) > self.max_kinds:
            self._kinds.popitem(last=False)

    def sources(self, txs: list[PendingTx]) -> tuple[dict[str, int], LegCosts]:
        """The users' transactions' costs before they are simulated: per transaction hash, its
        gas (the least its kind used, within its intrinsic gas and its limit) and its legs'."""
        gas_used: dict[str, int] = {}
        costs: LegCosts = {}
        for tx in txs:
            floor = intrinsic_gas(tx.tx.data, tx.tx.to is None)
            learned = self._kinds.get(kind_of(tx))
            gas_used[tx.hash] = min(tx.tx.gas, max(floor, learned.gas if learned else 0))
            if learned and learned.legs:
                costs[tx.hash] = [(c, gas, 0, nbytes) for c, (gas, nbytes) in learned.legs.items()]
        return gas_used, costs
