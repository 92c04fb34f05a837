"""The atomicity state machines (tests/properties/honest.py, crashing.py, lying.py) on the real
sequencer: N = 2 with the strict inbox and N = 3 with the optimistic one. Each runs the lying
machine, which extends the crashing one, which extends the honest one, so every rule and every
invariant of the three runs in both.

A failure prints the steps that lead to it and a ``@reproduce_failure`` blob; in CI the examples
are derandomized, so a rerun gives the same ones. ``--hypothesis-show-statistics`` shows how
often each rule ran and what the examples did (the ``event`` lines).
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from svs.deploy.suite import InboxConfig
from tests.support.harness import Harness

from ..conftest import PROFILE
from .honest import CONTRACTS, SEEN
from .lying import LyingAtomicity

NEVER = 10**9  # the batcher's interval: posts happen only when the machine asks
# (examples, steps per example) by hypothesis profile; the suite's CI budget sets "ci"
BUDGET = {"ci": (10, 30), "dev": (20, 30), "thorough": (500, 60)}


def _run(make, tmp_path, rollups: int, inbox: InboxConfig, machine=LyingAtomicity):
    system = make(rollups, batch_every=NEVER, inbox=inbox)
    examples, steps = BUDGET.get(PROFILE, BUDGET["dev"])
    machine.harness = Harness(system, tmp_path / "examples")
    SEEN.clear()
    CONTRACTS.clear()
    run_state_machine_as_test(machine, settings=settings(settings.default, max_examples=examples,
                                                         stateful_step_count=steps))
    print(f"\n{machine.harness.examples} examples: " + ", ".join(f"{k} x{v}" for k, v in sorted(SEEN.items())))


def test_two_rollups_with_the_strict_inbox(make_system, tmp_path):
    _run(make_system, tmp_path, 2, InboxConfig())


def test_three_rollups_with_the_optimistic_inbox(make_system, tmp_path):
    _run(make_system, tmp_path, 3, InboxConfig(optimistic=True, bond=10**18, challenge_window=600))
