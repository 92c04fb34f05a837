"""The adversarial suite runs on the live system of tests/support (anvil nodes, the real
sequencer and its ingress), with hostile contracts deployed through the sequencer itself
(tests/support/hostile.py)."""

from __future__ import annotations

import pytest

from tests.support.system import make_system, system, users  # noqa: F401 (fixtures)


@pytest.fixture
def counter_on(system):
    return lambda chain_id: system.contract(chain_id, "CrossChainCounter")
