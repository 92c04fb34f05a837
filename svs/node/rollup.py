"""One rollup, as every stage talks to it.

The builder executes and signs on it, the self-check and recovery read it, the batcher and the
verifier prove from it, and attach mode relays on it: all through this one type. It is made from
a deployment record's entry (``Rollup.of``); the node process behind it, where this program
started one, is ``svs.node.chains.Node``.
"""

from __future__ import annotations

from dataclasses import dataclass

from svs.codec.signer import LegacySigner
from svs.deploy.record import ChainEntry
from svs.node.rpc import RpcClient


@dataclass(frozen=True)
class Rollup:
    """A rollup: its node and its two system contracts; ``signer`` where this program signs the
    sequencer's legs on it (the builder, attach mode), None where it only reads."""

    chain_id: int
    rpc: RpcClient
    mint_burn: str
    general: str
    signer: LegacySigner | None = None

    @classmethod
    def of(cls, entry: ChainEntry, signer_key: bytes | None = None) -> "Rollup":
        """The rollup a deployment record's entry describes, signing with ``signer_key`` if given."""
        signer = LegacySigner(signer_key, entry.chain_id) if signer_key is not None else None
        return cls(entry.chain_id, RpcClient(entry.rpc), entry["MintBurnSystemContract"],
                   entry["GeneralSystemContract"], signer)
