"""Leg hashes: the leaf both legs of a cross-chain pair append to their trees.

The same bytes on both rollups, as the system contracts compute them:

- transfer (MintBurn): ``keccak256(abi.encode(source, destination, nonce, height, sender,
  recipient, token, amount))``
- call (General): ``keccak256(abi.encode(source, destination, nonce, height, sender, target,
  gasLimit, data))``

``height`` is the block number both legs execute in, in a synchronous deployment (the rollups
advance together), and 0 in an asynchronous one (attach mode): see ``CounterpartTrees``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from eth_utils import keccak as keccak_text

from svs.codec.hashing import keccak

# The sequencer hashes and encodes thousands of legs per tick, so the ABI encoding is written out
# by hand (32-byte words); tests/test_legs.py checks it against eth-abi.


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address(value: str) -> bytes:
    raw = bytes.fromhex(value[2:] if value.startswith(("0x", "0X")) else value)
    if len(raw) != 20:
        raise ValueError(f"not an address: {value}")
    return b"\x00" * 12 + raw


def _dynamic_bytes(data: bytes) -> bytes:
    return _word(len(data)) + data + b"\x00" * (-len(data) % 32)


class LegKind(str, Enum):
    """Which pair of trees a leg belongs to: a transfer (MintBurn: burn, then mint) or a call
    (General: trigger, then action). The value is the name plans, statuses and reports use; the
    order is the inbox's ``Tree`` enum (0 transfer, 1 call)."""

    TRANSFER = "transfer"
    CALL = "call"


class _CachedHash:
    """Legs are frozen; their hash is computed once, on first use."""

    def leg_hash(self) -> bytes:
        cached = self.__dict__.get("_leg_hash")
        if cached is None:
            cached = keccak(self.encode())
            object.__setattr__(self, "_leg_hash", cached)
        return cached


@dataclass(frozen=True)
class TransferLeg(_CachedHash):
    """A token transfer from ``source`` to ``destination`` (a burn and its mint)."""

    kind = LegKind.TRANSFER  # a class attribute, not a field
    source: int
    destination: int
    nonce: int
    sender: str
    recipient: str
    token: str
    amount: int
    height: int = 0  # the block both legs execute in (synchronous deployments), else 0

    def encode(self) -> bytes:
        """abi.encode(source, destination, nonce, height, sender, recipient, token, amount)."""
        return (_word(self.source) + _word(self.destination) + _word(self.nonce) + _word(self.height)
                + _address(self.sender) + _address(self.recipient) + _address(self.token) + _word(self.amount))


@dataclass(frozen=True)
class CallLeg(_CachedHash):
    """A cross-chain call from ``source`` to ``destination`` (a trigger and its action)."""

    kind = LegKind.CALL  # a class attribute, not a field
    source: int
    destination: int
    nonce: int
    sender: str
    target: str
    gas_limit: int
    data: bytes
    height: int = 0  # the block both legs execute in (synchronous deployments), else 0

    def encode(self) -> bytes:
        """abi.encode(source, destination, nonce, height, sender, target, gasLimit, data)."""
        return (_word(self.source) + _word(self.destination) + _word(self.nonce) + _word(self.height)
                + _address(self.sender) + _address(self.target) + _word(self.gas_limit) + _word(8 * 32)
                + _dynamic_bytes(self.data))


# --- events and calldata -------------------------------------------------------------------

BURN_LEG_TOPIC = "0x" + keccak_text(text="BurnLeg(uint256,uint256,address,address,address,uint256,bytes32)").hex()
MINT_LEG_TOPIC = "0x" + keccak_text(text="MintLeg(uint256,uint256,address,address,address,uint256,bytes32)").hex()
TRIGGER_LEG_TOPIC = "0x" + keccak_text(text="TriggerLeg(uint256,uint256,address,address,uint256,bytes,bytes32)").hex()
ACTION_LEG_TOPIC = "0x" + keccak_text(text="ActionLeg(uint256,uint256,address,address,uint256,bytes,bytes32)").hex()
OUTBOUND_TOPICS = (BURN_LEG_TOPIC, TRIGGER_LEG_TOPIC)
INBOUND_TOPICS = (MINT_LEG_TOPIC, ACTION_LEG_TOPIC)
ALL_LEG_TOPICS = OUTBOUND_TOPICS + INBOUND_TOPICS

BURN_SELECTOR = keccak_text(text="burn(uint256,address,address,uint256)")[:4]
TRIGGER_SELECTOR = keccak_text(text="trigger(uint256,address,bytes,uint256)")[:4]
MINT_SELECTOR = keccak_text(text="mint(uint256,uint256,address,address,address,uint256)")[:4]
ACTION_SELECTOR = keccak_text(text="action(uint256,uint256,address,address,bytes,uint256)")[:4]
MINT_COUNT_SELECTOR = keccak_text(text="mintCount(uint256)")[:4]  # the next nonce a mint stream expects
ACTION_COUNT_SELECTOR = keccak_text(text="actionCount(uint256)")[:4]  # the next nonce an action stream expects

Leg = TransferLeg | CallLeg


