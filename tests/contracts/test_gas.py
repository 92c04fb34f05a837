"""Gas of the four leg transactions, against the targets (burn and mint <= 80k each).

Gas is deterministic, so asserting it is not a timing test. The figures in the README come from
`ape run gas`, which measures the same transactions (svs.measure.gas) on a suite with one
counterpart rollup (two rollups) and L1 as the other counterpart, as this test does.

Since every leg rewrites the roots commitment (CounterpartTrees), burn and mint cost ~81k and
~83k at two rollups without L1, and L1 as a counterpart (deposits and exits) adds one pair to
the commitment, ~5.3k: ~87k and ~88k. The 80k target is missed (README, Gas). CEILING pins
today's figures so that a regression fails; the commitment's cost per extra counterpart is
pinned too.
"""

from __future__ import annotations

from svs.measure.gas import measure_leg_gas

from ..conftest import CHAIN_A, L1

CEILING = 89_000  # the target is 80k; see the module notes
PER_COUNTERPART = 5_500  # two more cold root reads (2,100 each) per extra counterpart, their slots, memory


def _suite(project, owner, sequencer, alice, rollups):
    mint_burn = owner.deploy(project.MintBurnSystemContract, owner, sequencer, rollups, True, L1)
    general = owner.deploy(project.GeneralSystemContract, owner, sequencer, mint_burn, rollups, True)
    token = owner.deploy(project.BridgeableToken, "Shared", "SHR", mint_burn, alice, 10**24)
    return mint_burn, general, token, owner.deploy(project.CrossChainCounter, general)


def test_burn_and_mint_transactions_stay_under_the_ceiling_in_steady_state(
    project, owner, sequencer, alice, bob, local_chain_id
):
    suite = _suite(project, owner, sequencer, alice, [local_chain_id, CHAIN_A])
    report = measure_leg_gas(*suite, sequencer, alice, bob, CHAIN_A, rounds=6)
    assert report["burn"].steady <= CEILING, report["burn"]
    assert report["mint"].steady <= CEILING, report["mint"]
    # The first leg of a pair writes fresh slots (root, count, branch) and so costs more.
    assert report["burn"].first > report["burn"].steady
    assert set(report) == {"burn", "mint", "trigger", "action"}


def test_the_commitment_costs_about_two_cold_reads_per_extra_counterpart(
    project, owner, sequencer, alice, bob, local_chain_id
):
    two = measure_leg_gas(*_suite(project, owner, sequencer, alice, [local_chain_id, CHAIN_A]),
                          sequencer, alice, bob, CHAIN_A, rounds=4)
    four = measure_leg_gas(*_suite(project, owner, sequencer, alice, [local_chain_id, CHAIN_A, 903, 904]),
                           sequencer, alice, bob, CHAIN_A, rounds=4)
    extra = four["burn"].steady - two["burn"].steady
    assert 2 * 2 * 2_100 <= extra <= 2 * PER_COUNTERPART, (two["burn"], four["burn"])
