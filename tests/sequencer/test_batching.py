"""The running sequencer posts every rollup's batch to L1 every K ticks when there are blocks
with transactions, after the self-check, and the inbox accepts them (both modes); without
transactions it posts only at the heartbeat. Status and the tick log show the last batch."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest

from svs.deploy.suite import InboxConfig
from svs.l1.batcher import MAX_DATA_BYTES
from svs.l1.inbox import InboxClient
from svs.l1.verifier import verify_all

from tests.support.system import TOKEN

MODES = {"strict": InboxConfig(), "optimistic": InboxConfig(optimistic=True, bond=10**18, challenge_window=600)}


@pytest.mark.parametrize("mode", ["strict", "optimistic"])
def test_batches_are_posted_every_k_ticks_and_accepted(make_system, users, mode):
    system = make_system(batch_every=3, inbox=MODES[mode])
    a, b = system.chain_ids
    inbox = system.inbox()
    assert inbox.optimistic() == (mode == "optimistic")
    posted = []
    for i in range(7):
        system.burn(a, b, users[0], users[1].address, TOKEN)
        system.trigger(b, a, users[2], by=i + 1)
        report = system.tick()
        posted.append(report.l1_batch is not None)
        if report.l1_batch is not None:
            assert report.l1_batch.ok and f"L1 batch #{report.l1_batch.batch_index} accepted" in report.line()
    assert posted == [False, False, True, False, False, True, False]
    assert inbox.batch_count() == 2
    status = system.w3[a].provider.make_request("sequencer_status", [])["result"]
    last = status["lastL1Batch"]
    assert last["ok"] and last["batchIndex"] == 1 and last["gasUsed"] > 0
    heights_at_post = {c: system.sequencer.committed[c] - 1 for c in system.chain_ids}  # one tick since
    for chain_id in system.chain_ids:
        assert last["ranges"][str(chain_id)]["lastBlock"] == heights_at_post[chain_id]
        assert inbox.next_block(chain_id) == heights_at_post[chain_id] + 1
    verdicts, _ = verify_all(system.verifier(), None)
    assert [v.ok for v in verdicts] == [True, True], [v.line() for v in verdicts]


def test_a_failed_post_is_reported_and_ticks_go_on(make_system, users):
    system = make_system(batch_every=1)
    a, b = system.chain_ids
    l1 = next(n for n in system.service.nodes if n.role == "l1")
    l1_rpc = InboxClient(l1.rpc_url, system.inbox().address).w3.provider
    l1_rpc.make_request("anvil_setBalance", [system.sequencer.address, "0x0"])  # cannot pay for L1 gas
    system.burn(a, b, users[0], users[1].address, TOKEN)
    report = system.sequencer.tick()
    assert report.l1_batch is not None and not report.l1_batch.ok
    assert "L1 batch FAILED" in report.line()
    status = system.sequencer.status()["lastL1Batch"]
    assert status["ok"] is False and status["error"]
    l1_rpc.make_request("anvil_setBalance", [system.sequencer.address, hex(10**20)])
    report = system.tick()  # the next post covers both ticks' blocks
    assert report.l1_batch.ok and report.l1_batch.batch_index == 0
    assert report.l1_batch.ranges[a][1] == system.sequencer.committed[a]


def test_a_backlog_too_large_for_one_post_is_posted_in_parts_until_caught_up(make_system, users):
    system = make_system(batch_every=3)
    a, b = system.chain_ids
    system.sequencer.batcher.max_data_bytes = 1  # every post shrinks to one block per rollup
    for i in range(3):
        system.burn(a, b, users[0], users[1].address, TOKEN)
        report = system.tick()
    # Tick 3 posts only up to the block where both system contracts exist (block 2: a batch
    # must end where their accounts can be proven); then one part per tick until caught up.
    first = report.l1_batch
    assert first.ok and first.ranges[a] == (1, 2) and first.ranges[b] == (1, 2)
    second = system.tick().l1_batch  # behind: posts again on the very next tick, one more block
    assert second.ok and second.ranges[a] == (3, 3)
    system.sequencer.batcher.max_data_bytes = MAX_DATA_BYTES
    third = system.tick().l1_batch  # everything left, in one post
    assert third.ok and third.ranges[a] == (4, system.sequencer.committed[a])
    assert system.inbox().next_block(a) == system.sequencer.committed[a] + 1  # caught up
    system.burn(a, b, users[0], users[1].address, TOKEN)
    assert system.tick().l1_batch.ranges[a] == (system.sequencer.committed[a],) * 2  # tick 6: every 3rd
    system.burn(a, b, users[0], users[1].address, TOKEN)
    assert system.tick().l1_batch is None  # tick 7: not behind, not a 3rd tick


def _empty_ticks(system, count: int) -> list[bool]:
    return [system.tick().l1_batch is not None for _ in range(count)]


def test_blocks_without_transactions_are_posted_only_at_the_heartbeat(make_system, users):
    system = make_system(batch_every=2, heartbeat=6)
    a, b = system.chain_ids
    inbox = system.inbox()
    assert _empty_ticks(system, 2) == [False, True]  # after a start the batcher does not know: it posts once
    assert _empty_ticks(system, 8) == [False] * 5 + [True] + [False] * 2  # 6 ticks since that post
    posted = inbox.batch_count()
    system.burn(a, b, users[0], users[1].address, TOKEN)
    system.tick()  # a transaction: the next 2nd tick posts, the empty ticks before it with it
    report = system.tick()
    assert report.l1_batch is not None and inbox.batch_count() == posted + 1
    assert inbox.next_block(a) == system.sequencer.committed[a] + 1  # every block is on L1
    assert _empty_ticks(system, 4) == [False, False, False, False]  # the heartbeat counts from that post


def test_without_a_heartbeat_only_blocks_with_transactions_are_posted(make_system, users):
    system = make_system(batch_every=1, heartbeat=0)
    a, b = system.chain_ids
    inbox = system.inbox()
    assert _empty_ticks(system, 1) == [True]
    assert _empty_ticks(system, 12) == [False] * 12
    system.trigger(b, a, users[2], by=1)
    report = system.tick()
    assert report.l1_batch is not None and report.l1_batch.ranges[a][0] == report.l1_batch.ranges[a][1] - 12
    assert inbox.next_block(b) == system.sequencer.committed[b] + 1


def test_committed_ticks_counted_together_post_when_they_pass_a_kth_tick(make_system, users, monkeypatch):
    """The poster hands the batcher every tick committed during a post at once (svs.l1.poster):
    a post is due when the count passes a multiple of K, as it would have tick by tick."""
    system = make_system(batch_every=4, heartbeat=0)
    batcher = system.sequencer.batcher
    posts = []
    monkeypatch.setattr(batcher, "post", lambda heights: posts.append(dict(heights)) or None)
    heights = dict(system.sequencer.committed)
    assert batcher.on_commit(heights, busy=True, ticks=3) is None and posts == []  # ticks 1-3
    batcher.on_commit(heights, busy=False, ticks=2)  # ticks 4-5 pass the 4th, with transactions from before
    assert posts == [heights]
    batcher.on_commit(heights, busy=True, ticks=2)  # ticks 6-7: no multiple of 4
    assert len(posts) == 1
    batcher.on_commit(heights, busy=False, ticks=9)  # ticks 8-16 pass the 8th, 12th and 16th: one post
    assert len(posts) == 2
    with pytest.raises(ValueError):
        batcher.on_commit(heights, busy=True, ticks=0)


def _l1_pool(system) -> list[dict]:
    content = _l1(system).make_request("txpool_content", [])["result"]["pending"]
    return [tx for by_sender in content.values() for tx in by_sender.values()
            if tx["from"].lower() == system.sequencer.address.lower()]


def _l1(system):
    l1 = next(n for n in system.service.nodes if n.role == "l1")
    return InboxClient(l1.rpc_url, system.inbox().address).w3.provider


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def test_the_clock_builds_on_while_l1_does_not_mine_a_post(make_system, users):
    """A post waits for its L1 receipt (one L1 block, or minutes when L1 does not mine it). The
    clock posts from the poster's thread, so the rollups keep their block time meanwhile, and
    the next post covers every block committed while the first one waited."""
    system = make_system(batch_every=1)
    a, b = system.chain_ids
    system.tick()  # the first post (the batcher does not know what L1 has): on automine
    inbox = system.inbox()
    posted = inbox.batch_count()
    with _clock_against_a_paused_l1(system) as clock:
        system.burn(a, b, users[0], users[1].address, TOKEN)
        [stuck] = _wait_for(lambda: _l1_pool(system), 30, "the post to reach L1's pool")
        held_at = dict(system.sequencer.committed)
        _wait_for(lambda: system.sequencer.committed[a] >= held_at[a] + 10, 30, "ten ticks while the post waits")
        assert _l1_pool(system) == [stuck] and inbox.batch_count() == posted  # still waiting, alone
        assert clock.is_alive()

        _let_l1_mine(system)  # the stuck post lands; the next one covers the ticks since
        _wait_for(lambda: inbox.batch_count() >= posted + 2, 60, "the post after the stuck one")
        _wait_for(lambda: inbox.next_block(a) > held_at[a] + 10, 60, "a post of the blocks built meanwhile")
    assert system.sequencer.last_batch["ok"], system.sequencer.last_batch
    _assert_every_batch_verifies(system)


@contextmanager
def _clock_against_a_paused_l1(system):
    """The service's clock at 0.1 s blocks, in a thread, while L1 mines only when told."""
    _l1(system).make_request("evm_setAutomine", [False])
    system.service.options.block_time = 0.1
    clock = threading.Thread(target=system.service.run_clock, daemon=True)
    try:
        clock.start()
        yield clock
    finally:
        _l1(system).make_request("evm_setAutomine", [True])
        system.service.stop()
        clock.join(30)
    assert not clock.is_alive()


