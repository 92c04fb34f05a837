"""The proofs the L1 inbox takes: each system contract's roots, revealed, with a Merkle-Patricia
proof of its commitment to them (``IBatchInbox.CommitmentProof``).

Everything comes from one block: ``eth_getProof`` of the commitment slot and an ``eth_call`` of
``roots()``, both at that height. Two contracts per rollup, one account and one storage proof
each, whatever the number of rollups.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode
from eth_utils import keccak as keccak_text

from svs.codec.hashing import keccak
from svs.codec.layout import COMMITMENT_SLOT
from svs.codec.legs import LegKind
from svs.node.rpc import RpcClient

TREES = tuple(kind.value for kind in LegKind)  # IBatchInbox.Tree: 0 = Transfer (MintBurn), 1 = Call (General)
ROOTS_SELECTOR = "0x" + keccak_text(text="roots()")[:4].hex()


@dataclass(frozen=True)
class CommitmentProof:
    """One system contract's account proof, the proof of its commitment slot, and the roots
    (per counterpart in rollup order: outbound, then inbound) that the commitment covers."""

    account_proof: list[bytes]
    commitment_proof: list[bytes]
    counterparts: list[int]
    roots: list[bytes]

    def as_abi(self) -> tuple:
        return (self.account_proof, self.commitment_proof, self.roots)

    def commitment(self) -> bytes:
        """keccak256 of the roots, as the contract and the inbox compute it."""
        return keccak(b"".join(self.roots))

    def root(self, counterpart: int, outbound: bool) -> bytes:
        """The outbound or inbound root for ``counterpart``."""
        position = self.counterparts.index(counterpart)
        return self.roots[2 * position + (0 if outbound else 1)]


def read_roots(rpc: RpcClient, address: str, block: int) -> tuple[list[int], list[bytes]]:
    """(counterparts, roots) of the system contract at ``address`` at ``block`` (``roots()``)."""
    reply = rpc.call("eth_call", {"to": address, "data": ROOTS_SELECTOR}, hex(block))
    counterparts, roots = decode(["uint256[]", "bytes32[]"], bytes.fromhex(reply[2:]))
    return list(counterparts), list(roots)


def _nodes(hex_nodes: list[str]) -> list[bytes]:
    return [bytes.fromhex(n[2:]) for n in hex_nodes]


def commitment_proof(rpc: RpcClient, address: str, block: int) -> CommitmentProof:
    """CommitmentProof of the system contract at ``address`` at ``block``."""
    reply = rpc.call("eth_getProof", address, ["0x" + COMMITMENT_SLOT.to_bytes(32, "big").hex()], hex(block))
    counterparts, roots = read_roots(rpc, address, block)
    return CommitmentProof(_nodes(reply["accountProof"]), _nodes(reply["storageProof"][0]["proof"]),
                           counterparts, roots)
