"""The deployment record (``deployment.json``), read and written through one type.

The local service and ``ape run deploy`` (testnets) write it, one ``ChainEntry`` at a time
(``Deployment.new``, ``set_chain``, ``write``); the sequencer, the verifier, attach mode, the
demo, the bench and the tests read it through ``Deployment``, which answers the questions they
all ask (which chain is L1, which are the rollups, where is a contract) instead of each scanning
``chains`` for a role. The JSON form stays what the ingress shows in ``sequencer_status``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from svs.errors import SvsError


class RecordError(SvsError, ValueError):
    """A file is not a deployment record."""


@dataclass(frozen=True)
class ChainEntry:
    """One chain of a deployment."""

    chain_id: int
    rpc: str
    role: str  # "l1" or "rollup"
    contracts: dict[str, str] = field(default_factory=dict)  # name -> address
    first_block: int | None = None  # testnets: the block the suite was deployed in

    def as_json(self) -> dict:
        entry = {"rpc": self.rpc, "role": self.role, "contracts": dict(self.contracts)}
        if self.first_block is not None:
            entry["firstBlock"] = self.first_block
        return entry

    def __getitem__(self, name: str) -> str:
        """The address of contract ``name`` (KeyError naming what is there if it is not)."""
        try:
            return self.contracts[name]
        except KeyError:
            raise KeyError(f"chain {self.chain_id} records no {name} (it has {', '.join(self.contracts)})") from None


class Deployment:
    """A view of a deployment record (the dict, as written)."""

    def __init__(self, record: dict):
        self.record = record
        self.chains = {int(c): ChainEntry(int(c), e["rpc"], e["role"], dict(e.get("contracts", {})), e.get("firstBlock"))
                       for c, e in record.get("chains", {}).items()}

    @classmethod
    def new(cls, sequencer: str, owner: str, rollups: list[int], inbox: dict) -> "Deployment":
        """A record of one suite with no chain yet; ``inbox`` is InboxConfig.as_json()."""
        return cls({"sequencer": sequencer, "owner": owner, "rollups": list(rollups), "inbox": inbox, "chains": {}})

    @classmethod
    def load(cls, path: Path) -> "Deployment | None":
        """The record at ``path``; None if there is no file."""
        if not path.exists():
            return None
        try:
            return cls(json.loads(path.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise RecordError(f"{path} is not a deployment record ({err}); move it away or pick another") from err

    def set_chain(self, entry: ChainEntry) -> None:
        self.chains[entry.chain_id] = entry
        self.record.setdefault("chains", {})[str(entry.chain_id)] = entry.as_json()

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.record, indent=2) + "\n")

    @property
    def l1(self) -> ChainEntry | None:
        return next((c for c in self.chains.values() if c.role == "l1"), None)

    @property
    def rollups(self) -> dict[int, ChainEntry]:
        """The rollups by chain id, in chain-id order."""
        return {c: e for c, e in sorted(self.chains.items()) if e.role == "rollup"}
