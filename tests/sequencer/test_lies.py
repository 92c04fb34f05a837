"""A lying sequencer (svs.testing.faults) never gets a lie to stand on L1.

Each test runs the real sequencer with one kind of lie and the self-check off, posting every
tick. An honest tick comes first (its batch is accepted), then a tick that carries the lie. The
chains really hold the lie (balances show it); then the strict inbox must reject the batch, and
in optimistic mode the inbox accepts it and the verifier's challenge must void it and win the
bond.
"""

from __future__ import annotations

import pytest

from svs.codec.legs import TransferLeg
from svs.deploy import accounts
from svs.deploy.suite import InboxConfig
from svs.l1.verifier import verify_all
from svs.pipeline.builder import Builder
from svs.testing.faults import L1_LIES, UNBACKED_AMOUNT, Liar, Lie

from tests.support.system import TOKEN

MODES = {"strict": InboxConfig(), "optimistic": InboxConfig(optimistic=True, bond=10**18, challenge_window=600)}

# What the lie leaves on the destination rollup: (recipient's gain, sequencer's gain) for a
# burn of TOKEN, and the strict inbox's reason.
EFFECTS = {
    Lie.DROP_MINT: (0, 0, "InboxPairMismatch"),
    Lie.UNBACKED_MINT: (TOKEN, UNBACKED_AMOUNT, "InboxPairMismatch"),
    Lie.DOUBLE_MINT: (2 * TOKEN, 0, "InboxPairMismatch"),
    Lie.WRONG_AMOUNT: (2 * TOKEN, 0, "InboxPairMismatch"),
    Lie.WRONG_RECIPIENT: (0, TOKEN, "InboxPairMismatch"),
    Lie.SPLIT_TICKS: (0, 0, "InboxPairMismatch"),
    Lie.UNEVEN_CUT: (0, 0, None),  # no post while the mint is held back (see below)
    Lie.WRONG_STATE_ROOT: (TOKEN, 0, "TrieBadNodeHash"),
    Lie.WRONG_BLOCK_HASHES: (TOKEN, 0, None),  # needs a batch of two blocks (see below)
    Lie.SKIP_SELFCHECK: (0, 0, "InboxPairMismatch"),  # with a builder bug that drops mints
}


def _drop_mints_bug(monkeypatch) -> None:
    """SKIP_SELFCHECK changes nothing but the self-check, so the lie needs something for the
    self-check to catch: a builder bug that leaves out every mint (the honest sequencer halts on
    it, tests/sequencer/test_building.py)."""
    wanted_legs = Builder._wanted_legs

    def buggy(self, selected, seen, bases, **options):
        return {c: [(h, leg) for h, leg in legs if not isinstance(leg, TransferLeg)]
                for c, legs in wanted_legs(self, selected, seen, bases, **options).items()}

    monkeypatch.setattr(Builder, "_wanted_legs", buggy)


def _lying_tick(system, users, lie: Lie, monkeypatch):
    """An honest tick (batch 0), then the tick that carries the lie; returns its report."""
    a, b = system.chain_ids
    liar = system.sequencer.hooks
    liar.armed = False
    honest = system.sequencer.tick()
    assert honest.l1_batch.ok and honest.l1_batch.batch_index == 0, honest.line()
    liar.armed = True
    system.burn(a, b, users[0], users[1].address, TOKEN)
    if lie is Lie.SKIP_SELFCHECK:
        _drop_mints_bug(monkeypatch)
    return system.sequencer.tick()


# L1's lies (deposits ignored or made up) need a deposit or an L1 window: tests/sequencer/test_l1_legs.py.
ONE_TICK_LIES = [lie for lie in Lie if lie not in (Lie.UNEVEN_CUT, Lie.WRONG_BLOCK_HASHES, *L1_LIES)]


@pytest.mark.parametrize("lie", ONE_TICK_LIES, ids=[lie.value for lie in ONE_TICK_LIES])
def test_the_strict_inbox_rejects_the_batch_that_carries_the_lie(make_system, users, lie, monkeypatch):
    system = make_system(batch_every=1, hooks=Liar(lie))
    a, b = system.chain_ids
    sequencer = accounts.sequencer().address
    before = (system.balance(b, users[1].address), system.balance(b, sequencer))
    report = _lying_tick(system, users, lie, monkeypatch)
    recipient_gain, sequencer_gain, reason = EFFECTS[lie]
    assert system.sequencer.hooks.told or lie is Lie.SKIP_SELFCHECK
    assert (system.balance(b, users[1].address) - before[0], system.balance(b, sequencer) - before[1]) == \
        (recipient_gain, sequencer_gain), "the lie is not on the chain"
    assert report.roots_agree == (lie is Lie.WRONG_STATE_ROOT), report.line()
    assert not report.l1_batch.ok and reason in report.l1_batch.error, report.line()
    assert system.inbox().batch_count() == 1


