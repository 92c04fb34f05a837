"""The lying machine: the crashing machine, and once per example, at a random step, a sequencer
that starts to lie (a random kind of svs.testing.faults.Lie, its self-check off).

It overrides what a lie must change: until the lie is told the honest invariants hold; once it is
told the chains hold the lie, so they are no longer checked, and every L1 post must leave no lie
standing instead: every batch left on L1 is true at its end (strict: the lie was rejected;
optimistic: the verifier's challenge voided it). No crash once the sequencer lies (a restarted
sequencer is an honest one).
"""

from __future__ import annotations

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from svs.deploy import accounts
from svs.l1.inbox import InboxClient
from svs.l1.verifier import Verifier, verify_all
from svs.testing.faults import L1_LIES, Liar, Lie

from .crashing import CrashingAtomicity
from .honest import event

CHALLENGER = 6


class LyingAtomicity(CrashingAtomicity):
    def __init__(self):
        super().__init__()
        self.liar: Liar | None = None

    @precondition(lambda self: self.liar is None)
    @rule(lie=st.sampled_from([lie for lie in Lie if lie not in L1_LIES]))  # those need a window to pass: test_l1_legs
    def start_lying(self, lie):
        self.liar = Liar(lie)
        self.harness.lie(self.liar)
        event(f"lie: {lie.value}")

    def _may_crash(self) -> bool:
        return self.liar is None and super()._may_crash()

    def _chains_are_honest(self) -> bool:
        return self.liar is None or not self.liar.told

    def _posted(self, report) -> None:
        if self._chains_are_honest():
            super()._posted(report)
            return
        event(f"lie told: {self.liar.lie.value}")
        self._no_lie_stands()

    def _no_lie_stands(self) -> None:
        """After a lie: in optimistic mode the verifier challenges; then every batch still
        standing must be true at its end (a split pair inside a batch is the documented limit)."""
        inbox = self.sequencer.batcher.inbox
        verifier = Verifier(inbox, self.sequencer.chains)
        if verifier.optimistic:
            challenger = InboxClient(inbox.w3.provider.endpoint_uri, inbox.address, accounts.user(CHALLENGER))
            verdicts, _ = verify_all(verifier, challenger)
            for verdict in verdicts:
                if verdict.challenge:
                    note(verdict.challenge)
                    event("challenge won" if verdict.challenge.startswith("challenged") else "challenge failed")
        standing, _ = verify_all(verifier, None)
        for verdict in standing:
            at_end = [p for p in verdict.problems if not p.startswith("inside the batch")]
            assert not at_end, f"lie {self.liar.lie.value} stands on L1: {verdict.line()}"
            assert verdict.ok or self.liar.lie is Lie.SPLIT_TICKS, verdict.line()
