"""Leg hashes: the leaf both legs of a cross-chain pair append to their trees.

The same bytes on both rollups, as the system contracts compute them:

- transfer (MintBurn): ``keccak256(abi.encode(source, destination, nonce, sender, recipient,
  token, amount))``
- call (General): ``keccak256(abi.encode(source, destination, nonce, sender, target, gasLimit,
  data))``
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
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
