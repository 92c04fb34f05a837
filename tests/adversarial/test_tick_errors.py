"""An error in a tick that is not a dead node, a foreign block or a failed self-check rolls the
tick back on every rollup; the transaction that caused it is isolated by halves and excluded
with the error as its reason; honest transactions of the same tick are delayed, never lost."""

from __future__ import annotations

import pytest

from svs.pipeline.builder import Builder
from svs.pipeline.sequencer import TickAbandoned
from tests.support.hostile import assert_nodes_alive
from tests.support.system import TOKEN


def test_a_transaction_that_makes_ticks_fail_is_isolated_and_excluded(system, users, monkeypatch):
    a, b = system.chain_ids
    honest = [system.burn(a, b, users[0], users[5].address, TOKEN)]
    honest += [system.trigger(a, b, users[i], by=i) for i in range(1, 6)]
    poison = system.trigger(b, a, users[6], by=3)
    honest += [system.burn(b, a, users[0], users[5].address, TOKEN)]
    judge = Builder._judge

    def crashes_on_poison(self, selected, *args):  # any bug a transaction can reach, after mining
        if any(t.hash == poison for txs in selected.values() for t in txs):
            raise RuntimeError("unexpected node answer")
        return judge(self, selected, *args)

    monkeypatch.setattr(Builder, "_judge", crashes_on_poison)
    heights = dict(system.sequencer.committed)
    with pytest.raises(TickAbandoned):
        system.sequencer.tick()
    assert system.sequencer.committed == heights
    for chain_id, height in heights.items():
        assert system.w3[chain_id].eth.block_number == height, "the failed tick was not rolled back"
    assert_nodes_alive(system)

    ticks = 1
    while system.sequencer.mempool.get(poison) is not None or any(system.sequencer.mempool.get(h) for h in honest):
        try:
            system.tick()
        except TickAbandoned:
            system.assert_invariants()
        ticks += 1
        assert ticks <= 12, "isolation by halves should take about 2 log2(7) ticks"
    status = system.status(b, poison)
    assert status["status"] == "excluded" and "made a tick fail" in status["reason"], status
    for tx in honest:
        chain = a if tx != honest[-1] else b
        assert system.status(chain, tx)["status"] == "included", system.status(chain, tx)
    assert_nodes_alive(system)
    system.tick()  # and the sequencer builds on as usual


def test_isolation_survives_a_restart_so_the_failing_transaction_is_not_replayed_among_all(system, users, monkeypatch):
    a, b = system.chain_ids
    honest = [system.trigger(a, b, users[i], by=i) for i in range(1, 5)]
    poison = system.trigger(b, a, users[6], by=3)
    judge = Builder._judge
    built: list[set[str]] = []

    def crashes_on_poison(self, selected, *args):
        built.append({t.hash for txs in selected.values() for t in txs})
        if poison in built[-1]:
            raise RuntimeError("unexpected node answer")
        return judge(self, selected, *args)

    monkeypatch.setattr(Builder, "_judge", crashes_on_poison)
    with pytest.raises(TickAbandoned):
        system.sequencer.tick()
    saved = system.sequencer.journal.suspects()
    assert sorted(h for group in saved for h in group) == sorted(honest + [poison]) and len(saved) == 2

    old = system.sequencer  # the sequencer restarts on the same state directory (the ingress
    system.service.start_sequencer()  # keeps the old object, which reads the same journal)
    assert system.sequencer is not old and system.sequencer._suspects.hashes() == saved
    built.clear()
    for _ in range(12):
        if system.sequencer.mempool.get(poison) is None:
            break
        try:
            system.tick()
        except TickAbandoned:
            system.assert_invariants()
    assert built and all(len(b) < len(honest) + 1 for b in built), "a restart built every suspect together again"
    assert system.status(b, poison)["status"] == "excluded"
    assert all(system.status(a, tx)["status"] == "included" for tx in honest)
    old.close()


def test_the_service_clock_survives_an_unexpected_error(system, monkeypatch):
    """The CLI's clock (Service.run_clock) logs an unexpected exception and keeps ticking."""
    import threading

    calls = {"n": 0}
    tick = system.sequencer.tick

    def flaky(allow_empty=True):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("a bug")
        if calls["n"] >= 3:
            system.service.stop()
        return tick(allow_empty=True)

    monkeypatch.setattr(system.sequencer, "tick", flaky)
    system.service.options.block_time = 0.05
    runner = threading.Thread(target=system.service.run_clock)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive() and calls["n"] >= 3
    assert_nodes_alive(system)
