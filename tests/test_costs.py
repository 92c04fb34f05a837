"""The cuts at estimated costs (svs.pipeline.costs): estimates err low, learn from the last
simulation, stay bounded, and never keep a transaction out for good. Pure: no node."""

from __future__ import annotations

from svs.codec.legs import TransferLeg
from svs.codec.transactions import DecodedTx
from svs.pipeline.costs import Estimates, not_fitting
from svs.pipeline.mempool import PendingTx

SOURCE, DESTINATION = 901, 902
CHAINS = (SOURCE, DESTINATION)
TOKEN, ALICE = "0x" + "11" * 20, "0x" + "22" * 20
BURN, OTHER = bytes.fromhex("a1b2c3d4"), bytes.fromhex("0badf00d")
LIMIT, BYTES = 1_000_000, 1_000_000


def _source(seq: int, gas: int, selector: bytes = BURN, to: str = TOKEN) -> PendingTx:
    tx = DecodedTx(raw=b"\x01" * 100, hash=f"0x{seq:064x}", sender="0x" + f"{seq:040x}", chain_id=SOURCE, nonce=0,
                   gas=gas, max_fee_per_gas=1, value=0, to=to, data=selector + bytes(64))
    return PendingTx(seq, SOURCE, tx, 0.0)


def test_the_oldest_source_is_never_cut_on_estimates_and_the_exact_cut_decides():
    """Two sources, each with 15 mints to the other rollup. The last simulation saw only dearer
    legs (80k), so the estimate (1.2M of legs) pushes both past the limit, though their mints
    may cost far less. The estimated cut keeps the oldest (it would otherwise wait for good,
    being never simulated) and cuts the second; the exact cut, given those costs as measured,
    cuts both."""
    estimates = Estimates()
    estimates.least_leg_gas[DESTINATION] = 80_000
    sources = [_source(1, 100_000), _source(2, 100_000)]
    legs = [(tx.hash, TransferLeg(SOURCE, DESTINATION, 15 * i + n + 1, ALICE, ALICE, TOKEN, 1))
            for i, tx in enumerate(sources) for n in range(15)]
    gas_used = {tx.hash: 100_000 for tx in sources}
    estimated = not_fitting(sources, CHAINS, gas_used, estimates.legs({SOURCE: [], DESTINATION: legs}), [],
                            LIMIT, BYTES, estimated=True)
    assert set(estimated) == {sources[1].hash}
    exact_costs = {tx.hash: [(DESTINATION, 80_000, 0, 200)] * 15 for tx in sources}
    assert set(not_fitting(sources, CHAINS, gas_used, exact_costs, [], LIMIT, BYTES)) == {tx.hash for tx in sources}


def test_legs_count_at_least_their_intrinsic_and_calldata_gas_before_anything_is_learned():
    estimates = Estimates()
    leg = TransferLeg(SOURCE, DESTINATION, 1, ALICE, ALICE, TOKEN, 1)
    ((chain, gas, unused, _),) = estimates.legs({SOURCE: [], DESTINATION: [("0xab", leg)]})["0xab"]
    assert chain == DESTINATION and unused == 0 and 21_000 < gas < 40_000
    estimates.learn_legs({DESTINATION: [(True, 90_000), (False, 10_000), (True, 85_000)]})
    ((_, gas, _, _),) = estimates.legs({SOURCE: [], DESTINATION: [("0xab", leg)]})["0xab"]
    assert gas == 85_000, "the least gas a succeeding leg used; a failed leg teaches nothing"


