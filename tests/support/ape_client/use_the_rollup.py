"""Run by tests/sequencer/test_ape_networks.py as `ape run use_the_rollup --network
ethereum:svs-901:node` in a throwaway ape project that has the repo's network config: ape's own
accounts, deployment and calls against the sequencer's ingress."""

import json
import os

from ape import accounts, chain
from ape.contracts import ContractContainer
from ethpm_types import ContractType


def main():
    given = json.loads(os.environ["SVS_APE_CLIENT"])
    assert chain.chain_id == given["chainId"], chain.chain_id
    me = accounts.test_accounts[given["account"]]
    counter_type = ContractType.model_validate(given["counter"])
    counter = me.deploy(ContractContainer(counter_type), given["general"])
    assert counter.count() == 0
    token = chain.contracts.instance_at(given["token"], ContractType.model_validate(given["tokenType"]))
    before = token.balanceOf(given["recipient"])
    receipt = token.transfer(given["recipient"], 5, sender=me)
    assert not receipt.failed
    assert token.balanceOf(given["recipient"]) == before + 5
    print(json.dumps({"counter": counter.address, "block": receipt.block_number, "height": chain.blocks.height}))
