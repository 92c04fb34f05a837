"""The hand-written leg encodings equal eth-abi's, and log decoding round-trips."""

from __future__ import annotations

from dataclasses import replace

from eth_abi import encode
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from svs.codec.legs import (
    ACTION_SELECTOR,
    BURN_LEG_TOPIC,
    MINT_SELECTOR,
    SIMULATE_SELECTOR,
    TRIGGER_LEG_TOPIC,
    CallLeg,
    TransferLeg,
    decode_leg_outcomes,
    decode_outbound_log,
    destination_calldata,
    leg_simulation_calldata,
)

uint = st.integers(0, 2**256 - 1)
address = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())

height = st.integers(0, 2**64 - 1)
transfer = st.builds(TransferLeg, uint, uint, uint, address, address, address, uint, height)
call = st.builds(CallLeg, uint, uint, uint, address, address, uint, st.binary(max_size=300), height)


@given(transfer)
def test_transfer_leg_encoding_equals_eth_abi(leg):
    expected = encode(["uint256", "uint256", "uint256", "uint256", "address", "address", "address", "uint256"],
                      [leg.source, leg.destination, leg.nonce, leg.height, leg.sender, leg.recipient, leg.token,
                       leg.amount])
    assert leg.encode() == expected and leg.leg_hash() == keccak(expected)
    assert destination_calldata(leg) == MINT_SELECTOR + encode(
        ["uint256", "uint256", "address", "address", "address", "uint256"],
        [leg.source, leg.nonce, leg.sender, leg.recipient, leg.token, leg.amount])


@given(call)
def test_call_leg_encoding_equals_eth_abi(leg):
    expected = encode(["uint256", "uint256", "uint256", "uint256", "address", "address", "uint256", "bytes"],
                      [leg.source, leg.destination, leg.nonce, leg.height, leg.sender, leg.target, leg.gas_limit,
                       leg.data])
    assert leg.encode() == expected and leg.leg_hash() == keccak(expected)
    assert destination_calldata(leg) == ACTION_SELECTOR + encode(
        ["uint256", "uint256", "address", "address", "bytes", "uint256"],
        [leg.source, leg.nonce, leg.sender, leg.target, leg.data, leg.gas_limit])


def _topics(leg) -> list[str]:
    return ["0x" + leg.destination.to_bytes(32, "big").hex(), "0x" + leg.nonce.to_bytes(32, "big").hex(),
            "0x" + "00" * 12 + leg.sender[2:]]


@given(transfer)
def test_burn_log_decodes_to_its_leg(leg):
    data = encode(["address", "address", "uint256", "bytes32"], [leg.recipient, leg.token, leg.amount, leg.leg_hash()])
    log = {"topics": [BURN_LEG_TOPIC, *_topics(leg)], "data": "0x" + data.hex(), "blockNumber": hex(leg.height)}
    assert decode_outbound_log(log, leg.source) == leg


@given(call)
def test_trigger_log_decodes_to_its_leg(leg):
    data = encode(["address", "uint256", "bytes", "bytes32"], [leg.target, leg.gas_limit, leg.data, leg.leg_hash()])
    log = {"topics": [TRIGGER_LEG_TOPIC, *_topics(leg)], "data": "0x" + data.hex(), "blockNumber": hex(leg.height)}
    assert decode_outbound_log(log, leg.source) == leg


def test_log_whose_leg_hash_disagrees_with_its_fields_is_refused():
    leg = TransferLeg(1, 2, 3, "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20, 5)
    data = encode(["address", "address", "uint256", "bytes32"], [leg.recipient, leg.token, leg.amount, b"\x01" * 32])
    import pytest

    with pytest.raises(ValueError, match="differs"):
        decode_outbound_log({"topics": [BURN_LEG_TOPIC, *_topics(leg)], "data": "0x" + data.hex()}, 1)


def test_a_leg_is_bound_to_its_logs_block_or_to_height_zero_and_nothing_else():
    """Synchronous deployments hash the block number, asynchronous ones 0; a hash bound to any
    other height is not the leg the log's fields describe."""
    import pytest

    leg = TransferLeg(1, 2, 3, "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20, 5)

    def log(bound: int, block: int) -> dict:
        data = encode(["address", "address", "uint256", "bytes32"],
                      [leg.recipient, leg.token, leg.amount, replace(leg, height=bound).leg_hash()])
        return {"topics": [BURN_LEG_TOPIC, *_topics(leg)], "data": "0x" + data.hex(), "blockNumber": hex(block)}

    assert decode_outbound_log(log(7, 7), 1).height == 7
    assert decode_outbound_log(log(0, 7), 1).height == 0
    with pytest.raises(ValueError, match="differs"):
        decode_outbound_log(log(6, 7), 1)


@given(address, st.binary(min_size=4, max_size=4), st.integers(0, 2**256 - 1), st.binary(max_size=300))
def test_leg_simulation_calldata_equals_eth_abi(system, selector, gas, calldata):
    expected = SIMULATE_SELECTOR + encode(["(address,bytes4,uint256,bytes)[]"], [[(system, selector, gas, calldata)]])
    assert leg_simulation_calldata(system, selector, gas, calldata) == expected


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2**256 - 1)), max_size=20))
def test_leg_outcomes_decode_as_eth_abi_does(outcomes):
    assert decode_leg_outcomes(encode(["(bool,uint256)[]"], [outcomes])) == outcomes


@given(st.integers(0, 4).flatmap(lambda n: st.tuples(st.just(n), st.binary(min_size=64 * n, max_size=64 * n))),
       st.sampled_from([b"", b"\x00" * 32]))
def test_leg_outcomes_decoding_refuses_what_eth_abi_would_not_read_the_same(body, extra):
    """Garbage from a node, shaped like an array of n outcomes: the hand decoder returns what
    eth-abi reads, or raises ValueError where eth-abi refuses or would ignore trailing bytes."""
    import pytest
    from eth_abi import decode

    count, words = body
    data = (32).to_bytes(32, "big") + count.to_bytes(32, "big") + words + extra
    try:
        theirs = [tuple(o) for o in decode(["(bool,uint256)[]"], data)[0]]
    except Exception:  # noqa: BLE001 - eth-abi raises several types on garbage
        theirs = None
    if theirs is None or extra:
        with pytest.raises(ValueError):
            decode_leg_outcomes(data)
    else:
        assert decode_leg_outcomes(data) == theirs
