"""The fast raw-transaction decoder and signer agree with eth-account, byte for byte."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from svs.codec.signer import LegacySigner
from svs.codec.transactions import InvalidTransaction, decode_raw_transaction

KEY = Account.create()

common = dict(
    nonce=st.integers(0, 2**40), gas=st.integers(21_000, 30_000_000), value=st.integers(0, 2**100),
    data=st.binary(max_size=200), chainId=st.integers(1, 2**32),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)),
)


def _tx(kind: int, fields: dict, fee: int) -> dict:
    tx = {k: v for k, v in fields.items() if k != "to"}
    if fields["to"] is not None:
        tx["to"] = to_checksum_address(fields["to"])
    if kind == 2:
        tx.update(type=2, maxFeePerGas=fee, maxPriorityFeePerGas=min(fee, 10**9))
    else:
        tx["gasPrice"] = fee
        if kind == 1:
            tx.update(type=1, accessList=[])
    return tx


@given(kind=st.sampled_from([0, 1, 2]), fee=st.integers(1, 10**12), **common)
def test_decoder_agrees_with_eth_account(kind, fee, **fields):
    tx = _tx(kind, fields, fee)
    signed = KEY.sign_transaction(tx)
    decoded = decode_raw_transaction(bytes(signed.raw_transaction))
    assert decoded.sender == KEY.address
    assert decoded.hash == "0x" + signed.hash.hex()
    assert (decoded.chain_id, decoded.nonce, decoded.gas, decoded.value, decoded.data) == (
        fields["chainId"], fields["nonce"], fields["gas"], fields["value"], fields["data"])
    assert decoded.max_fee_per_gas == fee
    assert (decoded.to is None) == (fields["to"] is None)


@given(nonce=st.integers(0, 2**40), gas_price=st.integers(1, 10**12), gas=st.integers(21_000, 10**7),
       data=st.binary(max_size=300), chain_id=st.integers(1, 2**32))
def test_fast_signer_agrees_with_eth_account(nonce, gas_price, gas, data, chain_id):
    to = b"\x11" * 20
    raw, tx_hash = LegacySigner(bytes(KEY.key), chain_id).sign(nonce, gas_price, gas, to, 0, data)
    reference = KEY.sign_transaction({"nonce": nonce, "gasPrice": gas_price, "gas": gas, "to": to_checksum_address(to),
                                      "value": 0, "data": data, "chainId": chain_id})
    assert raw == bytes(reference.raw_transaction)
    assert tx_hash == "0x" + reference.hash.hex()


@given(st.binary(max_size=300))
def test_garbage_is_rejected_with_invalid_transaction_only(garbage):
    try:
        decode_raw_transaction(garbage)
    except InvalidTransaction:
        pass


def test_tampered_signature_recovers_another_sender_or_fails():
    raw = bytearray(KEY.sign_transaction(_tx(2, {"nonce": 0, "gas": 21000, "value": 0, "data": b"", "chainId": 901,
                                                  "to": b"\x22" * 20}, 10**9)).raw_transaction)
    raw[-5] ^= 0x01
    try:
        assert decode_raw_transaction(bytes(raw)).sender != KEY.address
    except InvalidTransaction:
        pass


def test_pre_eip155_legacy_has_no_chain_id():
    from eth_account._utils.legacy_transactions import encode_transaction, serializable_unsigned_transaction_from_dict

    unsigned = serializable_unsigned_transaction_from_dict(
        {"nonce": 0, "gasPrice": 10**9, "gas": 21000, "to": to_checksum_address(b"\x22" * 20), "value": 0, "data": b""})
    signature = KEY.unsafe_sign_hash(unsigned.hash())
    raw = encode_transaction(unsigned, vrs=(signature.v, signature.r, signature.s))
    decoded = decode_raw_transaction(bytes(raw))
    assert decoded.chain_id is None and decoded.sender == KEY.address


@pytest.mark.parametrize("raw, message", [(b"", "empty"), (b"\x05\x00", "unsupported transaction type 0x05"),
                                          (b"\xc0", "RLP list of 9 fields"), (b"\x02\xc0", "type-2")])
def test_malformed_inputs_name_the_problem(raw, message):
    with pytest.raises(InvalidTransaction, match=message):
        decode_raw_transaction(raw)


@given(st.binary(min_size=20, max_size=20))
def test_checksum_address_equals_eth_utils(raw):
    from svs.codec.rlpcodec import checksum_address

    assert checksum_address(raw) == to_checksum_address(raw)


@given(st.lists(st.binary(max_size=80), max_size=12))
def test_rlp_list_of_bytes_equals_pyrlp(items):
    import rlp

    from svs.codec.rlpcodec import rlp_list_of_bytes

    assert rlp_list_of_bytes(items) == rlp.encode(items)


@given(st.binary(max_size=600))
def test_hot_path_keccak_equals_eth_utils(data):
    from eth_utils import keccak as reference

    from svs.codec.hashing import keccak

    assert keccak(data) == reference(data)
