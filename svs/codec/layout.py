"""Where the system contracts keep their tree roots, counts and roots commitment.

Both system contracts inherit ``SequencerAuthority`` (owner in slot 0, sequencer in slot 1) and
then declare two mappings from a counterpart chain id to an ``IncrementalMerkleTree.Tree``:

- slot 2, "outbound": burn trees (MintBurn) or trigger trees (General), keyed by destination;
- slot 3, "inbound": mint trees (MintBurn) or action trees (General), keyed by source.

A tree's struct starts at ``keccak256(abi.encode(chainId, mappingSlot))``: the root is there and
the count one slot after. Slot 4 holds the commitment to every pair root, the one slot the L1
inbox proves (``CounterpartTrees``). ``tests/contracts`` checks these numbers against the chain.
"""

from __future__ import annotations

from typing import Literal

from eth_abi import encode
from eth_utils import keccak

OUTBOUND_SLOT = 2
INBOUND_SLOT = 3
COMMITMENT_SLOT = 4

Direction = Literal["outbound", "inbound"]


def tree_slots(direction: Direction, counterpart_chain_id: int) -> tuple[int, int]:
    """(root slot, count slot) of the tree for ``counterpart_chain_id``."""
    mapping_slot = {"outbound": OUTBOUND_SLOT, "inbound": INBOUND_SLOT}[direction]
    base = int.from_bytes(keccak(encode(["uint256", "uint256"], [counterpart_chain_id, mapping_slot])), "big")
    return base, base + 1