def _let_l1_mine(system) -> None:
    _l1(system).make_request("evm_setAutomine", [True])
    _l1(system).make_request("evm_mine", [])


def _assert_every_batch_verifies(system) -> None:
    verdicts, _ = verify_all(system.verifier(), None)
    assert verdicts and all(v.ok for v in verdicts), [v.line() for v in verdicts]


def test_a_poster_whose_post_raises_carries_on_with_the_next_tick(make_system, users, monkeypatch):
    system = make_system(batch_every=1)
    a, b = system.chain_ids
    batcher = system.sequencer.batcher
    on_commit, calls = batcher.on_commit, []

    def first_raises(heights, busy=True, ticks=1):
        calls.append(ticks)
        if len(calls) == 1:
            raise RuntimeError("a bug in the batcher")
        return on_commit(heights, busy, ticks)

    monkeypatch.setattr(batcher, "on_commit", first_raises)
    system.sequencer.post_in_background()
    system.burn(a, b, users[0], users[1].address, TOKEN)
    assert system.tick().l1_batch is None  # posted by the poster, not in the tick
    _wait_for(lambda: calls and system.sequencer.poster.idle(), 30, "the first post to fail")
    assert system.sequencer.last_batch is None
    system.tick()
    _wait_for(lambda: system.sequencer.last_batch, 30, "the next tick's post")
    assert system.sequencer.last_batch["ok"], system.sequencer.last_batch
    assert system.inbox().next_block(a) == system.sequencer.committed[a] + 1  # both ticks' blocks


