"""Attach mode with an optimistic L1 inbox, on local anvil nodes with the testnets' chain ids
(automine: every rollup makes its own blocks, so heights differ per rollup). The relayer posts
the bond the inbox asks for by itself, and a post too large for one L1 transaction ends at an
earlier consistent cut: never at heights whose pairs were not checked together, which the
optimistic inbox would accept and a verifier would then challenge, taking the honest bond."""

from __future__ import annotations

import json
import logging

import pytest
from web3 import Web3

from svs.codec.batches import build_batch
from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.deploy.suite import InboxConfig, SuiteConfig, local_sender
from svs.deploy.testnet import BASE_SEPOLIA, OP_SEPOLIA, SEPOLIA, deploy_network
from svs.l1.verifier import Verifier, verify_all
from svs.node.chains import start_anvil, stop
from svs.pipeline.selfcheck import read_pair_roots
from svs.run.attach import Relayer
from svs.testing.ports import free_port_block

BOND = 10**16
TOKEN = 10**18


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    logs = tmp_path_factory.mktemp("attach-optimistic-logs")
    base = free_port_block(3)
    started = {chain_id: start_anvil(chain_id, base + i, "l1" if chain_id == SEPOLIA else "rollup", logs, automine=True)
               for i, chain_id in enumerate((OP_SEPOLIA, BASE_SEPOLIA, SEPOLIA))}
    yield started
    for node in started.values():
        stop(node)


@pytest.fixture(scope="module")
def record(nodes, tmp_path_factory) -> dict:
    """The suite on both rollups and an optimistic inbox on L1, deployed as `ape run deploy
    --l1-mode optimistic` does, by the dev owner for the dev sequencer."""
    path = tmp_path_factory.mktemp("attach-optimistic") / "record.json"
    owner = accounts.owner()
    config = SuiteConfig(owner=owner.address, sequencer=accounts.sequencer().address, token_holder=owner.address,
                         rollup_chain_ids=(OP_SEPOLIA, BASE_SEPOLIA))
    inbox = InboxConfig(optimistic=True, bond=BOND, challenge_window=3600)
    for chain_id in (OP_SEPOLIA, BASE_SEPOLIA, SEPOLIA):
        w3 = Web3(Web3.HTTPProvider(nodes[chain_id].rpc_url))
        deploy_network(w3, local_sender(w3, owner), nodes[chain_id].rpc_url, path, config, inbox)
    return json.loads(path.read_text())


def _w3(record, chain_id) -> Web3:
    return Web3(Web3.HTTPProvider(record["chains"][str(chain_id)]["rpc"]))


def _mine(relayer: Relayer, chain_id: int, blocks: int) -> None:
    relayer.rollups[chain_id].rpc.call("anvil_mine", hex(blocks))


