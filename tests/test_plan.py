"""The tick plan's journal form: what the builder seals comes back the same from the journal,
and a plan journaled before this type existed still reads."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from svs.pipeline.journal import Journal
from svs.pipeline.plan import SEQUENCER, USER, BlockPlan, PlannedLeg, PlannedTx, TickPlan

hashes = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
chains = st.integers(901, 916)
legs = st.builds(PlannedLeg, st.sampled_from(["transfer", "call"]), hashes, chains, chains, st.integers(0, 2**64),
                 hashes)
user_txs = st.builds(PlannedTx, hashes, st.just(USER), st.lists(legs, max_size=3).map(tuple))
sequencer_txs = st.builds(PlannedTx, hashes, st.just(SEQUENCER), st.tuples(legs), st.binary(min_size=1, max_size=300),
                          st.just("0x" + "ab" * 20), st.integers(0, 2**32))
blocks = st.builds(BlockPlan, st.integers(1, 2**40), hashes, st.lists(user_txs | sequencer_txs, max_size=6).map(tuple))
plans = st.builds(TickPlan, st.integers(0, 2**40), st.dictionaries(chains, st.integers(0, 2**64), max_size=4),
                  st.dictionaries(chains, blocks, min_size=1, max_size=4),
                  st.dictionaries(hashes, st.text(max_size=40), max_size=3),
                  st.dictionaries(hashes, st.text(max_size=40), max_size=3),
                  st.lists(hashes, max_size=3).map(tuple), st.integers(1, 4), st.integers(0, 4), st.integers(0, 50))


@given(plans)
def test_a_plan_survives_its_journal_form(plan):
    assert TickPlan.from_json(json.loads(json.dumps(plan.as_json()))) == plan


def test_the_journal_seals_and_returns_the_plan_and_commits_its_sequencer_legs(tmp_path):
    leg = PlannedLeg("transfer", "0x" + "11" * 32, 901, 902, 0, "0x" + "22" * 32)
    user = "0x" + "22" * 32
    mint = PlannedTx("0x" + "33" * 32, SEQUENCER, (leg,), b"\x01\x02", "0x" + "ab" * 20, 7)
    plan = TickPlan(1_700_000_000, {901: 7, 902: 8},
                    {901: BlockPlan(5, "0x" + "44" * 32, (PlannedTx(user, USER, (leg,)),)),
                     902: BlockPlan(5, "0x" + "55" * 32, (mint,))},
                    excluded={"0x" + "66" * 32: "reverted"}, pairs=1)
    journal = Journal(tmp_path / "journal.sqlite")
    journal.accept([{"hash": user, "chain_id": 901, "sender": "0x" + "cd" * 20, "nonce": 0, "raw": b"\x05"}])
    journal.plan_tick(1, {901: 4, 902: 4})
    journal.seal_tick(1, plan)
    assert journal.last_tick().plan == plan
    journal.commit_tick(1, plan)
    record = journal.get(mint.hash)
    assert (record.origin, record.raw, record.nonce, record.block, record.legs) == \
        ("sequencer", b"\x01\x02", 7, 5, [leg.as_json()])
    assert journal.get(user).status == "included" and journal.get(user).legs == [leg.as_json()]


def test_a_plan_journaled_before_block_hashes_and_simulations_still_reads():
    old = {"timestamp": 5, "blocks": {"901": {"number": 3, "txs": [{"hash": "0xaa", "origin": "user", "legs": []}]}},
           "excluded": {}, "deferred": {}, "unsettled": [], "attempts": 1, "pairs": 0}
    plan = TickPlan.from_json(old)
    assert plan.blocks[901].hash is None and plan.simulations == 0 and plan.base_fees == {}
    assert plan.settled() == ["0xaa"]