def test_an_l1_that_does_not_answer_fails_the_post_not_the_tick(make_system, users):
    """The inbox's next block was read outside the post's error handling: with L1 down, the
    exception left the tick after its commit, the tick was treated as failed and its honest
    transactions became suspects. Now the post is reported failed and the tick stands."""
    from svs.node.chains import stop

    system = make_system(batch_every=1)
    a, b = system.chain_ids
    stop(next(n for n in system.service.nodes if n.role == "l1"))
    sent = system.burn(a, b, users[0], users[1].address, TOKEN)
    report = system.sequencer.tick()
    assert report.l1_batch is not None and not report.l1_batch.ok, report.line()
    assert "Connection refused" in report.l1_batch.error, report.line()
    assert system.status(a, sent)["status"] == "included" and report.included[a] == 1
    assert not system.sequencer._suspects and system.sequencer.status()["lastL1Batch"]["ok"] is False


def test_the_clock_waits_for_a_post_while_the_batcher_is_behind(make_system, users):
    """What the ticks stop waiting for is L1's latency, not its capacity: when a post holds only
    part of the unposted blocks, the clock waits for it before the next tick, so the backlog
    drains one part per tick instead of growing while the rollups race ahead of L1."""
    system = make_system(batch_every=1)
    a, b = system.chain_ids
    inbox = system.inbox()
    system.sequencer.batcher.max_data_bytes = 1  # every post takes one block per rollup: behind
    with _clock_against_a_paused_l1(system) as clock:
        system.burn(a, b, users[0], users[1].address, TOKEN)
        _wait_for(lambda: _l1_pool(system), 30, "the post to reach L1's pool")
        _wait_for(lambda: system.sequencer.batcher.behind, 30, "the batcher to be behind")
        held_at = system.sequencer.committed[a]
        time.sleep(2)  # 20 block times
        assert system.sequencer.committed[a] <= held_at + 1  # at most the tick already under way
        assert clock.is_alive() and inbox.batch_count() == 0

        _let_l1_mine(system)  # the post lands; ticks and posts now alternate
        _wait_for(lambda: inbox.batch_count() >= 3, 60, "three posts")
        _wait_for(lambda: system.sequencer.committed[a] >= held_at + 3, 60, "ticks again")
    _assert_every_batch_verifies(system)


