"""Posting to L1 from its own thread, so that waiting for L1 does not pause the ticks.

A post waits for its L1 receipt: one L1 block on a public L1 (12 s on Sepolia), and up to about
two minutes when L1 does not mine it and the write is sent again at higher fees
(svs.l1.contract). Posted from the tick, every rollup stopped building for that long. The clock
(svs.run.service) therefore hands each committed tick to a ``Poster``: ``committed`` only notes
the heights and returns, and the poster's thread calls ``Batcher.on_commit`` with every tick
committed since its last call, so the ticks that went on during a post are counted, and the next
post covers their blocks.

Nothing is lost by posting later: the batcher keeps no state of its own (where the next batch
starts is read from the inbox), and it reads only committed blocks, which no later tick changes.
A post that raises is logged and the thread carries on; the next committed tick tries again.

What the ticks no longer wait for is L1's latency, not its capacity. When the blocks carry more
data than one post holds, the batcher is *behind* (it posted an earlier part); then the clock
waits for each post under way before its next tick (``wait_while_behind``), so the backlog
drains one part per tick, as it did when posts ran in the tick, instead of growing without
bound while the rollups race ahead of L1. Only while posts succeed: after a failed post (L1 down,
or not mining a post) the ticks go on; and the clock waits for one post at most
``MAX_WAIT_SECONDS`` in all, so a post that hangs (an L1 that accepts connections and never
answers) holds the ticks once, not on every tick.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from svs.l1.batcher import Batcher, BatchReport

log = logging.getLogger(__name__)

JOIN_SECONDS = 5.0  # how long ``close`` waits for a post under way (the thread is a daemon)
MAX_WAIT_SECONDS = 60.0  # the longest the clock waits for any one post while the batcher is behind


class Poster:
    """Runs ``batcher.on_commit`` on its own thread for the ticks ``committed`` reports, and
    gives every report to ``on_report``."""

    def __init__(self, batcher: Batcher, on_report: Callable[[BatchReport], None]):
        self.batcher = batcher
        self.on_report = on_report
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heights: dict[int, int] | None = None  # the last committed tick's heights
        self._ticks = 0  # committed ticks not yet counted by the batcher
        self._busy = False  # one of them has transactions
        self._stopping = False
        self._posting = False
        self._last_ok = True  # the last post was accepted (or none was made yet)
        self._posts = 0  # posts started (the one under way is number _posts)
        self._waited_out = 0  # the post the clock waited MAX_WAIT_SECONDS for: not waited for again
        self.max_wait = MAX_WAIT_SECONDS
        self._thread = threading.Thread(target=self._run, name="l1-poster", daemon=True)

    def start(self) -> "Poster":
        self._thread.start()
        return self

    def committed(self, heights: dict[int, int], busy: bool) -> None:
        """A tick committed at ``heights``: note it and return at once."""
        with self._wake:
            self._heights = dict(heights)
            self._ticks += 1
            self._busy |= busy
            self._wake.notify()

    def idle(self) -> bool:
        """No post under way and no committed tick waiting to be counted."""
        with self._lock:
            return not self._posting and self._ticks == 0

    def wait_while_behind(self, stop: threading.Event, poll: float = 0.2) -> None:
        """Return once no post is under way, or the batcher is not behind, or the last post
        failed (see module notes); once ``stop`` is set; or once the post under way has been
        waited for ``max_wait`` seconds in all (it is then not waited for again)."""
        deadline = time.monotonic() + self.max_wait
        with self._wake:
            post = self._posts
            while (self._posting and self.batcher.behind and self._last_ok and post != self._waited_out
                   and not self._stopping and not stop.is_set()):
                if time.monotonic() >= deadline:
                    self._waited_out = post
                    log.warning("L1 post %d has taken over %g s; building on without waiting for it", post, self.max_wait)
                    break
                self._wake.wait(poll)

    def close(self) -> None:
        """Stop after the post under way (waiting at most ``JOIN_SECONDS`` for it)."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(JOIN_SECONDS)

    def _take(self) -> tuple[dict[int, int], bool, int] | None:
        """Wait for committed ticks; take them all at once (None once closed)."""
        with self._wake:
            while not self._ticks and not self._stopping:
                self._wake.wait()
            if self._stopping:
                return None
            taken = (self._heights, self._busy, self._ticks)
            self._ticks, self._busy, self._posting = 0, False, True
            self._posts += 1
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            heights, busy, ticks = taken
            ok = self._last_ok
            try:
                report = self.batcher.on_commit(heights, busy, ticks)
                if report is not None:
                    ok = report.ok
                    self.on_report(report)
            except Exception:  # the batcher reports L1's failures; anything else must not end the posts
                ok = False
                log.exception("posting to L1 failed; the next committed tick tries again")
            finally:
                with self._wake:
                    self._posting, self._last_ok = False, ok
                    self._wake.notify_all()  # wait_while_behind
