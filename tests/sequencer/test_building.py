"""Conditional cross-chain block building over live anvil rollups, through the ingress."""

from __future__ import annotations

import pytest

from svs.pipeline.ingress import NODE_DOWN
from svs.pipeline.sequencer import Halted, NodesUnavailable

from tests.support.hostile import nested_leg_probe
from tests.support.system import GAS_PRICE, TOKEN


def test_transfer_lands_burn_and_mint_at_the_same_height(system, users):
    a, b = system.chain_ids
    alice, bob = users[0], users[1]
    before_a, before_b = system.balance(a, alice.address), system.balance(b, bob.address)

    tx = system.burn(a, b, alice, bob.address, 5 * TOKEN)
    assert system.status(a, tx)["status"] == "pending"
    report = system.tick()

    status = system.status(a, tx)
    assert status["status"] == "included" and report.pairs == 1
    [leg] = status["legs"]
    mint = system.status(b, leg["counterpart"])
    assert mint["status"] == "included" and mint["origin"] == "sequencer"
    assert mint["block"] == status["block"] == system.sequencer.committed[a] == system.sequencer.committed[b]
    assert mint["legs"][0]["legHash"] == leg["legHash"] and mint["legs"][0]["counterpart"] == tx
    assert system.balance(a, alice.address) == before_a - 5 * TOKEN
    assert system.balance(b, bob.address) == before_b + 5 * TOKEN
    assert system.w3[b].eth.get_transaction_receipt(leg["counterpart"]).status == 1


def test_both_directions_in_one_tick(system, users):
    a, b = system.chain_ids
    ab = system.burn(a, b, users[0], users[1].address, 2 * TOKEN)
    ba = system.burn(b, a, users[0], users[2].address, 3 * TOKEN)
    report = system.tick()
    assert report.pairs == 2 and report.legs == {a: 1, b: 1}
    assert system.status(a, ab)["block"] == system.status(b, ba)["block"]
    assert system.balance(b, users[1].address) == 2 * TOKEN
    assert system.balance(a, users[2].address) == 3 * TOKEN


def test_burn_that_reverts_is_included_without_a_mint(system, users):
    a, b = system.chain_ids
    poor = users[5]  # holds no tokens
    tx = system.burn(a, b, poor, users[1].address, TOKEN)
    report = system.tick()
    status = system.status(a, tx)
    assert status["status"] == "included" and status["legs"] == []
    assert system.w3[a].eth.get_transaction_receipt(tx).status == 0
    assert report.pairs == 0 and report.legs == {a: 0, b: 0}
    assert system.contract(a, "MintBurnSystemContract").functions.burnCount(b).call() == 1  # genesis leaf only


@pytest.mark.parametrize("direction", ["a->b", "b->a"])
def test_trigger_whose_action_reverts_is_excluded_with_the_decoded_reason(system, users, direction):
    a, b = system.chain_ids if direction == "a->b" else reversed(system.chain_ids)
    tx = system.trigger(a, b, users[0], by=0)  # increment(0) reverts on b
    report = system.tick()
    status = system.status(a, tx)
    assert status["status"] == "excluded"
    assert "CrossChainCounterZeroIncrement" in status["reason"] and f"on chain {b}" in status["reason"]
    assert report.excluded == {tx: status["reason"]}
    assert system.w3[a].provider.make_request("eth_getTransactionReceipt", [tx])["result"] is None
    assert system.contract(a, "GeneralSystemContract").functions.triggerCount(b).call() == 1  # genesis leaf only


def test_excluding_a_source_renumbers_the_legs_behind_it(system, users):
    """A failed leg must not take down later legs of the same stream, and the rebuilt tick lets
    later transactions see the state without the excluded one (the next trigger gets nonce 1, the first after the genesis leaf)."""
    a, b = system.chain_ids
    bad = system.trigger(a, b, users[0], by=0)
    good = system.trigger(a, b, users[1], by=7)
    system.tick()
    assert system.status(a, bad)["status"] == "excluded"
    good_status = system.status(a, good)
    assert good_status["status"] == "included" and good_status["legs"][0]["nonce"] == 1
    counter = system.contract(b, "CrossChainCounter")
    assert counter.functions.count().call() == 7
    assert counter.functions.lastSender().call() == users[1].address
    assert counter.functions.lastSourceChainId().call() == a