def _burn(record, source: int, destination: int) -> None:
    """A transfer of TOKEN from the owner, sent straight to the source's node."""
    w3 = _w3(record, source)
    contracts = record["chains"][str(source)]["contracts"]
    mint_burn = w3.eth.contract(address=contracts["MintBurnSystemContract"],
                                abi=load_artifact("MintBurnSystemContract").abi)
    owner = accounts.owner()
    tx = mint_burn.functions.burn(destination, accounts.user(3).address, contracts["BridgeableToken"],
                                  TOKEN).build_transaction(
        {"from": owner.address, "gas": 400_000, "gasPrice": 2 * w3.eth.gas_price, "chainId": source,
         "nonce": w3.eth.get_transaction_count(owner.address, "pending")})
    sent = w3.eth.send_raw_transaction(owner.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(sent)
    assert receipt.status == 1


def _heads(relayer: Relayer) -> dict[int, int]:
    return {c: int(r.rpc.call("eth_blockNumber"), 16) for c, r in relayer.rollups.items()}


def _assert_every_batch_is_a_consistent_cut(relayer: Relayer) -> None:
    inbox = relayer.inbox
    sources = relayer.rollups
    for index in range(inbox.batch_count()):
        lasts = {c: inbox.record(index, c)["lastBlock"] for c in relayer.rollups}
        unequal = [p for p in read_pair_roots(sources, lasts) if not p.equal]
        assert not unequal, f"batch #{index} ends at {lasts}, where pairs disagree: {unequal}"
    verdicts, _ = verify_all(Verifier(inbox, sources, lockstep=False), None)
    assert all(v.ok for v in verdicts), [v.line() for v in verdicts]


def test_an_optimistic_attach_deployment_posts_its_own_bond_and_its_batch_is_accepted(record, caplog):
    relayer = Relayer(record, accounts.sequencer())
    assert relayer.inbox.optimistic() and relayer.inbox.bond() == 0
    assert not relayer.inbox.synchronous()  # these chains make their own blocks: legs bind to height 0
    relayer.poll()
    with caplog.at_level(logging.INFO, logger="svs.run.attach"):
        posted = relayer.post()
    assert posted.l1_batch is not None and posted.l1_batch.ok, posted
    assert relayer.inbox.bond() == BOND and relayer.inbox.batch_count() == 1
    assert f"posted a bond of {BOND} wei to the optimistic inbox" in caplog.text
    _mine(relayer, OP_SEPOLIA, 1)
    _mine(relayer, BASE_SEPOLIA, 1)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="svs.run.attach"):
        again = relayer.post()
    assert again.l1_batch.ok and "posted a bond" not in caplog.text  # topped up only when short
    _assert_every_batch_is_a_consistent_cut(relayer)


def test_a_post_too_large_for_one_transaction_shrinks_to_an_earlier_consistent_cut(record):
    relayer = Relayer(record, accounts.sequencer())
    relayer.poll()
    _mine(relayer, OP_SEPOLIA, 5)
    _mine(relayer, BASE_SEPOLIA, 5)
    relayer.poll()
    quiet = _heads(relayer)  # a consistent cut: no leg anywhere
    # A burn early in OP's range whose mint lands at the very end of Base's: halving each range
    # would post the burn without its mint.
    _burn(record, OP_SEPOLIA, BASE_SEPOLIA)
    _mine(relayer, OP_SEPOLIA, 30)
    _mine(relayer, BASE_SEPOLIA, 30)
    assert relayer.poll().delivered == 1
    heads = _heads(relayer)
    assert quiet in relayer.cuts and heads in relayer.cuts
    ranges = {c: (relayer.inbox.next_block(c), heads[c]) for c in relayer.rollups}
    relayer.max_data_bytes = sum(len(build_batch(r.rpc, c, *ranges[c]).data) for c, r in relayer.rollups.items()) - 1
    count = relayer.inbox.batch_count()

    first = relayer.post().l1_batch
    assert first.ok, first.line()
    _assert_every_batch_is_a_consistent_cut(relayer)
    assert {c: last for c, (_, last) in first.ranges.items()} == quiet, first.line()
    second = relayer.post().l1_batch  # the rest, which now fits
    assert second.ok and {c: last for c, (_, last) in second.ranges.items()} == heads, second.line()
    assert relayer.inbox.batch_count() == count + 2 and relayer.cuts == []
    _assert_every_batch_is_a_consistent_cut(relayer)


def test_without_an_earlier_consistent_cut_a_large_post_goes_as_it_is(record):
    relayer = Relayer(record, accounts.sequencer(), max_data_bytes=1)
    relayer.poll()
    _burn(record, BASE_SEPOLIA, OP_SEPOLIA)
    _mine(relayer, BASE_SEPOLIA, 10)
    _mine(relayer, OP_SEPOLIA, 10)
    assert relayer.poll().delivered == 1
    heads = _heads(relayer)
    posted = relayer.post().l1_batch
    assert posted.ok and {c: last for c, (_, last) in posted.ranges.items()} == heads, posted.line()
    _assert_every_batch_is_a_consistent_cut(relayer)
