"""Hostile contracts and accounts, set up through the sequencer itself (one tick each)."""

from __future__ import annotations

from eth_account import Account
from web3 import Web3

from svs.deploy.artifacts import load_artifact
from svs.node.rpc import RpcClient

from .system import GAS_PRICE, TOKEN, System


def deploy(system: System, chain_id: int, name: str, args: list, sender) -> object:
    """Deploy ``name`` on ``chain_id`` through the ingress (one tick); return the web3 contract."""
    artifact = load_artifact(name)
    w3 = system.w3[chain_id]
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = system.send(chain_id, sender, factory.constructor(*args), gas=3_000_000)
    system.tick()
    address = w3.eth.get_transaction_receipt(tx).contractAddress
    return w3.eth.contract(address=address, abi=artifact.abi)


def hostile_sources(system: System, chain_id: int, sender) -> object:
    contracts = system.addresses[chain_id]
    return deploy(system, chain_id, "HostileSources",
                  [contracts["GeneralSystemContract"], contracts["MintBurnSystemContract"]], sender)


def nested_leg_probe(system: System, chain_id: int, owner) -> object:
    """A ``NestedLegProbe`` on ``chain_id`` holding one token: an action that calls it burns
    onward, i.e. a destination leg that emits a further leg (two ticks)."""
    probe = deploy(system, chain_id, "NestedLegProbe", [], owner)
    token = system.contract(chain_id, "BridgeableToken")
    system.send(chain_id, owner, token.functions.transfer(probe.address, TOKEN))
    system.tick()
    return probe


def fund_new_accounts(system: System, chain_id: int, count: int, funder, wei: int = 10**18) -> list:
    """``count`` fresh accounts with ``wei`` each on ``chain_id`` (one tick)."""
    fresh = [Account.from_key(Web3.keccak(text=f"adversary-{chain_id}-{i}")) for i in range(count)]
    w3 = system.w3[chain_id]
    nonce = w3.eth.get_transaction_count(funder.address, "pending")
    for i, account in enumerate(fresh):
        tx = {"to": account.address, "value": wei, "gas": 21_000, "gasPrice": GAS_PRICE, "nonce": nonce + i,
              "chainId": chain_id}
        w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction)
    system.tick()
    return fresh


def assert_nodes_alive(system: System) -> None:
    """Every node the service started still answers, and the sequencer still builds."""
    for node in system.service.nodes:
        assert int(RpcClient(node.rpc_url).call("eth_chainId"), 16) == node.chain_id, f"node {node.chain_id} is gone"
    assert system.sequencer.halted is None, system.sequencer.halted