@contextmanager
def _behind_with_the_clock(system):
    """A batcher behind (every post takes one block per rollup) and the clock at 0.1 s blocks."""
    system.sequencer.batcher.max_data_bytes = 1
    system.tick()
    assert system.sequencer.batcher.behind
    system.sequencer.post_in_background()
    system.service.options.block_time = 0.1
    clock = threading.Thread(target=system.service.run_clock, daemon=True)
    try:
        clock.start()
        yield system.sequencer.poster
    finally:
        system.service.stop()
        clock.join(30)
    assert not clock.is_alive()


def _ticks_go_on(system, count: int, seconds: float) -> None:
    a = system.chain_ids[0]
    start = system.sequencer.committed[a]
    _wait_for(lambda: system.sequencer.committed[a] >= start + count, seconds, f"{count} ticks")


def test_a_hung_l1_holds_the_clock_once_per_post_at_most(make_system):
    """L1 accepts connections and never answers (SIGSTOP): a post then hangs for minutes (the
    client's timeouts and retries). The clock waits for it at most max_wait seconds once, then
    builds on; it does not wait again on every tick."""
    import os
    import signal

    system = make_system(batch_every=1)
    system.sequencer.deposits._quiet_until = float("inf")  # deposit reads have their own backoff (test_l1_legs.py)
    l1 = next(n for n in system.service.nodes if n.role == "l1")
    with _behind_with_the_clock(system) as poster:
        poster.max_wait = 1.0
        os.kill(l1.pid, signal.SIGSTOP)
        try:
            _wait_for(lambda: poster._waited_out, 30, "the clock to give up on the hung post")
            _ticks_go_on(system, 20, 15)  # 20 ticks at 0.1 s: not 20 waits of a second
            assert not poster.idle()  # the hung post is still under way
        finally:
            os.kill(l1.pid, signal.SIGCONT)


def test_the_clock_does_not_wait_for_failing_posts_while_behind(make_system, monkeypatch):
    """After a failed post the ticks go on without waiting for the next ones (L1 down, or a post
    L1 does not mine), until a post succeeds again."""
    from svs.l1.batcher import BatchReport

    system = make_system(batch_every=1)

    def slow_failure(heights, shrink=None):
        time.sleep(1.5)
        return BatchReport(False, None, {}, error="L1 is down")

    with _behind_with_the_clock(system) as poster:
        monkeypatch.setattr(system.sequencer.batcher, "post", slow_failure)
        _wait_for(lambda: system.sequencer.last_batch and not system.sequencer.last_batch["ok"], 30, "a failed post")
        _ticks_go_on(system, 20, 10)  # not 20 waits of 1.5 s
        assert not poster._last_ok