def _topic_int(topic: str) -> int:
    return int(topic, 16)


def _topic_address(topic: str) -> str:
    return "0x" + topic[-40:]


def _words(data_hex: str) -> list[bytes]:
    data = bytes.fromhex(data_hex[2:])
    return [data[i:i + 32] for i in range(0, len(data), 32)]


def decode_outbound_log(log: dict, source_chain_id: int) -> Leg:
    """A BurnLeg or TriggerLeg log (from eth_getLogs or a simulation) as the leg it asks for. The
    leg hash the contract emitted must equal the one computed here from the fields, bound to the
    log's block number (a synchronous deployment) or to height 0 (an asynchronous one)."""
    topics = log["topics"]
    destination, nonce, sender = _topic_int(topics[1]), _topic_int(topics[2]), _topic_address(topics[3])
    words = _words(log["data"])
    if topics[0] == BURN_LEG_TOPIC:  # recipient, token, amount, legHash
        leg: Leg = TransferLeg(source_chain_id, destination, nonce, sender, "0x" + words[0][12:].hex(),
                               "0x" + words[1][12:].hex(), int.from_bytes(words[2], "big"))
        emitted = words[3]
    elif topics[0] == TRIGGER_LEG_TOPIC:  # target, gasLimit, offset of data, legHash, len, data...
        offset = int.from_bytes(words[2], "big") // 32
        length = int.from_bytes(words[offset], "big")
        payload = b"".join(words[offset + 1:])[:length]
        leg = CallLeg(source_chain_id, destination, nonce, sender, "0x" + words[0][12:].hex(),
                      int.from_bytes(words[1], "big"), payload)
        emitted = words[3]
    else:
        raise ValueError(f"not an outbound leg log: topic {topics[0]}")
    for height in (int(log.get("blockNumber") or "0x0", 16), 0):
        bound = replace(leg, height=height)
        if bound.leg_hash() == emitted:
            return bound
    raise ValueError(f"leg hash in the log ({emitted.hex()}) differs from the encoding of its fields")


def inbound_leg_hash(log: dict) -> bytes:
    """The leg hash carried by a MintLeg (4th data word) or ActionLeg (4th data word) log."""
    if log["topics"][0] not in INBOUND_TOPICS:
        raise ValueError(f"not an inbound leg log: topic {log['topics'][0]}")
    return _words(log["data"])[3]


def destination_calldata(leg: Leg) -> bytes:
    """Calldata of the destination leg: MintBurn.mint or General.action."""
    if isinstance(leg, TransferLeg):
        return (MINT_SELECTOR + _word(leg.source) + _word(leg.nonce) + _address(leg.sender)
                + _address(leg.recipient) + _address(leg.token) + _word(leg.amount))
    return (ACTION_SELECTOR + _word(leg.source) + _word(leg.nonce) + _address(leg.sender) + _address(leg.target)
            + _word(6 * 32) + _word(leg.gas_limit) + _dynamic_bytes(leg.data))


MINT_TX_GAS = 200_000


def destination_gas(leg: Leg) -> int:
    """Gas for the destination leg's transaction. An action must have gasLimit + gasLimit/63 +
    100k left at its gas check (GeneralSystemContract), plus the transaction's own overhead."""
    if isinstance(leg, TransferLeg):
        return MINT_TX_GAS
    return leg.gas_limit + leg.gas_limit // 63 + 200_000 + 16 * len(leg.data)


# --- LegSimulator (contracts/simulation/LegSimulator.sol) ---------------------------------------

SIMULATE_SELECTOR = keccak_text(text="simulate((address,bytes4,uint256,bytes)[])")[:4]


def leg_simulation_calldata(system: str, count_selector: bytes, gas: int, calldata: bytes) -> bytes:
    """``LegSimulator.simulate([(system, countSelector, gas, calldata)])``: one leg per call."""
    if len(count_selector) != 4:
        raise ValueError(f"a selector is 4 bytes, not {len(count_selector)}")
    return (SIMULATE_SELECTOR + _word(32) + _word(1) + _word(32) + _address(system) + count_selector + b"\x00" * 28
            + _word(gas) + _word(4 * 32) + _dynamic_bytes(calldata))


def decode_leg_outcomes(data: bytes) -> list[tuple[bool, int]]:
    """``LegSimulator.simulate``'s return, ``(bool success, uint256 gasUsed)[]``; ValueError
    unless ``data`` is exactly that encoding."""
    if len(data) < 64 or int.from_bytes(data[:32], "big") != 32:
        raise ValueError("not an encoded (bool,uint256)[]: bad head")
    count = int.from_bytes(data[32:64], "big")
    if len(data) != 64 + 64 * count:
        raise ValueError(f"not an encoded (bool,uint256)[] of {count}: {len(data)} bytes")
    outcomes = []
    for at in range(64, len(data), 64):
        ok = int.from_bytes(data[at:at + 32], "big")
        if ok > 1:
            raise ValueError(f"not a bool: {ok}")
        outcomes.append((ok == 1, int.from_bytes(data[at + 32:at + 64], "big")))
    return outcomes
