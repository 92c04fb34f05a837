"""The deployment record read through ``Deployment``: one place answers which chain is L1, which
are the rollups (in chain-id order), and where a contract is."""

from __future__ import annotations

import pytest

from svs.deploy.record import Deployment

RECORD = {"chains": {
    "902": {"rpc": "http://b", "role": "rollup", "contracts": {"MintBurnSystemContract": "0x02"}},
    "900": {"rpc": "http://l1", "role": "l1", "contracts": {"BatchInbox": "0x09"}},
    "901": {"rpc": "http://a", "role": "rollup", "contracts": {"MintBurnSystemContract": "0x01"}, "firstBlock": 7},
}}


def test_l1_and_rollups_in_chain_id_order():
    deployment = Deployment(RECORD)
    assert deployment.l1.chain_id == 900 and deployment.l1["BatchInbox"] == "0x09"
    assert list(deployment.rollups) == [901, 902]
    assert deployment.rollups[901].rpc == "http://a" and deployment.rollups[901].first_block == 7
    assert deployment.rollups[902].first_block is None


def test_a_missing_contract_names_the_chain_and_what_it_has():
    with pytest.raises(KeyError, match="chain 902 records no GeneralSystemContract .it has MintBurnSystemContract"):
        Deployment(RECORD).rollups[902]["GeneralSystemContract"]


def test_a_record_without_l1_says_so():
    assert Deployment({"chains": {k: v for k, v in RECORD["chains"].items() if k != "900"}}).l1 is None
