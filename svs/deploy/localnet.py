"""The local network's shape: chain ids of the rollups and who owns, sequences and holds the
suite on them (the dev accounts)."""

from __future__ import annotations

from svs.deploy import accounts
from svs.deploy.suite import SuiteConfig
from svs.node.chains import FIRST_ROLLUP_CHAIN_ID


def rollup_chain_ids(count: int) -> list[int]:
    return [FIRST_ROLLUP_CHAIN_ID + i for i in range(count)]


def suite_config(rollups: int) -> SuiteConfig:
    return SuiteConfig(
        owner=accounts.owner().address,
        sequencer=accounts.sequencer().address,
        token_holder=accounts.user(0).address,
        rollup_chain_ids=tuple(rollup_chain_ids(rollups)),
    )
