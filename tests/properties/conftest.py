"""Live systems for the property tests: one per test, reused by every hypothesis example
(tests/properties/harness.py resets the chains and the sequencer between examples)."""

from __future__ import annotations

import pytest

from tests.support.system import start_system


@pytest.fixture
def make_system(tmp_path):
    systems = []

    def make(rollups, **overrides):
        systems.append(start_system(tmp_path / f"system{len(systems)}", rollups, **overrides))
        return systems[-1]

    yield make
    for system in systems:
        system.service.shutdown()
