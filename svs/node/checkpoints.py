"""Node checkpoints: each rollup node's state, persisted by the node at tick boundaries.

A rollup node that dies loses its in-memory chain. It is restarted from its checkpoint
(``anvil --load-state``) and is then behind by the ticks committed since; recovery replays them
from the journal (``svs.pipeline.recovery.catch_up``), each block checked against the hash the journal
sealed.

The state is anvil's own serialisation (``anvil_dumpState``, what ``--state`` writes), but the
service asks for it between ticks rather than letting anvil's ``--state-interval`` timer choose
the moment. That timer can fire in the middle of a tick and persist a block the sequencer then
rolls back, and a loaded state cannot be rolled back reliably: measured on anvil 1.7.1,
``anvil_rollback`` below a loaded height either fails ("Required data unavailable") or, with
``--preserve-historical-states``, re-mines blocks with other state roots. A checkpoint taken
between ticks only ever holds committed blocks, so catching up only ever moves forward.
"""

from __future__ import annotations

import gzip
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from svs.node.chains import ChainError, Node, rpc_call

DIRECTORY = "checkpoints"
# A round takes time linear in the chain's history (anvil serialises every block and transaction,
# about 12 KB of JSON per transaction; measured 1.9 s for 13,000 transactions), and the ticks wait
# for it. Rounds are therefore spaced at least this many times their own duration apart, so
# checkpoints take at most 1/MIN_SPACING_FACTOR of the clock; a longer gap only means more
# blocks to replay after a node dies.
MIN_SPACING_FACTOR = 20


def checkpoint_path(state_dir: Path, chain_id: int) -> Path:
    return state_dir / DIRECTORY / f"{chain_id}.json"


def save_checkpoint(node: Node, path: Path) -> None:
    """Persist ``node``'s state to ``path`` atomically (a crash leaves the previous one)."""
    dump = rpc_call(node.rpc_url, "anvil_dumpState", timeout=120.0)
    try:
        data = gzip.decompress(bytes.fromhex(dump.removeprefix("0x")))
    except (ValueError, OSError) as err:
        raise ChainError(f"chain {node.chain_id}: anvil_dumpState returned no gzip state: {err}") from err
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


class Checkpointer:
    """Checkpoints the rollup nodes every ``interval`` seconds, when asked between ticks."""

    def __init__(self, state_dir: Path, nodes: list[Node], interval: float):
        self.state_dir, self.nodes, self.interval = state_dir, nodes, interval
        self._last = float("-inf")
        self.last_seconds = 0.0  # how long the last round took (it delayed the next tick)

    def start(self) -> None:
        """At start: checkpoint now unless every rollup node has one already (a restart of the
        sequencer: the nodes kept running, the next round comes after ``interval``)."""
        if all(checkpoint_path(self.state_dir, n.chain_id).exists() for n in self.nodes if n.role == "rollup"):
            self._last = time.monotonic()
        else:
            self.take()

    def due(self) -> bool:
        spacing = max(self.interval, MIN_SPACING_FACTOR * self.last_seconds)
        return self.interval > 0 and time.monotonic() - self._last >= spacing

    def take(self) -> None:
        """Checkpoint every rollup node now. Only call it between ticks."""
        started = time.monotonic()
        rollups = [node for node in self.nodes if node.role == "rollup"]
        # Each node serialises its own state: ask them all at once, the round is the slowest one.
        with ThreadPoolExecutor(max_workers=max(1, len(rollups)), thread_name_prefix="checkpoint") as pool:
            for future in [pool.submit(save_checkpoint, node, checkpoint_path(self.state_dir, node.chain_id))
                           for node in rollups]:
                future.result()
        self._last = time.monotonic()
        self.last_seconds = self._last - started
