"""The chaos run at a small size (``ape run chaos`` runs it with 100 kills): kill -9 the
sequencer, a rollup node, and both together, under load, on the real CLI and real nodes; then
every accepted transaction is included once (or, for reverting triggers, excluded), every block
is the journal's, and every pair agrees wherever the nodes hold state."""

from __future__ import annotations

import pytest

from svs.testing.chaos import ChaosOptions, run_chaos
from svs.testing.ports import free_port_block


@pytest.mark.slow
def test_kill_9_of_sequencer_and_rollup_nodes_under_load_loses_nothing(tmp_path):
    # Checkpoints only at start: every restarted node has all of its blocks replayed.
    options = ChaosOptions(sequencer_kills=1, node_kills=2, seed=7, state_dir=tmp_path / "state",
                           first_port=free_port_block(3, offset=10_000), checkpoint_every=0, up_seconds=(1.0, 2.0))
    report = run_chaos(options, progress=print)
    print(report.table())
    assert report.problems == []
    assert report.events == {"sequencer": 1, "node": 1, "both": 1}
    assert report.replays >= 2, "restarted nodes must have been given their lost blocks"
    assert report.accepted["transfer"] > 50 and report.accepted["trigger"] > 50 and report.accepted["reverting"] > 0
    assert report.included + report.excluded == sum(report.accepted.values())
    assert report.blocks_checked > 0
    assert report.storage_heights > 0