@pytest.mark.parametrize("lie", ONE_TICK_LIES, ids=[lie.value for lie in ONE_TICK_LIES])
def test_the_optimistic_inbox_accepts_the_lie_and_a_challenge_voids_it(make_system, users, lie, monkeypatch):
    system = make_system(batch_every=1, hooks=Liar(lie), inbox=MODES["optimistic"])
    report = _lying_tick(system, users, lie, monkeypatch)
    assert report.l1_batch.ok and report.l1_batch.batch_index == 1, report.line()
    challenger = system.inbox(accounts.user(6))
    balance = challenger.w3.eth.get_balance(challenger.account.address)
    verdicts, resume = verify_all(system.verifier(), challenger)
    assert [v.ok for v in verdicts] == [True, False] and resume == 1, [v.line() for v in verdicts]
    assert verdicts[1].challenge.startswith("challenged batch #1"), verdicts[1].line()
    inbox = system.inbox()
    assert inbox.batch_count() == 1 and inbox.bond() == 0
    assert challenger.w3.eth.get_balance(challenger.account.address) > balance  # bond minus gas


@pytest.mark.parametrize("mode", list(MODES))
def test_a_split_pair_inside_one_batch_is_caught_at_the_batch_end(make_system, users, mode, monkeypatch):
    """Leg hashes carry their block: the late mint's leaf is not the burn's, so the batch that
    ends after both legs is rejected (strict) or challenged (optimistic), and the pair never
    agrees again, whatever the sequencer does next."""
    system = make_system(batch_every=2, hooks=Liar(Lie.SPLIT_TICKS), inbox=MODES[mode])
    a, b = system.chain_ids
    liar = system.sequencer.hooks
    liar.armed = False
    system.sequencer.tick()
    assert system.sequencer.tick().l1_batch.ok  # honest batch 0 (two ticks)
    liar.armed = True
    system.burn(a, b, users[0], users[1].address, TOKEN)
    system.sequencer.tick()  # the burn; its mint is held back
    late = system.sequencer.tick()  # the late mint, then the post of both blocks
    assert system.balance(b, users[1].address) == TOKEN  # the mint did come, one tick late
    assert not late.roots_agree, late.line()
    if mode == "strict":
        assert not late.l1_batch.ok and "InboxPairMismatch" in late.l1_batch.error, late.line()
        assert not system.sequencer.tick().roots_agree  # and it stays so
        return
    assert late.l1_batch.ok, late.line()
    verdicts, _ = verify_all(system.verifier(), system.inbox(accounts.user(6)))
    assert [v.ok for v in verdicts] == [True, False]
    assert verdicts[1].challenge.startswith("challenged batch #1"), verdicts[1].line()


@pytest.mark.parametrize("mode", list(MODES))
def test_a_delay_hidden_across_a_batch_end_by_an_uneven_cut_is_refused(make_system, users, mode):
    """The liar holds the mint back a tick, posts nothing meanwhile, then ends the source's range
    at the burn's block and the destination's after the late mint: each side's tree holds the
    leg at its range end. The inbox refuses the uneven cut in both modes."""
    system = make_system(batch_every=1, hooks=Liar(Lie.UNEVEN_CUT), inbox=MODES[mode])
    a, b = system.chain_ids
    liar = system.sequencer.hooks
    liar.armed = False
    assert system.sequencer.tick().l1_batch.ok
    liar.armed = True
    system.burn(a, b, users[0], users[1].address, TOKEN)
    held = system.sequencer.tick()
    assert held.l1_batch is None, held.line()  # the liar posts nothing while the mint is held back
    late = system.sequencer.tick()
    assert not late.l1_batch.ok and "InboxCutMismatch" in late.l1_batch.error, late.line()
    assert system.inbox().batch_count() == 1


def test_made_up_block_hashes_are_challenged_in_optimistic_mode(make_system, users):
    system = make_system(batch_every=2, hooks=Liar(Lie.WRONG_BLOCK_HASHES), inbox=MODES["optimistic"])
    liar = system.sequencer.hooks
    liar.armed = False
    system.sequencer.tick()
    assert system.sequencer.tick().l1_batch.ok
    liar.armed = True
    system.burn(*system.chain_ids, users[0], users[1].address, TOKEN)  # blocks with transactions: posted
    system.sequencer.tick()
    report = system.sequencer.tick()
    assert report.l1_batch.ok and liar.told, report.line()
    verdicts, _ = verify_all(system.verifier(), system.inbox(accounts.user(6)))
    assert [v.ok for v in verdicts] == [True, False]
    assert "block hashes break at link" in verdicts[1].challenge, verdicts[1].line()
    assert system.inbox().batch_count() == 1


@pytest.mark.parametrize("mode", list(MODES))
def test_a_dry_run_of_the_current_cut_finds_a_split_pair_in_both_modes(make_system, users, mode):
    """What the state machine checks after every tick (Batcher.dry_run) sees a lie that nothing
    has posted yet: the strict inbox's estimate reverts, and in optimistic mode the pairs a
    challenge would compare disagree."""
    system = make_system(batch_every=10**9, hooks=Liar(Lie.SPLIT_TICKS), inbox=MODES[mode])
    a, b = system.chain_ids
    liar, batcher = system.sequencer.hooks, system.sequencer.batcher
    liar.armed = False
    system.sequencer.tick()
    assert batcher.dry_run(system.sequencer.committed) is None
    liar.armed = True
    system.burn(a, b, users[0], users[1].address, TOKEN)
    system.sequencer.tick()
    system.sequencer.tick()  # the late mint
    refused = batcher.dry_run(system.sequencer.committed)
    expected = "InboxPairMismatch" if mode == "strict" else f"pairs disagree: transfer {a}->{b}"
    assert refused is not None and expected in refused, refused
    assert system.inbox().batch_count() == 0  # a dry run sends nothing
