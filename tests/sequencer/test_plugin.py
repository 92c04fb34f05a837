"""The pytest plugin for dApp projects (svs.testing.plugin): snapshot isolation that restores the
nodes, the sequencer and what the ingress shows, and the example dApp's own suite run the way its
developer runs it (`ape test` in examples/greeter, through the plugin's fixtures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from svs.deploy import accounts
from svs.testing.plugin import start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared(tmp_path):
    system = start(tmp_path / "svs")
    yield system
    system.service.shutdown()


def test_revert_restores_nodes_sequencer_and_ingress(shared):
    a, b = shared.chain_ids
    alice, bob = accounts.user(0), accounts.user(1)
    heights, balance = dict(shared.sequencer.committed), shared.balance(b, bob.address)
    snapshot = shared.snapshot()
    done = shared.transfer(a, b, alice, bob.address, 5)
    shared.tick()
    assert shared.balance(b, bob.address) == balance + 5 and shared.legs_of(a, done)
    pending = shared.transfer(a, b, alice, bob.address, 1)  # never built
    shared.revert(snapshot)
    assert shared.sequencer.committed == heights
    assert shared.w3[a].eth.block_number == heights[a]  # the ingress answers for the new sequencer
    assert shared.balance(b, bob.address) == balance
    assert shared.status(a, done) is None and shared.status(a, pending) is None
    assert len(shared.sequencer.mempool) == 0
    again = shared.transfer(a, b, alice, bob.address, 3)  # the nonce is the reverted one again
    report = shared.tick()
    assert report.roots_agree and shared.status(a, again)["status"] == "included"
    assert shared.balance(b, bob.address) == balance + 3


def test_the_example_dapps_own_suite_passes_with_the_fixture():
    example = ROOT / "examples" / "greeter"
    done = subprocess.run([str(Path(sys.executable).with_name("ape")), "test", "-q", "-p", "no:cacheprovider"],
                          cwd=example, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout
