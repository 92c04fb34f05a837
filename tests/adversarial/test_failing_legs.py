"""Sources whose legs fail, change between executions, or come from user contracts: every tick
settles within the builder's bound, honest transactions of the same tick are kept, the hostile
ones get a clear status, and every node stays up."""

from __future__ import annotations

from svs.pipeline.builder import MAX_EXECUTIONS, Builder
from tests.support.hostile import assert_nodes_alive, deploy, fund_new_accounts, hostile_sources
from tests.support.system import TOKEN


def test_forty_failing_triggers_in_one_tick_are_excluded_and_the_honest_legs_between_them_kept(system, users):
    a, b = system.chain_ids
    attackers = fund_new_accounts(system, a, 40, users[7])
    bad = [system.trigger(a, b, attacker, by=0) for attacker in attackers[:20]]  # increment(0) reverts on b
    good = [system.trigger(a, b, users[i], by=i + 1) for i in range(1, 4)]  # same stream, between the bad ones
    bad += [system.trigger(a, b, attacker, by=0) for attacker in attackers[20:]]
    transfer = system.burn(a, b, users[0], users[5].address, TOKEN)

    report = system.tick()

    assert report.attempts == 1, f"{report.attempts} executions: the simulation should have judged every leg"
    for tx in bad:
        status = system.status(a, tx)
        assert status["status"] == "excluded" and "CrossChainCounterZeroIncrement" in status["reason"], status
    for tx in good + [transfer]:
        assert system.status(a, tx)["status"] == "included", system.status(a, tx)
    assert system.balance(b, users[5].address) == TOKEN
    assert_nodes_alive(system)
    system.tick()


def test_legs_that_read_the_base_fee_settle_when_the_tick_is_executed_again(system, users, monkeypatch):
    """Without a simulation the legs are learned by executing twice; the base fee must be the
    same both times (anvil_rollback does not restore it), or the legs change every time."""
    a, b = system.chain_ids
    hostile = hostile_sources(system, a, users[1])
    counter = system.contract(b, "CrossChainCounter")
    monkeypatch.setattr(Builder, "_plan_by_simulation", lambda self, *args: (None, 0))

    reads_fee = system.send(a, users[1], hostile.functions.triggerOnBaseFee(b, counter.address))
    honest = system.burn(a, b, users[0], users[5].address, TOKEN)
    report = system.tick()

    assert report.attempts == 2, report.line()
    assert system.status(a, reads_fee)["status"] == "included"
    assert system.status(a, honest)["status"] == "included"
    assert_nodes_alive(system)


def test_legs_that_fail_on_prevrandao_are_judged_in_one_replanning(system, users):
    """The simulation cannot know prevrandao; after one execution it plans again with the
    block's own, so ten such sources cost one extra execution, not ten."""
    a, b = system.chain_ids
    hostile = hostile_sources(system, a, users[1])
    counter = system.contract(b, "CrossChainCounter")
    senders = fund_new_accounts(system, a, 10, users[7])
    for round_ in range(3):  # three blocks: prevrandao % 2 is 0 in about half of them
        # (an excluded transaction keeps its nonce free; the gas makes each round's unique)
        random = [system.send(a, s, hostile.functions.triggerOnRandao(b, counter.address), gas=300_000 + round_)
                  for s in senders]
        honest = system.trigger(a, b, users[2], by=5)
        report = system.tick()
        assert report.attempts <= 3, report.line()
        outcomes = {system.status(a, tx)["status"] for tx in random}
        assert outcomes in ({"included"}, {"excluded"}), f"one block, one prevrandao, one outcome for all: {outcomes}"
        assert system.status(a, honest)["status"] == "included"
    assert_nodes_alive(system)


def test_a_leg_that_fails_because_of_an_earlier_transaction_in_the_block_is_excluded(system, users):
    a, b = system.chain_ids
    hostile = hostile_sources(system, a, users[1])
    counter = system.contract(b, "CrossChainCounter")
    before = system.send(a, users[1], hostile.functions.triggerOnFlag(b, counter.address))
    system.send(a, users[2], hostile.functions.setFlag(True))
    after = system.send(a, users[3], hostile.functions.triggerOnFlag(b, counter.address))
    report = system.tick()
    assert report.attempts == 1, report.line()
    assert system.status(a, before)["status"] == "included"
    assert system.status(a, after)["status"] == "excluded"
    assert "CrossChainCounterZeroIncrement" in system.status(a, after)["reason"]


def test_user_contracts_start_legs_several_per_transaction(system, users):
    """dApps call the system contracts: a contract bridging for its caller, and one transaction
    that triggers three actions, one of which fails (the whole source is excluded)."""
    a, b = system.chain_ids
    hostile = hostile_sources(system, a, users[1])
    counter = system.contract(b, "CrossChainCounter")
    token = system.contract(a, "BridgeableToken")
    system.send(a, users[0], token.functions.approve(hostile.address, 3 * TOKEN))
    system.tick()
    bridged = system.send(a, users[0], hostile.functions.bridge(b, users[6].address, system.token, 3 * TOKEN))
    increments = [counter.encode_abi("increment", [n]) for n in (1, 2, 3)]
    many = system.send(a, users[2], hostile.functions.triggerMany(b, counter.address, increments, 100_000), gas=1_000_000)
    one_bad = [counter.encode_abi("increment", [n]) for n in (4, 0, 6)]
    mixed = system.send(a, users[3], hostile.functions.triggerMany(b, counter.address, one_bad, 100_000), gas=1_000_000)
    system.tick()

    assert system.status(a, bridged)["status"] == "included"
    assert system.balance(b, users[6].address) == 3 * TOKEN
    status = system.status(a, many)
    assert status["status"] == "included" and len(status["legs"]) == 3, status
    assert system.status(a, mixed)["status"] == "excluded"


def test_bound_holds_when_executions_keep_disagreeing(system, users, monkeypatch):
    """With the simulation off, forty failures in one stream are revealed one per execution:
    the tick still ends after MAX_EXECUTIONS + 2, deferring the sources, and the sequencer
    isolates the failing ones in the following ticks without losing an honest transfer."""
    a, b = system.chain_ids
    monkeypatch.setattr(Builder, "_plan_by_simulation", lambda self, *args: (None, 0))
    attackers = fund_new_accounts(system, a, 8, users[7])
    bad = [system.trigger(a, b, attacker, by=0) for attacker in attackers]
    honest = system.burn(a, b, users[0], users[5].address, TOKEN)
    report = system.tick()
    assert report.attempts <= MAX_EXECUTIONS + 2
    ticks = 1
    while system.sequencer.mempool.get(honest) is not None or any(system.sequencer.mempool.get(t) for t in bad):
        report = system.tick()
        assert report.attempts <= MAX_EXECUTIONS + 2
        ticks += 1
        assert ticks < 40, "the suspects were not isolated"
    assert system.status(a, honest)["status"] == "included"
    assert all(system.status(a, t)["status"] == "excluded" for t in bad)
    assert_nodes_alive(system)


def test_a_token_that_reenters_burn_gets_no_legs_and_the_tree_stays_consistent(system, users):
    """An ERC-7802 token anyone can deploy calls ``burn`` again from its ``crosschainBurn``. Two
    legs numbered inside each other would leave the source tree unlike any destination tree;
    the burn must fail instead, honest burns of the tick land, and the pair still agrees."""
    a, b = system.chain_ids
    mint_burn = system.addresses[a]["MintBurnSystemContract"]
    token = deploy(system, a, "ReenteringToken", [mint_burn], users[1])
    before = system.contract(a, "MintBurnSystemContract").functions.burnCount(b).call()
    reentering = system.send(a, users[2], token.functions.bridgeTwice(b, users[6].address, 5), gas=1_000_000)
    honest = system.burn(a, b, users[0], users[5].address, TOKEN)

    report = system.tick()  # System.tick also checks every pair's roots and counts

    status = system.status(a, reentering)
    assert status["status"] == "included" and not status.get("legs"), status
    assert system.w3[a].eth.get_transaction_receipt(reentering).status == 0, "the re-entering burn succeeded"
    assert report.attempts == 1
    assert system.status(a, honest)["status"] == "included"
    assert system.contract(a, "MintBurnSystemContract").functions.burnCount(b).call() == before + 1
    assert report.roots_agree
    assert_nodes_alive(system)
