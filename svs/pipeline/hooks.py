"""Where a test may step into a tick: the one protocol the sequencer offers for fault injection.

The sequencer, its builder and its batcher call a ``TickHooks`` object at fixed points. This
base class does nothing, and it is what production runs; the fault injectors of
``svs.testing.faults`` (a sequencer that lies, one that is killed in a named phase) and the
state machine's crashing harness subclass it. Nothing here imports test machinery, and tests
never patch the sequencer's private attributes to get in.

The points, in the order a tick reaches them:

- ``bind(sequencer)``: once, when the sequencer is made (a hook that needs its chains or its
  address takes them here).
- ``at(point)``: the tick reached ``point`` (one of ``CRASH_POINTS``); called only for ticks
  that carry transactions, so a crash there always has something to lose.
- ``legs(wanted, bases)``: the destination legs the builder is about to sign; returns those to
  sign instead.
- ``checks_roots``: whether a disagreement of the pair roots halts the sequencer (a liar turns
  it off, or its own self-check would stop its lie before L1 sees it).
- ``committed(tick)``: the tick is committed.
- ``post(batches)``: the batches of an L1 post; returns those to post instead.
"""

from __future__ import annotations

from typing import Any

from svs.codec.batches import Batch
from svs.codec.legs import Leg

CRASH_POINTS = ("planned", "between-chains", "sealed", "checked", "committed")

Wanted = dict[int, list[tuple[str, Leg]]]  # destination -> [(source tx hash, leg)] in block order


class TickHooks:
    """The points of a tick (module notes). Every method does nothing: production."""

    checks_roots: bool = True

    def bind(self, sequencer: Any) -> None:
        """The sequencer these hooks serve has been made."""

    def at(self, point: str) -> None:
        """A tick with transactions reached ``point``."""

    def legs(self, wanted: Wanted, bases: dict[int, int]) -> Wanted:
        """The destination legs to sign for ``wanted`` on the blocks above ``bases``. May be
        called several times per tick (the builder's attempts) and must answer the same."""
        return wanted

    def committed(self, tick: int) -> None:
        """Tick ``tick`` is committed."""

    def post(self, batches: list[Batch]) -> list[Batch] | None:
        """The batches to post instead of ``batches``; None to post nothing now."""
        return batches


NO_HOOKS = TickHooks()
