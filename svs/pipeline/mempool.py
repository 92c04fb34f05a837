"""The shared mempool: accepted user transactions waiting for a tick, per rollup, in global
sequence order. The journal holds them durably; this is the in-memory index the ingress and
the builder share."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from svs.codec.transactions import DecodedTx


@dataclass(frozen=True)
class PendingTx:
    seq: int
    chain_id: int
    tx: DecodedTx
    accepted_at: float

    @property
    def hash(self) -> str:
        return self.tx.hash

    @property
    def sender(self) -> str:
        return self.tx.sender

    @property
    def nonce(self) -> int:
        return self.tx.nonce

    @property
    def raw(self) -> bytes:
        return self.tx.raw

    @property
    def max_cost(self) -> int:
        return self.tx.max_cost


class Mempool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_chain: dict[int, dict[str, PendingTx]] = defaultdict(dict)  # insertion = seq order
        self._by_sender: dict[tuple[int, str], dict[int, PendingTx]] = defaultdict(dict)
        self._by_hash: dict[str, PendingTx] = {}

    def add(self, txs: list[PendingTx]) -> None:
        with self._lock:
            for tx in sorted(txs, key=lambda t: t.seq):
                self._by_chain[tx.chain_id][tx.hash] = tx
                self._by_sender[(tx.chain_id, tx.sender)][tx.nonce] = tx
                self._by_hash[tx.hash] = tx

    def remove(self, hashes: list[str]) -> None:
        with self._lock:
            for tx_hash in hashes:
                tx = self._by_hash.pop(tx_hash, None)
                if tx is None:
                    continue
                del self._by_chain[tx.chain_id][tx_hash]
                by_nonce = self._by_sender[(tx.chain_id, tx.sender)]
                by_nonce.pop(tx.nonce, None)
                if not by_nonce:
                    del self._by_sender[(tx.chain_id, tx.sender)]

    def take(self, chain_id: int, limit: int) -> list[PendingTx]:
        """The oldest ``limit`` pending transactions of a chain (they stay until removed)."""
        with self._lock:
            out = []
            for tx in self._by_chain[chain_id].values():
                if len(out) == limit:
                    break
                out.append(tx)
            return out

    def get(self, tx_hash: str) -> PendingTx | None:
        return self._by_hash.get(tx_hash)

    def next_nonce(self, chain_id: int, sender: str) -> int | None:
        """One past the highest pending nonce of ``sender``, or None if it has none pending."""
        with self._lock:
            by_nonce = self._by_sender.get((chain_id, sender))
            return max(by_nonce) + 1 if by_nonce else None

    def pending_cost(self, chain_id: int, sender: str) -> int:
        with self._lock:
            return sum(t.max_cost for t in self._by_sender.get((chain_id, sender), {}).values())

    def counts(self) -> dict[int, int]:
        with self._lock:
            return {chain_id: len(txs) for chain_id, txs in self._by_chain.items()}

    def __len__(self) -> int:
        return len(self._by_hash)
