"""Leg hashes: the leaf both legs of a cross-chain pair append to their trees.

The same bytes on both rollups, as the system contracts compute them:

- transfer (MintBurn): ``keccak256(abi.encode(source, destination, nonce, sender, recipient,
  token, amount))``
- call (General): ``keccak256(abi.encode(source, destination, nonce, sender, target, gasLimit,
  data))``
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

TRANSFER_TYPES = ["uint256", "uint256", "uint256", "address", "address", "address", "uint256"]
CALL_TYPES = ["uint256", "uint256", "uint256", "address", "address", "uint256", "bytes"]


@dataclass(frozen=True)
class TransferLeg:
    """A token transfer from ``source`` to ``destination`` (a burn and its mint)."""

    source: int
    destination: int
    nonce: int
    sender: str
    recipient: str
    token: str
    amount: int

    def leg_hash(self) -> bytes:
        return keccak(
            encode(
                TRANSFER_TYPES,
                [
                    self.source,
                    self.destination,
                    self.nonce,
                    to_checksum_address(self.sender),
                    to_checksum_address(self.recipient),
                    to_checksum_address(self.token),
                    self.amount,
                ],
            )
        )


@dataclass(frozen=True)
class CallLeg:
    """A cross-chain call from ``source`` to ``destination`` (a trigger and its action)."""

    source: int
    destination: int
    nonce: int
    sender: str
    target: str
    gas_limit: int
    data: bytes

    def leg_hash(self) -> bytes:
        return keccak(
            encode(
                CALL_TYPES,
                [
                    self.source,
                    self.destination,
                    self.nonce,
                    to_checksum_address(self.sender),
                    to_checksum_address(self.target),
                    self.gas_limit,
                    self.data,
                ],
            )
        )


# --- events and calldata -------------------------------------------------------------------

BURN_LEG_TOPIC = "0x" + keccak(text="BurnLeg(uint256,uint256,address,address,address,uint256,bytes32)").hex()
MINT_LEG_TOPIC = "0x" + keccak(text="MintLeg(uint256,uint256,address,address,address,uint256,bytes32)").hex()
TRIGGER_LEG_TOPIC = "0x" + keccak(text="TriggerLeg(uint256,uint256,address,address,uint256,bytes,bytes32)").hex()
ACTION_LEG_TOPIC = "0x" + keccak(text="ActionLeg(uint256,uint256,address,address,uint256,bytes,bytes32)").hex()
OUTBOUND_TOPICS = (BURN_LEG_TOPIC, TRIGGER_LEG_TOPIC)
INBOUND_TOPICS = (MINT_LEG_TOPIC, ACTION_LEG_TOPIC)
ALL_LEG_TOPICS = OUTBOUND_TOPICS + INBOUND_TOPICS

MINT_SELECTOR = keccak(text="mint(uint256,uint256,address,address,address,uint256)")[:4]
ACTION_SELECTOR = keccak(text="action(uint256,uint256,address,address,bytes,uint256)")[:4]

Leg = TransferLeg | CallLeg


def _topic_int(topic: str) -> int:
    return int(topic, 16)


def _topic_address(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def decode_outbound_log(log: dict, source_chain_id: int) -> Leg:
    """A BurnLeg or TriggerLeg log (from eth_getLogs) as the leg it asks for."""
    topics, data = log["topics"], bytes.fromhex(log["data"][2:])
    destination, nonce, sender = _topic_int(topics[1]), _topic_int(topics[2]), _topic_address(topics[3])
    if topics[0] == BURN_LEG_TOPIC:
        recipient, token, amount, _ = decode(["address", "address", "uint256", "bytes32"], data)
        return TransferLeg(source_chain_id, destination, nonce, sender, to_checksum_address(recipient),
                           to_checksum_address(token), amount)
    if topics[0] == TRIGGER_LEG_TOPIC:
        target, gas_limit, payload, _ = decode(["address", "uint256", "bytes", "bytes32"], data)
        return CallLeg(source_chain_id, destination, nonce, sender, to_checksum_address(target), gas_limit, payload)
    raise ValueError(f"not an outbound leg log: topic {topics[0]}")


def inbound_leg_hash(log: dict) -> bytes:
    """The leg hash carried by a MintLeg or ActionLeg log."""
    data = bytes.fromhex(log["data"][2:])
    if log["topics"][0] == MINT_LEG_TOPIC:
        return decode(["address", "address", "uint256", "bytes32"], data)[3]
    if log["topics"][0] == ACTION_LEG_TOPIC:
        return decode(["address", "uint256", "bytes", "bytes32"], data)[3]
    raise ValueError(f"not an inbound leg log: topic {log['topics'][0]}")


def destination_calldata(leg: Leg) -> bytes:
    """Calldata of the destination leg: MintBurn.mint or General.action."""
    if isinstance(leg, TransferLeg):
        return MINT_SELECTOR + encode(
            ["uint256", "uint256", "address", "address", "address", "uint256"],
            [leg.source, leg.nonce, leg.sender, leg.recipient, leg.token, leg.amount],
        )
    return ACTION_SELECTOR + encode(
        ["uint256", "uint256", "address", "address", "bytes", "uint256"],
        [leg.source, leg.nonce, leg.sender, leg.target, leg.data, leg.gas_limit],
    )


MINT_TX_GAS = 200_000


def destination_gas(leg: Leg) -> int:
    """Gas for the destination leg's transaction. An action must have gasLimit + gasLimit/63 +
    100k left at its gas check (GeneralSystemContract), plus the transaction's own overhead."""
    if isinstance(leg, TransferLeg):
        return MINT_TX_GAS
    return leg.gas_limit + leg.gas_limit // 63 + 200_000 + 16 * len(leg.data)
