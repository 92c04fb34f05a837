"""The cut before the legs are simulated (svs.pipeline.builder): legs at estimated costs must
never keep a transaction out for good. Pure: no node, the builder's fitting rule alone."""

from __future__ import annotations

from types import SimpleNamespace

from svs.codec.legs import TransferLeg
from svs.codec.transactions import DecodedTx
from svs.pipeline.builder import Builder, _Attempt, _Selection
from svs.pipeline.mempool import PendingTx

SOURCE, DESTINATION = 901, 902
TOKEN, ALICE = "0x" + "11" * 20, "0x" + "22" * 20


def _source(seq: int, gas: int) -> PendingTx:
    tx = DecodedTx(raw=b"\x01" * 100, hash=f"0x{seq:064x}", sender="0x" + f"{seq:040x}", chain_id=SOURCE, nonce=0,
                   gas=gas, max_fee_per_gas=1, value=0, to=TOKEN, data=b"")
    return PendingTx(seq, SOURCE, tx, 0.0)


def _builder() -> Builder:
    chains = [SimpleNamespace(chain_id=SOURCE), SimpleNamespace(chain_id=DESTINATION)]
    builder = Builder(chains, "0x" + "33" * 20, block_gas_limit=1_000_000)
    builder._deposits = {}
    return builder


def test_the_oldest_source_is_never_cut_on_estimates_and_the_exact_cut_decides():
    """Two sources, each with 15 mints to the other rollup. The last simulation saw only dearer
    legs (80k), so the estimate (1.2M of legs) pushes both past the limit, though their mints
    may cost far less. The estimated cut keeps the oldest (it would otherwise wait for good,
    being never simulated) and cuts the second; the exact cut, given those costs as measured,
    cuts both."""
    builder = _builder()
    builder._least_leg_gas[DESTINATION] = 80_000
    sources = [_source(1, 100_000), _source(2, 100_000)]
    legs = [(tx.hash, TransferLeg(SOURCE, DESTINATION, 15 * i + n + 1, ALICE, ALICE, TOKEN, 1))
            for i, tx in enumerate(sources) for n in range(15)]
    seen = _Attempt(gas_used={tx.hash: 100_000 for tx in sources})
    selection = _Selection({SOURCE: list(sources), DESTINATION: []})
    estimated = builder._not_fitting(selection, seen, builder._least_leg_costs({SOURCE: [], DESTINATION: legs}),
                                     estimated=True)
    assert set(estimated) == {sources[1].hash}
    exact_costs = {h: [(DESTINATION, 80_000, 0, 200)] * 15 for h in (tx.hash for tx in sources)}
    assert set(builder._not_fitting(selection, seen, exact_costs)) == {tx.hash for tx in sources}
    builder.close()


def test_legs_count_at_least_their_intrinsic_and_calldata_gas_before_anything_is_learned():
    builder = _builder()
    leg = TransferLeg(SOURCE, DESTINATION, 1, ALICE, ALICE, TOKEN, 1)
    ((chain, gas, unused, _),) = builder._least_leg_costs({SOURCE: [], DESTINATION: [("0xab", leg)]})["0xab"]
    assert chain == DESTINATION and unused == 0 and 21_000 < gas < 40_000
    builder._learn_leg_gas({DESTINATION: [(True, 90_000), (False, 10_000), (True, 85_000)]})
    ((_, gas, _, _),) = builder._least_leg_costs({SOURCE: [], DESTINATION: [("0xab", leg)]})["0xab"]
    assert gas == 85_000, "the least gas a succeeding leg used; a failed leg teaches nothing"
    builder.close()
