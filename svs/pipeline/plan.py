"""The tick plan: exactly what one tick put in every rollup's block.

The builder hands it to the sequencer once the final blocks are mined; the journal seals it
(``seal_tick``) before the roots are checked and applies it at the commit (``commit_tick``).
Recovery replays blocks from it (a sealed tick whose commit did not happen, or committed blocks a
restarted node lost), and the commit listeners (the bench) and the chaos run read it. Its journal
form is ``as_json`` / ``from_json``; keys are JSON's (strings), values are what the builder saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from svs.codec.legs import Leg

USER, SEQUENCER = "user", "sequencer"  # who sent a block's transaction


@dataclass(frozen=True)
class PlannedLeg:
    """One leg a transaction of the block carries, and the hash of its other half."""

    kind: str  # LegKind value
    leg_hash: str
    source: int
    destination: int
    nonce: int
    counterpart: str  # the hash of the transaction that carries the other leg

    @classmethod
    def of(cls, leg: Leg, counterpart: str) -> "PlannedLeg":
        return cls(leg.kind.value, "0x" + leg.leg_hash().hex(), leg.source, leg.destination, leg.nonce, counterpart)

    def as_json(self) -> dict:
        """The form ``sequencer_getTransactionStatus`` shows (``legs``)."""
        return {"kind": self.kind, "legHash": self.leg_hash, "source": self.source, "destination": self.destination,
                "nonce": self.nonce, "counterpart": self.counterpart}

    @classmethod
    def from_json(cls, entry: dict) -> "PlannedLeg":
        return cls(entry["kind"], entry["legHash"], entry["source"], entry["destination"], entry["nonce"],
                   entry["counterpart"])


@dataclass(frozen=True)
class PlannedTx:
    """A transaction of the block, in block order. A user's is in the journal already; the
    sequencer's own (a destination leg) carries its signed bytes, sender and nonce here."""

    hash: str
    origin: str  # USER or SEQUENCER
    legs: tuple[PlannedLeg, ...] = ()
    raw: bytes | None = None
    sender: str | None = None
    nonce: int | None = None

    def as_json(self) -> dict:
        entry: dict = {"hash": self.hash, "origin": self.origin, "legs": [leg.as_json() for leg in self.legs]}
        if self.origin == SEQUENCER:
            entry.update(raw="0x" + (self.raw or b"").hex(), sender=self.sender, nonce=self.nonce)
        return entry

    @classmethod
    def from_json(cls, entry: dict) -> "PlannedTx":
        raw = entry.get("raw")
        return cls(entry["hash"], entry["origin"], tuple(PlannedLeg.from_json(leg) for leg in entry.get("legs", [])),
                   bytes.fromhex(raw[2:]) if raw else None, entry.get("sender"), entry.get("nonce"))


@dataclass(frozen=True)
class BlockPlan:
    """One rollup's block of the tick."""

    number: int
    hash: str | None  # None in plans journaled before block hashes were sealed
    txs: tuple[PlannedTx, ...]

    @property
    def hashes(self) -> list[str]:
        return [tx.hash for tx in self.txs]


@dataclass(frozen=True)
class TickPlan:
    """What one tick built: every rollup's block, and what it did with the other candidates."""

    timestamp: int
    base_fees: dict[int, int]  # chain -> the base fee its block was mined with
    blocks: dict[int, BlockPlan]  # chain -> its block
    excluded: dict[str, str] = field(default_factory=dict)  # tx hash -> reason; final
    deferred: dict[str, str] = field(default_factory=dict)  # tx hash -> reason; back to the mempool
    unsettled: tuple[str, ...] = ()  # deferred because the tick did not settle (suspects)
    attempts: int = 1  # executions of the blocks
    simulations: int = 0  # simulation passes
    pairs: int = 0  # destination legs

    def included_user_txs(self) -> list[str]:
        return [tx.hash for block in self.blocks.values() for tx in block.txs if tx.origin == USER]

    def settled(self) -> list[str]:
        """The user transactions this tick took out of the mempool: included or excluded."""
        return self.included_user_txs() + list(self.excluded)

    def as_json(self) -> dict:
        return {"timestamp": self.timestamp, "baseFees": {str(c): f for c, f in self.base_fees.items()},
                "blocks": {str(c): {"number": b.number, "hash": b.hash, "txs": [tx.as_json() for tx in b.txs]}
                           for c, b in self.blocks.items()},
                "excluded": self.excluded, "deferred": self.deferred, "unsettled": list(self.unsettled),
                "attempts": self.attempts, "simulations": self.simulations, "pairs": self.pairs}

    @classmethod
    def from_json(cls, plan: dict) -> "TickPlan":
        blocks = {int(c): BlockPlan(b["number"], b.get("hash"), tuple(PlannedTx.from_json(tx) for tx in b["txs"]))
                  for c, b in plan["blocks"].items()}
        return cls(plan["timestamp"], {int(c): f for c, f in plan.get("baseFees", {}).items()}, blocks,
                   dict(plan.get("excluded", {})), dict(plan.get("deferred", {})), tuple(plan.get("unsettled", ())),
                   plan.get("attempts", 1), plan.get("simulations", 0), plan.get("pairs", 0))
