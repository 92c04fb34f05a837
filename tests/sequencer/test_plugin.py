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


def test_a_project_asks_for_three_rollups(tmp_path):
    """The ``svs_rollups`` ini option: a plain pytest project gets 901, 902 and 903, and a
    transfer 901 -> 903 lands in one tick (the plugin is found through its entry point)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nsvs_rollups = 3\n")
    (tmp_path / "test_three.py").write_text(
        "def test_three(svs, svs_users):\n"
        "    assert svs.chain_ids == [901, 902, 903]\n"
        "    bob = svs_users[1].address\n"
        "    before = svs.balance(903, bob)\n"
        "    tx = svs.transfer(901, 903, svs_users[0], bob, 7)\n"
        "    svs.tick()\n"
        "    assert svs.legs_of(901, tx)[0]['destination'] == 903\n"
        "    assert svs.balance(903, bob) == before + 7\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
