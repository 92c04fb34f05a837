"""L1Bridge.deposit on its own: every revert path with its custom error, and the DepositLeg
event field by field against the leg hash the rollup's mint must append (svs.codec.legs). The
exit paths are tested through the live sequencer (tests/sequencer/test_l1_legs.py), which is
what produces a batch to prove against."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address

from svs.codec.legs import TransferLeg
from svs.deploy import accounts
from svs.l1.exits import BridgeClient, BridgeRejected
from svs.node.chains import L1_CHAIN_ID

TOKEN = 10**18


def bridge_of(net, user: int = 0) -> BridgeClient:
    return BridgeClient(net.l1_url, net.inboxes["strict"].bridge(), accounts.user(user))


@pytest.mark.parametrize("case", ["unknown rollup", "L1 itself", "zero recipient", "zero amount", "rollup token",
                                  "other token"])
def test_every_bad_deposit_reverts_with_its_error_and_changes_nothing(net, case):
    client = bridge_of(net)
    alice = accounts.user(1).address
    l1_token = client.l1_token()
    rollup, recipient, token, amount = 901, alice, l1_token, TOKEN
    expected = {
        "unknown rollup": (r"BridgeUnknownRollup\(rollup=903\)", dict(rollup=903)),
        "L1 itself": (rf"BridgeUnknownRollup\(rollup={L1_CHAIN_ID}\)", dict(rollup=L1_CHAIN_ID)),
        "zero recipient": (r"BridgeZeroRecipient\(\)", dict(recipient="0x" + "00" * 20)),
        "zero amount": (r"BridgeZeroAmount\(\)", dict(amount=0)),
        "rollup token": (r"BridgeUnsupportedToken", dict(token=net.contracts["BridgeableToken"])),
        "other token": (r"BridgeUnsupportedToken", dict(token=alice)),
    }[case]
    args = {**dict(rollup=rollup, recipient=recipient, token=token, amount=amount), **expected[1]}
    call = client.contract.functions.deposit(args["rollup"], to_checksum_address(args["recipient"]),
                                             to_checksum_address(args["token"]), args["amount"])
    with pytest.raises(BridgeRejected, match=expected[0]):
        client._send("deposit", call)
    assert client.deposit_count(901) == 1


def test_a_deposit_burns_on_l1_appends_its_leg_and_emits_it_field_by_field(net):
    client = bridge_of(net)
    holder, alice = accounts.user(0).address, accounts.user(1).address
    token = client.w3.eth.contract(address=client.l1_token(), abi=client.contract.abi).address
    erc20 = client.w3.eth.contract(address=token, abi=[{"name": "balanceOf", "type": "function", "stateMutability": "view",
                                                        "inputs": [{"name": "a", "type": "address"}],
                                                        "outputs": [{"name": "", "type": "uint256"}]}])
    before = erc20.functions.balanceOf(holder).call()
    for nonce in (1, 2):
        sent = client.deposit(902, alice, nonce * TOKEN)
        receipt = client.w3.eth.get_transaction_receipt(sent.tx_hash)
        (event,) = client.contract.events.DepositLeg().process_receipt(receipt)
        leg = TransferLeg(L1_CHAIN_ID, 902, nonce, holder, alice, net.contracts["BridgeableToken"], nonce * TOKEN)
        assert event.args.rollup == 902 and event.args.nonce == nonce
        assert (event.args.sender, event.args.recipient) == (holder, alice)
        assert event.args.token == to_checksum_address(net.contracts["BridgeableToken"])  # the rollups' address
        assert event.args.amount == nonce * TOKEN and event.args.legHash == leg.leg_hash()
        root = client.contract.functions.depositRoot(902).call()
        assert client.contract.functions.depositCountOf(902, root).call() == nonce + 1
        assert client.contract.functions.depositBlock(902, nonce).call() == receipt.blockNumber
    assert client.deposit_count(902) == 3 and client.deposit_count(901) == 1
    assert erc20.functions.balanceOf(holder).call() == before - 3 * TOKEN
