"""Merkle-Patricia proofs of the system contracts' tree slots, in the shapes the L1 inbox takes.

Everything comes from ``eth_getProof`` at one block. The slot order is the inbox's: for each
counterpart in rollup order (the proven rollup skipped), outbound root, outbound count, inbound
root, inbound count (see ``IBatchInbox.ContractProof``).
"""

from __future__ import annotations

from dataclasses import dataclass

from svs.codec.layout import Direction, tree_slots
from svs.codec.legs import LegKind
from svs.node.rpc import RpcClient

TREES = tuple(kind.value for kind in LegKind)  # IBatchInbox.Tree: 0 = Transfer (MintBurn), 1 = Call (General)


@dataclass(frozen=True)
class ContractProof:
    """One system contract's account proof and its storage proofs, as bytes."""

    account_proof: list[bytes]
    storage_proofs: list[list[bytes]]

    def as_abi(self) -> tuple:
        return (self.account_proof, self.storage_proofs)


@dataclass(frozen=True)
class TreeProof:
    """Account, root-slot and count-slot proofs of one tree (challenges, inclusion checks)."""

    account_proof: list[bytes]
    root_proof: list[bytes]
    count_proof: list[bytes]

    def as_abi(self) -> tuple:
        return (self.account_proof, self.root_proof, self.count_proof)


def contract_slots(chain_id: int, rollups: list[int]) -> list[int]:
    """The slots a ContractProof covers for the contract on ``chain_id``, in the inbox's order."""
    slots = []
    for counterpart in rollups:
        if counterpart == chain_id:
            continue
        out_root, out_count = tree_slots("outbound", counterpart)
        in_root, in_count = tree_slots("inbound", counterpart)
        slots += [out_root, out_count, in_root, in_count]
    return slots


def _get_proof(rpc: RpcClient, address: str, slots: list[int], block: int) -> dict:
    return rpc.call("eth_getProof", address, ["0x" + s.to_bytes(32, "big").hex() for s in slots], hex(block))


def _nodes(hex_nodes: list[str]) -> list[bytes]:
    return [bytes.fromhex(n[2:]) for n in hex_nodes]


def contract_proof(rpc: RpcClient, address: str, chain_id: int, rollups: list[int], block: int) -> ContractProof:
    """ContractProof of the contract at ``address`` on ``chain_id`` at ``block``."""
    reply = _get_proof(rpc, address, contract_slots(chain_id, rollups), block)
    return ContractProof(_nodes(reply["accountProof"]), [_nodes(s["proof"]) for s in reply["storageProof"]])


def tree_proof(rpc: RpcClient, address: str, direction: Direction, counterpart: int, block: int) -> TreeProof:
    """TreeProof of the ``direction`` tree for ``counterpart`` in the contract at ``address``."""
    reply = _get_proof(rpc, address, list(tree_slots(direction, counterpart)), block)
    root, count = reply["storageProof"]
    return TreeProof(_nodes(reply["accountProof"]), _nodes(root["proof"]), _nodes(count["proof"]))
