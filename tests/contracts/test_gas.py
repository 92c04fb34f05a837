"""Gas of the four leg transactions, against the targets (burn and mint <= 80k each).

Gas is deterministic, so asserting it is not a timing test. The figures in the README come from
`ape run gas`, which measures the same transactions (svs.measure.gas).
"""

from __future__ import annotations

from svs.measure.gas import measure_leg_gas

from ..conftest import CHAIN_A

TARGET = 80_000


def test_burn_and_mint_transactions_stay_under_80k_gas_in_steady_state(
    mint_burn, general, token, counter, sequencer, alice, bob
):
    report = measure_leg_gas(mint_burn, general, token, counter, sequencer, alice, bob, CHAIN_A, rounds=6)
    assert report["burn"].steady <= TARGET, report["burn"]
    assert report["mint"].steady <= TARGET, report["mint"]
    # The first leg of a pair writes fresh slots (root, count, branch) and so costs more.
    assert report["burn"].first > report["burn"].steady
    assert set(report) == {"burn", "mint", "trigger", "action"}
