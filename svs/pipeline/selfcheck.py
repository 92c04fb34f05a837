"""After every tick: for every ordered pair of rollups, the outbound tree on the source must equal
the inbound tree on the destination (root and count), for transfers and for calls.

Values are read from the storage slots themselves (svs.codec.layout), the slots the L1 inbox proves.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

from svs.codec.layout import tree_slots
from svs.codec.legs import LegKind
from svs.node.rollup import Rollup


@dataclass(frozen=True)
class PairRoots:
    source: int
    destination: int
    kind: str  # "transfer" (burn/mint) or "call" (trigger/action)
    source_root: str
    source_count: int
    destination_root: str
    destination_count: int

    @property
    def equal(self) -> bool:
        return (self.source_root, self.source_count) == (self.destination_root, self.destination_count)

    def describe(self) -> str:
        """How the two sides stand, for logs, halts and findings."""
        state = "agree" if self.equal else "differ"
        return (f"{self.kind} trees {self.source}->{self.destination} {state}: {self.source_root}/{self.source_count}"
                f" vs {self.destination_root}/{self.destination_count}")

    def as_dict(self) -> dict:
        return {"source": self.source, "destination": self.destination, "kind": self.kind,
                "sourceRoot": self.source_root, "sourceCount": self.source_count,
                "destinationRoot": self.destination_root, "destinationCount": self.destination_count,
                "equal": self.equal}


def read_pair_roots(chains: dict[int, Rollup], heights: dict[int, int]) -> list[PairRoots]:
    """Roots and counts of every tree at the given heights, paired up."""
    values: dict[tuple[int, str, str, int], tuple[str, int]] = {}
    for chain_id, chain in chains.items():
        calls, keys = [], []
        for counterpart in chains:
            if counterpart == chain_id:
                continue
            for kind, contract in ((LegKind.TRANSFER.value, chain.mint_burn), (LegKind.CALL.value, chain.general)):
                for direction in ("outbound", "inbound"):
                    root_slot, count_slot = tree_slots(direction, counterpart)
                    block = hex(heights[chain_id])
                    calls += [("eth_getStorageAt", [contract, hex(root_slot), block]),
                              ("eth_getStorageAt", [contract, hex(count_slot), block])]
                    keys.append((chain_id, kind, direction, counterpart))
        results = chain.rpc.batch_strict(calls)
        for i, key in enumerate(keys):
            values[key] = ("0x" + results[2 * i][2:].rjust(64, "0"), int(results[2 * i + 1], 16))
    pairs = []
    for source, destination in permutations(chains, 2):
        for kind in (k.value for k in LegKind):
            src = values[(source, kind, "outbound", destination)]
            dst = values[(destination, kind, "inbound", source)]
            pairs.append(PairRoots(source, destination, kind, src[0], src[1], dst[0], dst[1]))
    return pairs
