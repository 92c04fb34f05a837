"""Shared fixtures: role accounts, the deployed contract suite, hypothesis profiles.

Contract tests run on ape's local network (an anvil node started by ape-foundry, chain id
31337). ape isolates every test by chain snapshot, so the suite is deployed once per session
and each test starts from the same state.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis: CI is derandomized (the same examples every run, so a failure reproduces by
# rerunning); `thorough` is for long local runs. Every failure prints a @reproduce_failure blob.
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)

# Counterpart rollups for single-chain contract tests (the local chain is 31337).
CHAIN_A = 901
CHAIN_B = 902
LOCAL_CHAIN = 31337
ROLLUPS = [LOCAL_CHAIN, CHAIN_A, CHAIN_B]  # the system contracts' configured rollups
L1 = 900  # MintBurn's L1 counterpart (deposits and exits)
INITIAL_SUPPLY = 10**24


@pytest.fixture(scope="session")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def sequencer(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def mint_burn(project, owner, sequencer):
    return owner.deploy(project.MintBurnSystemContract, owner, sequencer, ROLLUPS, True, L1)


@pytest.fixture(scope="session")
def general(project, owner, sequencer, mint_burn):
    return owner.deploy(project.GeneralSystemContract, owner, sequencer, mint_burn, ROLLUPS, True)


@pytest.fixture(scope="session")
def token(project, owner, alice, mint_burn):
    return owner.deploy(project.BridgeableToken, "Shared", "SHR", mint_burn, alice, INITIAL_SUPPLY)


@pytest.fixture(scope="session")
def counter(project, owner, general):
    return owner.deploy(project.CrossChainCounter, general)


@pytest.fixture(scope="session")
def probes(project, owner):
    return owner.deploy(project.ActionProbes)


@pytest.fixture(scope="session")
def tree_harness(project, owner):
    return owner.deploy(project.MerkleTreeHarness)


@pytest.fixture
def local_chain_id(chain):
    return chain.chain_id


@pytest.fixture(scope="session", autouse=True)
def _suite(mint_burn, general, token, counter, probes, tree_harness):
    """Deploy everything before the first test's snapshot, so no test's revert removes a contract
    that a session fixture still points to."""