def test_later_transactions_of_an_excluded_sender_are_excluded_too(system, users):
    a, b = system.chain_ids
    bad = system.trigger(a, b, users[0], by=0)
    after = system.burn(a, b, users[0], users[1].address, TOKEN)  # nonce follows the excluded one
    system.tick()
    assert system.status(a, after)["status"] == "excluded"
    assert bad in system.status(a, after)["reason"]
    assert system.balance(b, users[1].address) == 0


def test_transfers_between_every_pair_of_three_rollups(make_system, users):
    system = make_system(3)
    chains = system.chain_ids
    sent = {}
    for i, source in enumerate(chains):
        for destination in chains:
            if destination != source:
                sent[(source, destination)] = system.burn(source, destination, users[0], users[2].address, (i + 1) * TOKEN)
    report = system.tick()
    assert report.pairs == 6
    for (source, destination), tx in sent.items():
        status = system.status(source, tx)
        assert status["status"] == "included" and status["legs"][0]["destination"] == destination
    for destination in chains:
        expected = sum((i + 1) * TOKEN for i, source in enumerate(chains) if source != destination)
        assert system.balance(destination, users[2].address) == expected


def test_many_ticks_keep_every_invariant(system, users):
    a, b = system.chain_ids
    for round_ in range(4):
        system.burn(a, b, users[0], users[1].address, TOKEN)
        system.burn(b, a, users[1 if round_ else 0], users[0].address, TOKEN // 2)
        system.trigger(a, b, users[3], by=round_)  # round 0 fails: increment(0)
        system.tick()
    assert system.contract(b, "CrossChainCounter").functions.count().call() == 1 + 2 + 3


def test_nested_leg_from_an_action_is_rejected_with_a_reason(system, users):
    """An action whose target burns (emits a further leg) fails, and its trigger is excluded."""
    a, b = system.chain_ids
    probe = nested_leg_probe(system, b, users[0])  # deployed on b through the sequencer itself, funded there
    data = probe.encode_abi("burnOnward", [system.addresses[b]["MintBurnSystemContract"], a,
                                           users[1].address, system.token, TOKEN])
    general = system.contract(a, "GeneralSystemContract")
    tx = system.send(a, users[2], general.functions.trigger(b, probe.address, data, 300_000))
    system.tick()
    status = system.status(a, tx)
    assert status["status"] == "excluded"
    assert "nested legs are not supported" in status["reason"]


def test_self_check_halts_when_roots_disagree(system, users):
    a, b = system.chain_ids
    system.burn(a, b, users[0], users[1].address, TOKEN)
    system.tick()
    # Corrupt b's mint-tree root for a, as a lying or broken node would.
    from svs.codec.layout import tree_slots

    root_slot, _ = tree_slots("inbound", a)
    b_rpc = system.sequencer.chains[b].rpc
    b_rpc.call("anvil_setStorageAt", system.addresses[b]["MintBurnSystemContract"], hex(root_slot), "0x" + "ab" * 32)
    height_a = system.sequencer.committed[a]
    with pytest.raises(Halted, match="roots disagree"):
        system.sequencer.tick()
    height_a += 1  # the tick that revealed it was sealed on the chains but never committed
    assert system.sequencer.halted
    with pytest.raises(Halted):
        system.sequencer.tick()
    assert system.sequencer.committed[a] == height_a - 1
    assert int(system.sequencer.chains[a].rpc.call("eth_blockNumber"), 16) == height_a  # nothing more was built
    status = system.w3[a].provider.make_request("sequencer_status", [])["result"]
    assert status["halted"]
    rejected = system.w3[a].provider.make_request("eth_sendRawTransaction", ["0x00"])
    assert "halted" in rejected["error"]["message"]


def test_a_foreign_block_on_a_rollup_halts_the_sequencer(system):
    a, b = system.chain_ids
    system.sequencer.chains[b].rpc.call("evm_mine")  # someone else produced a block
    with pytest.raises(Halted, match="another block producer"):
        system.sequencer.tick()
    assert int(system.sequencer.chains[a].rpc.call("eth_blockNumber"), 16) == system.sequencer.committed[a]


def _sign_no_legs_to(system, destination: int, monkeypatch) -> None:
    """A broken builder: it signs no destination leg for ``destination`` and believes it did."""
    original = system.sequencer.builder._sign

    def drop(wanted, bases, fees):
        return {c: ([] if c == destination else ds) for c, ds in original(wanted, bases, fees).items()}

    monkeypatch.setattr(system.sequencer.builder, "_sign", drop)
    monkeypatch.setattr(system.sequencer.builder, "_same_legs", lambda wanted, dests: True)


def test_self_check_detects_a_root_mismatch_inside_a_tick(system, users, monkeypatch):
    """The roots are compared after every tick: a builder that drops a mint is caught before commit."""
    a, b = system.chain_ids
    _sign_no_legs_to(system, b, monkeypatch)
    system.burn(a, b, users[0], users[1].address, TOKEN)
    with pytest.raises(Halted, match="roots disagree"):
        system.sequencer.tick()


def test_self_check_halts_when_a_trigger_has_no_action(system, users, monkeypatch):
    """The call trees are checked like the transfer trees: a builder that drops the action of a
    trigger (the trigger stays on a) is caught before commit, and the message names the pair."""
    a, b = system.chain_ids
    _sign_no_legs_to(system, b, monkeypatch)
    system.trigger(a, b, users[0], 1)
    with pytest.raises(Halted, match=f"roots disagree.*call trees {a}->{b} differ"):
        system.sequencer.tick()
    assert system.sequencer.halted


def test_a_dead_node_pauses_block_production_until_it_is_restarted_and_given_its_lost_blocks(system, users):
    """Not a halt: while rollup b's node is dead no block is built anywhere and sends are refused
    with a clear error; the service starts the node again from its checkpoint, the sequencer
    replays the blocks it lost from the journal and builds on, the pending burn included."""
    import os
    import signal

    import requests

    a, b = system.chain_ids
    for _ in range(3):  # blocks after the start checkpoint: the restarted node has lost them
        system.tick()
    burn = system.burn(a, b, users[0], users[1].address, TOKEN)
    node_b = next(n for n in system.service.nodes if n.chain_id == b)
    heights = dict(system.sequencer.committed)
    os.killpg(node_b.pid, signal.SIGKILL)
    for _ in range(2):
        with pytest.raises(NodesUnavailable, match="node"):
            system.sequencer.tick()
    assert int(system.sequencer.chains[a].rpc.call("eth_blockNumber"), 16) == heights[a]
    assert not system.sequencer.halted and system.sequencer.status()["waitingForNodes"]
    raw = "0x" + bytes(users[2].sign_transaction({"to": users[3].address, "value": 1, "gas": 21_000, "gasPrice": 10**10,
                                                  "nonce": 0, "chainId": a}).raw_transaction).hex()
    reply = requests.post(system.urls[a], json={"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                                "params": [raw]}, timeout=10).json()
    assert reply["error"]["message"].startswith(NODE_DOWN), reply

    system.service.revive_nodes()
    restarted = next(n for n in system.service.nodes if n.chain_id == b)
    assert restarted.pid != node_b.pid
    assert int(system.sequencer.chains[b].rpc.call("eth_blockNumber"), 16) < heights[b], "it lost blocks"
    system.tick()  # recovers (replays b's lost blocks, checked against their sealed hashes), then builds
    assert system.sequencer.status()["waitingForNodes"] is None
    assert system.sequencer.committed == {c: h + 1 for c, h in heights.items()}
    assert system.status(a, burn)["status"] == "included"


def test_a_large_tick_from_many_senders_keeps_every_transfer(system, users):
    """Regression: anvil handles one large JSON-RPC batch concurrently and mined its transactions
    out of order, so the legs of a rebuilt tick were numbered differently and innocent transfers
    were excluded. 120 burns from 10 senders must all land, with their 120 mints."""
    a, b = system.chain_ids
    holder = users[0]
    token = system.contract(a, "BridgeableToken")
    for user in users[1:8]:
        system.send(a, holder, token.functions.transfer(user.address, 100 * TOKEN))
    system.tick()
    sent = [system.burn(a, b, users[i % 8], users[7].address, TOKEN) for i in range(120)]
    report = system.tick()
    assert report.included[a] == 120 and report.legs[b] == 120 and not report.excluded
    assert all(system.status(a, tx)["status"] == "included" for tx in sent)
    block = system.w3[a].eth.get_block(system.sequencer.committed[a])
    assert [h.to_0x_hex() for h in block["transactions"]] == sent  # the order they were accepted in


def test_only_what_can_fit_is_simulated_and_blocks_stay_as_full(make_system, users):
    """With more transfers pending than the blocks hold, the sources' simulation gets the
    candidates that can fit at their kind's last measured costs, and the destination simulation
    the legs of the sources that can fit (legs at their least gas as last measured), not every
    candidate and every leg; and each tick includes exactly what it includes when nothing is
    estimated before it is simulated (the same signed transfers both ways, sent to a second
    system whose estimates are all zero gas)."""
    systems = [make_system(2), make_system(2)]
    simulated: list[list[int]] = [[], []]  # legs simulated, per tick
    sources: list[list[int]] = [[], []]  # user transactions in the first sources' simulation, per tick
    for index, system in enumerate(systems):
        builder = system.sequencer.builder
        builder.block_gas_limit = 2_000_000  # about 11 transfers each way a tick
        real, real_sources = builder._simulate_destinations, builder._simulate_sources

        def recording(bases, selected, wanted, env, real=real, into=simulated[index]):
            into.append(sum(len(legs) for legs in wanted.values()))
            return real(bases, selected, wanted, env)

        def recording_sources(bases, selected, env, real=real_sources, into=sources[index]):
            into.append(sum(len(txs) for txs in selected.values()))
            return real(bases, selected, env)

        builder._simulate_destinations, builder._simulate_sources = recording, recording_sources
    systems[1].sequencer.builder.estimates.legs = lambda wanted: {}
    systems[1].sequencer.builder.estimates.sources = lambda txs: ({t.hash: 0 for t in txs}, {})
    chains = systems[0].chain_ids
    for system in systems:  # the holder funds five more senders on both rollups
        for chain_id in chains:
            token = system.contract(chain_id, "BridgeableToken")
            for user in users[1:6]:
                system.send(chain_id, users[0], token.functions.transfer(user.address, 100 * TOKEN))
        system.tick()
    raws = []
    for source, destination in (chains, chains[::-1]):
        mint_burn = systems[0].contract(source, "MintBurnSystemContract")
        for user in users[:6]:
            first = systems[0].w3[source].eth.get_transaction_count(user.address)
            assert systems[1].w3[source].eth.get_transaction_count(user.address) == first
            for nonce in range(first, first + 8):
                call = mint_burn.functions.burn(destination, users[7].address, systems[0].token, TOKEN)
                tx = call.build_transaction({"from": user.address, "chainId": source, "gas": 150_000,
                                             "gasPrice": GAS_PRICE, "nonce": nonce})
                raws.append((source, user.sign_transaction(tx).raw_transaction))
    included: list[list[int]] = [[], []]
    for index, system in enumerate(systems):
        del simulated[index][:], sources[index][:]
        for source, raw in raws:
            system.w3[source].eth.send_raw_transaction(raw)
        while system.sequencer.mempool:
            report = system.tick()
            included[index].append(sum(report.included.values()))
            assert sum(report.legs.values()) == included[index][-1]  # every burn has its mint
    assert included[0] == included[1] and sum(included[0]) == len(raws), included
    full_ticks = len(included[0]) - 1  # the last tick takes what is left
    assert full_ticks >= 3, included
    # The users' gas alone leaves many more sources in.
    assert sum(simulated[1][:full_ticks]) > 1.3 * sum(simulated[0][:full_ticks]), (simulated, included)
    # From the second tick on the cut before the simulation is the blocks' own, give or take a
    # leg whose mint costs more than the cheapest seen (the first mint to a recipient).
    for t in range(1, full_ticks):
        assert included[0][t] <= simulated[0][t] <= included[0][t] * 1.1 + 2, (simulated, included)
    # The same for the sources, once a first tick has measured what a burn costs with its mint:
    # each counts at the cheapest burn and mint seen (the first to a recipient cost more).
    assert sum(sources[1][1:full_ticks]) > 2 * sum(sources[0][1:full_ticks]), (sources, included)
    for t in range(1, full_ticks):
        assert included[0][t] <= sources[0][t] <= included[0][t] * 1.3 + 2, (sources, included)
