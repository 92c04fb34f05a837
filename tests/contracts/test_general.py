"""GeneralSystemContract: triggers, actions, message context, gas, re-entry and reverts."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from svs.codec.legs import CallLeg
from svs.codec.merkle import MerkleTree

from ..conftest import CHAIN_A, CHAIN_B

GAS = 200_000


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def increment_data(counter, by: int) -> bytes:
    return bytes(counter.increment.as_transaction(by).data)


def test_trigger_appends_leaf_and_emits(general, counter, alice, local_chain_id):
    data = increment_data(counter, 5)
    receipt = general.trigger(CHAIN_A, counter, data, GAS, sender=alice)

    leg = CallLeg(local_chain_id, CHAIN_A, 1, alice.address, counter.address, GAS, data, receipt.block_number)
    assert general.triggerCount(CHAIN_A) == 2
    assert bytes(general.triggerRoot(CHAIN_A)) == MerkleTree.seeded([leg.leg_hash()]).root()
    [event] = receipt.decode_logs(general.TriggerLeg)
    assert event.destinationChainId == CHAIN_A
    assert event.nonce == 1
    assert event.sender == alice.address
    assert event.target == counter.address
    assert event.gasLimit == GAS
    assert bytes(event.data) == data
    assert bytes(event.legHash) == leg.leg_hash()


def test_trigger_nonces_count_per_destination(general, counter, alice):
    data = increment_data(counter, 1)
    for _ in range(2):
        general.trigger(CHAIN_A, counter, data, GAS, sender=alice)
    receipt = general.trigger(CHAIN_B, counter, data, GAS, sender=alice)
    assert receipt.decode_logs(general.TriggerLeg)[0].nonce == 1  # genesis leaf is index 0
    assert (general.triggerCount(CHAIN_A), general.triggerCount(CHAIN_B)) == (3, 2)


def test_action_runs_call_with_message_context_and_appends_leaf(general, counter, sequencer, alice, local_chain_id):
    data = increment_data(counter, 5)
    receipt = general.action(CHAIN_A, 1, alice, counter, data, GAS, sender=sequencer)

    assert counter.count() == 5
    assert counter.lastSender() == alice.address  # messageSender() during the call
    assert counter.lastSourceChainId() == CHAIN_A  # messageSourceChainId() during the call
    leg = CallLeg(CHAIN_A, local_chain_id, 1, alice.address, counter.address, GAS, data, receipt.block_number)
    assert general.actionCount(CHAIN_A) == 2
    assert bytes(general.actionRoot(CHAIN_A)) == MerkleTree.seeded([leg.leg_hash()]).root()
    [event] = receipt.decode_logs(general.ActionLeg)
    assert event.sourceChainId == CHAIN_A
    assert event.nonce == 1
    assert event.sender == alice.address
    assert event.target == counter.address
    assert event.gasLimit == GAS
    assert bytes(event.data) == data
    assert bytes(event.legHash) == leg.leg_hash()
    [incremented] = receipt.decode_logs(counter.Incremented)
    assert (incremented.sourceChainId, incremented.sender, incremented.by) == (CHAIN_A, alice.address, 5)


def test_leg_hash_matches_python_encoding(general, counter, alice):
    data = b"\x01\x02\x03" * 20
    leg = CallLeg(CHAIN_A, CHAIN_B, 3, alice.address, counter.address, GAS, data, 99)
    assert bytes(general.legHash(CHAIN_A, CHAIN_B, 3, 99, alice, counter, GAS, data)) == leg.leg_hash()


def test_failed_call_reverts_action_with_target_reason_and_appends_nothing(general, counter, sequencer, alice):
    reason = selector("CrossChainCounterZeroIncrement()")
    with ape.reverts(general.GeneralActionFailed, target=counter.address, reason=reason):
        general.action(CHAIN_A, 1, alice, counter, increment_data(counter, 0), GAS, sender=sequencer)
    assert general.actionCount(CHAIN_A) == 1 and bytes(general.actionRoot(CHAIN_A)) == MerkleTree.seeded().root()
    assert counter.count() == 0


@pytest.mark.parametrize("view", ["messageSender", "messageSourceChainId"])
def test_message_context_reverts_outside_an_action(general, view):
    with ape.reverts(general.GeneralNotInAction):
        getattr(general, view)()


def test_action_that_reenters_trigger_fails(general, probes, sequencer, alice):
    data = bytes(probes.reenterTrigger.as_transaction(general).data)
    reason = selector("ReentrancyGuardReentrantCall()")
    with ape.reverts(general.GeneralActionFailed, target=probes.address, reason=reason):
        general.action(CHAIN_A, 1, alice, probes, data, GAS, sender=sequencer)


def test_action_that_reenters_action_fails(general, probes, sequencer, alice):
    # The probe is not the sequencer, and even the sequencer could not nest: both guards hold.
    data = bytes(probes.reenterAction.as_transaction(general).data)
    with ape.reverts(general.GeneralActionFailed):
        general.action(CHAIN_A, 1, alice, probes, data, GAS, sender=sequencer)
    assert general.actionCount(CHAIN_A) == 1


def test_return_data_bomb_is_cut_to_256_bytes(general, probes, sequencer, alice):
    data = bytes(probes.revertWithBomb.as_transaction(200_000).data)
    # The probe reverts with its raw memory: zeros but for the free-memory pointer (0x80) in the
    # word at 0x40. Only the first 256 of its 200,000 bytes come back.
    first_256 = bytearray(256)
    first_256[0x5F] = 0x80
    with ape.reverts(general.GeneralActionFailed, target=probes.address, reason=bytes(first_256)):
        general.action(CHAIN_A, 1, alice, probes, data, 5_000_000, sender=sequencer, gas=6_000_000)


def test_call_gets_exactly_its_gas_limit(general, probes, sequencer, alice):
    gas_limit = 500_000
    general.action(CHAIN_A, 1, alice, probes, bytes(probes.recordGas.as_transaction().data), gas_limit,
                   sender=sequencer, gas=3_000_000)
    seen = probes.gasSeen()
    # The callee sees its gas limit less the few opcodes before GAS runs, never more and never
    # the 63/64 remainder of a larger budget.
    assert gas_limit - 1_000 < seen <= gas_limit


def test_action_that_runs_out_of_gas_fails_without_harming_the_transaction(general, probes, sequencer, alice):
    data = bytes(probes.burnAllGas.as_transaction().data)
    with ape.reverts(general.GeneralActionFailed, target=probes.address, reason=b""):
        general.action(CHAIN_A, 1, alice, probes, data, 100_000, sender=sequencer, gas=1_000_000)


def test_action_with_too_little_gas_left_reverts_instead_of_starving_the_call(general, counter, sequencer, alice):
    gas_limit = 2_000_000
    with ape.reverts(general.GeneralInsufficientGas):
        general.action(CHAIN_A, 1, alice, counter, increment_data(counter, 1), gas_limit,
                       sender=sequencer, gas=1_500_000)
    assert counter.count() == 0


def test_action_reverts_when_not_sequencer(general, counter, alice):
    with ape.reverts(general.SequencerUnauthorized, caller=alice.address):
        general.action(CHAIN_A, 1, alice, counter, increment_data(counter, 1), GAS, sender=alice)


def test_action_rejects_wrong_nonce(general, counter, sequencer, alice):
    data = increment_data(counter, 1)
    with ape.reverts(general.GeneralUnexpectedNonce, sourceChainId=CHAIN_A, expected=1, actual=2):
        general.action(CHAIN_A, 2, alice, counter, data, GAS, sender=sequencer)
    general.action(CHAIN_A, 1, alice, counter, data, GAS, sender=sequencer)
    with ape.reverts(general.GeneralUnexpectedNonce, sourceChainId=CHAIN_A, expected=2, actual=1):
        general.action(CHAIN_A, 1, alice, counter, data, GAS, sender=sequencer)


@pytest.mark.parametrize("which", ["general", "mint_burn", "zero"])
@pytest.mark.parametrize("leg", ["trigger", "action"])
def test_calls_to_system_contracts_or_zero_are_forbidden(general, mint_burn, sequencer, alice, which, leg):
    target = {"general": general.address, "mint_burn": mint_burn.address, "zero": "0x" + "00" * 20}[which]
    with ape.reverts(general.GeneralForbiddenTarget, target=target):
        if leg == "trigger":
            general.trigger(CHAIN_A, target, b"", GAS, sender=alice)
        else:
            general.action(CHAIN_A, 1, alice, target, b"", GAS, sender=sequencer)


@pytest.mark.parametrize("gas_limit", [0, 10_000_001])
def test_gas_limit_out_of_range_reverts(general, counter, alice, gas_limit):
    with ape.reverts(general.GeneralInvalidGasLimit, gasLimit=gas_limit, maxGasLimit=10_000_000):
        general.trigger(CHAIN_A, counter, b"", gas_limit, sender=alice)


@pytest.mark.parametrize("counterpart", ["self", "zero", "unconfigured"])
@pytest.mark.parametrize("leg", ["trigger", "action"])
def test_counterpart_that_is_not_a_configured_rollup_reverts(general, counter, sequencer, alice, local_chain_id,
                                                            counterpart, leg):
    chain_id = {"self": local_chain_id, "zero": 0, "unconfigured": 903}[counterpart]
    with ape.reverts(general.GeneralInvalidCounterpart, chainId=chain_id):
        if leg == "trigger":
            general.trigger(chain_id, counter, b"", GAS, sender=alice)
        else:
            general.action(chain_id, 1, alice, counter, b"", GAS, sender=sequencer)


def test_views_report_configuration(general, mint_burn, sequencer):
    assert general.mintBurn() == mint_burn.address
    assert general.maxGasLimit() == 10_000_000
    assert general.sequencer() == sequencer.address
