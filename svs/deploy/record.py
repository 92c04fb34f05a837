"""The deployment record (``deployment.json``), read through one type.

``write_record`` (local chains) and ``ape run deploy`` (testnets) write it; the sequencer, the
verifier, attach mode, the demo, the bench and the tests read it through ``Deployment``, which
answers the questions they all ask (which chain is L1, which are the rollups, where is a
contract) instead of each scanning ``chains`` for a role. The JSON form stays what the ingress
shows in ``sequencer_status``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChainEntry:
    """One chain of a deployment."""

    chain_id: int
    rpc: str
    role: str  # "l1" or "rollup"
    contracts: dict[str, str] = field(default_factory=dict)  # name -> address
    first_block: int | None = None  # testnets: the block the suite was deployed in

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

    @property
    def l1(self) -> ChainEntry | None:
        return next((c for c in self.chains.values() if c.role == "l1"), None)

    @property
    def rollups(self) -> dict[int, ChainEntry]:
        """The rollups by chain id, in chain-id order."""
        return {c: e for c, e in sorted(self.chains.items()) if e.role == "rollup"}
