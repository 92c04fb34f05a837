"""Hypothesis fuzzes a strict submission built from a real, honest rollup state: the proof bytes
and their RLP (account and commitment proofs) and the revealed roots. Whatever the damage, the
inbox never accepts, and it always says no with a revert (never by running out of gas, never by
returning). Reproduce a failure with the printed @reproduce_failure blob, or with the CI
profile's fixed examples (HYPOTHESIS_PROFILE=ci); `thorough` runs 2,000 examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from svs.deploy import accounts
from svs.l1.proofs import CommitmentProof
from svs.node.rpc import RpcClient, RpcError
from tests.support.proofs import damage_nodes

CALL_GAS = 30_000_000
EXAMPLES: list[int] = []  # examples run, reported by the control test below


@pytest.fixture(scope="module")
def honest(devnet):
    """An honest strict submission (not sent) over some transfers and a call."""
    snapshot = devnet.snapshot()
    a, b = devnet.chain_ids
    devnet.transfers(a, b, 3)
    devnet.transfers(b, a, 2)
    devnet.call(a, b)
    batches, proofs = devnet.collect("strict")
    yield batches, proofs
    devnet.revert(snapshot)


def _damage_roots(roots: list[bytes], data) -> list[bytes]:
    roots = list(roots)
    kind = data.draw(st.sampled_from(["flip", "drop", "extra", "swap"]), label="roots mutation")
    i = data.draw(st.integers(0, len(roots) - 1), label="root")
    if kind == "flip":
        roots[i] = bytes([roots[i][0] ^ data.draw(st.integers(1, 255), label="xor")]) + roots[i][1:]
    elif kind == "drop":
        del roots[i]
    elif kind == "extra":
        roots.insert(i, data.draw(st.binary(min_size=32, max_size=32), label="extra root"))
    elif roots[i] != roots[i ^ 1]:  # swap outbound and inbound
        roots[i], roots[i ^ 1] = roots[i ^ 1], roots[i]
    else:
        roots[i] = b"\x00" * 32
    return roots


def _damage(proofs, data):
    """One part of one contract's proof of one rollup, damaged one way."""
    proofs = [tuple(p) for p in proofs]
    r = data.draw(st.integers(0, len(proofs) - 1), label="rollup")
    c = data.draw(st.integers(0, 1), label="contract")
    target: CommitmentProof = proofs[r][c]
    part = data.draw(st.sampled_from(["account", "commitment", "roots"]), label="part")
    if part == "account":
        damaged = CommitmentProof(damage_nodes(target.account_proof, data), target.commitment_proof,
                                  target.counterparts, target.roots)
    elif part == "commitment":
        damaged = CommitmentProof(target.account_proof, damage_nodes(target.commitment_proof, data),
                                  target.counterparts, target.roots)
    else:
        damaged = CommitmentProof(target.account_proof, target.commitment_proof, target.counterparts,
                                  _damage_roots(target.roots, data))
    pair = list(proofs[r])
    pair[c] = damaged
    proofs[r] = tuple(pair)
    return proofs


@given(data=st.data())
def test_damaged_proofs_are_always_rejected_by_a_revert(devnet, honest, data):
    EXAMPLES.append(1)
    batches, proofs = honest
    inbox = devnet.inboxes["strict"]
    damaged = _damage(proofs, data)
    calldata = inbox.contract.encode_abi("submitBatches", args=[[b.as_abi() for b in batches],
                                                                 [(m.as_abi(), g.as_abi()) for m, g in damaged]])
    call = {"from": accounts.sequencer().address, "to": inbox.address, "data": calldata, "gas": hex(CALL_GAS)}
    try:
        RpcClient(devnet.l1_url).call("eth_call", call, "latest")
    except RpcError as err:
        assert "revert" in err.message.lower(), f"rejected, but not by a revert: {err.message}"
        assert "out of gas" not in err.message.lower()
        return
    pytest.fail("a damaged proof was accepted")


def test_the_undamaged_submission_is_accepted_by_the_same_call(devnet, honest):
    """The control for the fuzz test: the same eth_call with the honest proofs succeeds."""
    batches, proofs = honest
    inbox = devnet.inboxes["strict"]
    calldata = inbox.contract.encode_abi("submitBatches", args=[[b.as_abi() for b in batches],
                                                                 [(m.as_abi(), g.as_abi()) for m, g in proofs]])
    call = {"from": accounts.sequencer().address, "to": inbox.address, "data": calldata, "gas": hex(CALL_GAS)}
    assert int(RpcClient(devnet.l1_url).call("eth_call", call, "latest"), 16) == 0  # batch index 0
    print(f"proof fuzz: {len(EXAMPLES)} damaged submission(s) ran before this control, all rejected by a revert")
