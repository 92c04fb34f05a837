"""The crashing machine: the honest machine, and a crash at a random phase of a tick followed
by a restart (the harness's hooks raise ``SimulatedCrash`` where the CLI would SIGKILL itself).

Whatever the recovery does (roll back or complete the tick), every pending transaction is played
exactly once: the honest machine's invariants and model hold after the restart.
"""

from __future__ import annotations

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from svs.pipeline.hooks import CRASH_POINTS
from tests.support.harness import SimulatedCrash

from .honest import HonestAtomicity, event


class CrashingAtomicity(HonestAtomicity):
    def _may_crash(self) -> bool:
        """A crash needs transactions (or deposits to mint) to lose."""
        return bool(self.model.pending or self.model.deposits)

    @precondition(lambda self: self._may_crash())
    @rule(phase=st.sampled_from(CRASH_POINTS))
    def crash_and_restart(self, phase):
        """Die at ``phase`` of a tick that carries transactions, restart, tick again."""
        self.harness.crash_at(phase)
        try:
            self.sequencer.tick()
            event("crash point not reached (no legs for between-chains)")
        except SimulatedCrash:
            event(f"crashed at {phase}")
        self.sequencer = self.harness.restart()
        report = self.sequencer.tick()
        note(f"crashed at {phase}, restarted: {report.line()}")
        self._played(self.model.tick())