def test_a_source_counts_at_the_least_its_kind_used_with_the_least_legs_it_asked_for():
    """Before anything is learned a source counts at its intrinsic gas and no legs. After a
    simulation, at the least gas its kind (rollup, recipient, selector) used, within its own gas
    limit, with per destination the least its kind's legs cost there; a destination one of
    them had no leg to counts as none. Another selector, or another recipient, is another kind."""
    estimates = Estimates()
    burn = _source(10, 150_000)
    gas, legs = estimates.sources([burn])
    assert 21_000 < gas[burn.hash] < 25_000 and legs == {}, "intrinsic gas (data of 68 bytes), no legs"
    seen = [_source(1, 150_000), _source(2, 150_000), _source(3, 150_000)]
    estimates.learn_sources(seen, {seen[0].hash: 70_000, seen[1].hash: 60_000, seen[2].hash: 65_000},
                            {seen[0].hash: [(DESTINATION, 50_000, 9, 300), (SOURCE, 40_000, 9, 200)],
                             seen[1].hash: [(DESTINATION, 55_000, 9, 290)],
                             seen[2].hash: [(DESTINATION, 20_000, 9, 310), (DESTINATION, 30_000, 9, 310)]})
    gas, legs = estimates.sources([burn, _source(11, 40_000), _source(12, 150_000, OTHER),
                                   _source(13, 150_000, BURN, ALICE)])
    assert gas[burn.hash] == 60_000
    assert legs[burn.hash] == [(DESTINATION, 50_000, 0, 290)], "least per destination (two legs sum); none to SOURCE"
    assert gas[_source(11, 40_000).hash] == 40_000, "never above the transaction's own gas limit"
    assert gas[_source(12, 0).hash] < 25_000 and _source(12, 0).hash not in legs, "another selector"
    assert gas[_source(13, 0).hash] < 25_000 and _source(13, 0).hash not in legs, "another recipient"
    # The next simulation replaces what the kind cost.
    estimates.learn_sources([seen[0]], {seen[0].hash: 90_000}, {})
    gas, legs = estimates.sources([burn])
    assert gas[burn.hash] == 90_000 and legs == {}


def test_the_remembered_kinds_are_bounded_and_the_least_recently_seen_go_first():
    estimates = Estimates(max_kinds=3)
    txs = [_source(i + 1, 150_000, i.to_bytes(4, "big")) for i in range(4)]
    for tx in txs[:3]:
        estimates.learn_sources([tx], {tx.hash: 80_000}, {})
    estimates.learn_sources([txs[0]], {txs[0].hash: 80_000}, {})  # seen again: now the most recent
    estimates.learn_sources([txs[3]], {txs[3].hash: 80_000}, {})
    gas, _ = estimates.sources(txs)
    assert [gas[tx.hash] == 80_000 for tx in txs] == [True, False, True, True]


def test_estimated_sources_cut_what_cannot_fit_and_keep_the_oldest():
    """Eight burns of a kind that used 300k gas with a 100k mint: at estimated costs three fit a
    1M block (with the margin, 3 * 300k + 3 * 100k on the two rollups); the rest are deferred.
    A tick of one kind never seen before is not cut at all (its estimate is intrinsic gas), and
    a first burn estimated above the whole block is kept."""
    estimates = Estimates()
    seen = _source(100, 400_000)
    estimates.learn_sources([seen], {seen.hash: 300_000}, {seen.hash: [(DESTINATION, 100_000, 0, 300)]})
    burns = [_source(i + 1, 400_000) for i in range(8)]
    cut = not_fitting(burns, CHAINS, *estimates.sources(burns), [], LIMIT, BYTES, estimated=True)
    assert set(cut) == {tx.hash for tx in burns[3:]}
    others = [_source(i + 1, 400_000, OTHER) for i in range(8)]
    assert not_fitting(others, CHAINS, *estimates.sources(others), [], LIMIT, BYTES, estimated=True) == {}
    estimates.learn_sources([seen], {seen.hash: 300_000}, {seen.hash: [(DESTINATION, 2_000_000, 0, 300)]})
    cut = not_fitting(burns, CHAINS, *estimates.sources(burns), [], LIMIT, BYTES, estimated=True)
    assert set(cut) == {tx.hash for tx in burns[1:]}, "the oldest is kept whatever its estimate"
