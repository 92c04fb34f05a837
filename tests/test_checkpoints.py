"""Checkpoint spacing: a round that takes long pushes the next one out, so checkpoints never take
more than 1/MIN_SPACING_FACTOR of the clock, however long the chain's history grows."""

from __future__ import annotations

import time
from pathlib import Path

from svs.node.checkpoints import MIN_SPACING_FACTOR, Checkpointer


def test_a_slow_checkpoint_round_spaces_the_next_one_by_the_factor():
    checkpointer = Checkpointer(Path("/nonexistent"), [], interval=1.0)
    assert checkpointer.due()  # never taken
    checkpointer.take()  # no rollup nodes: nothing to dump, but the round is recorded
    checkpointer.last_seconds = 0.5  # as if dumping the nodes had taken half a second
    checkpointer._last = time.monotonic() - (MIN_SPACING_FACTOR * 0.5 - 1)
    assert not checkpointer.due(), "the interval alone (1 s) has passed, the spacing (10 s) has not"
    checkpointer._last = time.monotonic() - (MIN_SPACING_FACTOR * 0.5 + 0.1)
    assert checkpointer.due()


def test_interval_zero_never_checkpoints_on_the_clock():
    checkpointer = Checkpointer(Path("/nonexistent"), [], interval=0)
    assert not checkpointer.due()
