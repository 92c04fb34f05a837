"""The bench's CPU bound (svs.measure.node_costs.cpu_bound): what a machine's cores could carry
at a given CPU per transfer, and the CPU per transfer a target ratio allows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from svs.measure.node_costs import cpu_bound


def test_two_cores_at_one_millisecond_carry_two_thousand_transfers_a_second():
    bound = cpu_bound(1.0, ceiling=4_000, cores=2)
    assert bound == {"cores": 2, "rate": 2_000, "ratio": 0.5, "allowed_ms": 2_000 / (0.6 * 4_000)}


@given(st.integers(1, 64), st.floats(100, 100_000), st.floats(0.05, 1.0))
def test_at_the_allowed_cpu_the_bound_is_exactly_the_target(cores, ceiling, target):
    allowed = cpu_bound(1.0, ceiling, target, cores)["allowed_ms"]
    assert abs(cpu_bound(allowed, ceiling, target, cores)["ratio"] - target) < 1e-9
