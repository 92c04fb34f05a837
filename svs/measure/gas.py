"""Gas of the four leg transactions (burn, mint, trigger, action), measured on a live chain.

Used by ``ape run gas`` (README table) and by ``tests/contracts/test_gas.py`` (the targets).
"first" is the first leg of a (source, destination) pair, which writes fresh storage (root,
count, branch and, for a mint, the recipient's balance); "steady" is the median of the legs
after it, the cost a busy pair pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any


@dataclass(frozen=True)
class GasFigure:
    first: int
    steady: int
    samples: tuple[int, ...]


def _figure(samples: list[int]) -> GasFigure:
    return GasFigure(first=samples[0], steady=int(median(samples[1:])), samples=tuple(samples))


def measure_leg_gas(
    mint_burn: Any,
    general: Any,
    token: Any,
    counter: Any,
    sequencer: Any,
    user: Any,
    recipient: Any,
    counterpart_chain_id: int,
    rounds: int = 8,
) -> dict[str, GasFigure]:
    """Send ``rounds`` of each leg kind with ape contract objects; return gas per kind.

    ``user`` must hold tokens; ``sequencer`` must be the system contracts' sequencer.
    """
    if rounds < 2:
        raise ValueError("rounds must be at least 2 (one first leg, then steady ones)")
    amount = 10**15
    data = bytes(counter.increment.as_transaction(1).data)
    call_gas = 100_000
    samples: dict[str, list[int]] = {"burn": [], "mint": [], "trigger": [], "action": []}
    for nonce in range(1, rounds + 1):  # leaf 0 of every tree is the genesis leaf
        samples["burn"].append(
            mint_burn.burn(counterpart_chain_id, recipient, token, amount, sender=user).gas_used
        )
        samples["mint"].append(
            mint_burn.mint(counterpart_chain_id, nonce, user, recipient, token, amount, sender=sequencer).gas_used
        )
        samples["trigger"].append(
            general.trigger(counterpart_chain_id, counter, data, call_gas, sender=user).gas_used
        )
        samples["action"].append(
            general.action(counterpart_chain_id, nonce, user, counter, data, call_gas, sender=sequencer).gas_used
        )
    return {kind: _figure(values) for kind, values in samples.items()}


def format_table(report: dict[str, GasFigure]) -> str:
    """Markdown table of a report, as pasted into the README."""
    lines = ["| transaction | first leg of a pair | steady state (median) |", "|---|---:|---:|"]
    for kind, figure in report.items():
        lines.append(f"| `{kind}` | {figure.first:,} | {figure.steady:,} |")
    return "\n".join(lines)


def measure_tree_gas(ours: Any, openzeppelin: Any, sender: Any, inserts: int = 16) -> dict[str, GasFigure]:
    """Gas of one insert transaction into IncrementalMerkleTree and into OpenZeppelin's
    MerkleTree (depth 32, root stored), through their test harnesses; the OZ setup transaction
    is reported as its "first"."""
    setup = openzeppelin.setup(sender=sender).gas_used
    ours_gas = [ours.insert(bytes([i % 256]) * 32, sender=sender).gas_used for i in range(1, inserts + 1)]
    oz_gas = [openzeppelin.insert(bytes([i % 256]) * 32, sender=sender).gas_used for i in range(1, inserts + 1)]
    return {
        "IncrementalMerkleTree insert": _figure(ours_gas),
        "OpenZeppelin MerkleTree setup + insert": GasFigure(
            first=setup + oz_gas[0], steady=int(median(oz_gas[1:])), samples=tuple(oz_gas)
        ),
    }
