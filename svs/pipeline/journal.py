"""The sequencer's durable record: every accepted transaction and every tick, in sqlite.

- ``txs``: each accepted user transaction (raw bytes included) from the moment the ingress
  answers with its hash, and each destination leg the sequencer signed; with its status
  (pending, included, excluded) and where it landed. The row id is the global sequence number.
- ``suspects``: the groups of transactions being isolated after a failed tick (svs.pipeline.sequencer).
- ``ticks``: one row per tick, written *before* any chain is touched (phase ``planned``, with the
  base height of every chain), then ``sealed`` with the final block plan once every chain holds
  it, then ``committed`` together with the statuses of its transactions, in one transaction.

WAL mode with synchronous=NORMAL: a commit survives the process being killed (kill -9), which
is the crash this journal is for; an OS crash may lose the last commits.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from svs.pipeline.plan import USER, TickPlan

SCHEMA = """
CREATE TABLE IF NOT EXISTS txs (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    chain_id INTEGER NOT NULL,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    raw BLOB NOT NULL,
    origin TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    tick INTEGER,
    block INTEGER,
    tx_index INTEGER,
    legs TEXT,
    accepted_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_by_status ON txs(status, seq);
CREATE TABLE IF NOT EXISTS suspects (
    position INTEGER PRIMARY KEY,
    hashes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ticks (
    tick INTEGER PRIMARY KEY,
    phase TEXT NOT NULL,
    base_heights TEXT NOT NULL,
    plan TEXT,
    updated_at REAL NOT NULL
);
"""

PLANNED, SEALED, COMMITTED, ROLLED_BACK = "planned", "sealed", "committed", "rolled_back"


@dataclass(frozen=True)
class TxRecord:
    seq: int
    hash: str
    chain_id: int
    sender: str
    nonce: int
    raw: bytes
    origin: str
    status: str
    reason: str | None
    tick: int | None
    block: int | None
    tx_index: int | None
    legs: list[dict]
    accepted_at: float


@dataclass(frozen=True)
class TickRecord:
    tick: int
    phase: str
    base_heights: dict[int, int]
    plan: TickPlan | None


class Journal:
    """One sqlite database in the state directory; safe to use from several threads."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, statements: Iterable[tuple[str, Any]]) -> None:
        """Run (sql, params) pairs in one transaction; params may be a list for executemany."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    if isinstance(params, list):
                        self._db.executemany(sql, params)
                    else:
                        self._db.execute(sql, params)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # --- transactions --------------------------------------------------------------------

    def accept(self, txs: list[dict]) -> list[int]:
        """Persist accepted user transactions (dicts with hash, chain_id, sender, nonce, raw);
        return their global sequence numbers. Durable when this returns."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seqs = [
                    self._db.execute(
                        "INSERT INTO txs (hash, chain_id, sender, nonce, raw, origin, status, accepted_at)"
                        " VALUES (?, ?, ?, ?, ?, 'user', 'pending', ?)",
                        (t["hash"], t["chain_id"], t["sender"], t["nonce"], t["raw"], now),
                    ).lastrowid
                    for t in txs
                ]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return seqs

    def get(self, tx_hash: str) -> TxRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM txs WHERE hash = ?", (tx_hash.lower(),)).fetchone()
        return _tx_record(row) if row else None

    def known(self, hashes: list[str]) -> set[str]:
        """Which of ``hashes`` the journal already holds (one query for a whole batch)."""
        found: set[str] = set()
        with self._lock:
            for i in range(0, len(hashes), 500):  # sqlite's limit on bound parameters
                chunk = hashes[i:i + 500]
                rows = self._db.execute(f"SELECT hash FROM txs WHERE hash IN ({','.join('?' * len(chunk))})", chunk)
                found.update(r[0] for r in rows)
        return found

    def pending(self) -> list[TxRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM txs WHERE status = 'pending' ORDER BY seq").fetchall()
        return [_tx_record(r) for r in rows]

    def included(self) -> list[TxRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM txs WHERE status = 'included' ORDER BY seq").fetchall()
        return [_tx_record(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM txs GROUP BY status").fetchall()
        return dict(rows)

    def exclude(self, reasons: dict[str, str]) -> None:
        """Exclude pending transactions outside a tick (a transaction that made a tick fail)."""
        self._write([("UPDATE txs SET status = 'excluded', reason = ? WHERE hash = ? AND status = 'pending'",
                      [(reason, tx_hash) for tx_hash, reason in reasons.items()])])

    def save_suspects(self, groups: list[list[str]]) -> None:
        """The groups of transactions being isolated after failed ticks, front first."""
        self._write([("DELETE FROM suspects", ()),
                     ("INSERT INTO suspects (position, hashes) VALUES (?, ?)",
                      [(i, json.dumps(g)) for i, g in enumerate(groups)])])

    def suspects(self) -> list[list[str]]:
        with self._lock:
            rows = self._db.execute("SELECT hashes FROM suspects ORDER BY position").fetchall()
        return [json.loads(r[0]) for r in rows]

    # --- ticks ---------------------------------------------------------------------------

    def last_tick(self) -> TickRecord | None:
        with self._lock:
            row = self._db.execute("SELECT tick, phase, base_heights, plan FROM ticks ORDER BY tick DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return _tick_record(row)

    def committed_ticks(self, chain_id: int, from_height: int, to_height: int) -> list[TickRecord]:
        """The committed ticks whose block on ``chain_id`` lies in [from_height, to_height], in
        order: what a node restarted from an older state must be given again."""
        with self._lock:
            rows = self._db.execute(
                "SELECT tick, phase, base_heights, plan FROM ticks WHERE phase = ?"
                " AND json_extract(base_heights, ?) + 1 BETWEEN ? AND ? ORDER BY tick",
                (COMMITTED, f'$."{chain_id}"', from_height, to_height)).fetchall()
        return [_tick_record(r) for r in rows]

    def first_tick_base(self, chain_id: int) -> int | None:
        """The height ``chain_id`` stood at before the first tick: blocks up to it are not in
        the journal (deployment, alignment)."""
        with self._lock:
            row = self._db.execute("SELECT json_extract(base_heights, ?) FROM ticks ORDER BY tick LIMIT 1",
                                   (f'$."{chain_id}"',)).fetchone()
        return None if row is None else row[0]

    def plan_tick(self, tick: int, base_heights: dict[int, int]) -> None:
        """Write-ahead: the tick and the height every chain must return to if it is abandoned."""
        self._write([("INSERT INTO ticks (tick, phase, base_heights, updated_at) VALUES (?, ?, ?, ?)",
                      (tick, PLANNED, json.dumps(base_heights), time.time()))])

    def seal_tick(self, tick: int, plan: TickPlan) -> None:
        """The final blocks are on every chain; record exactly what they hold."""
        self._write([("UPDATE ticks SET phase = ?, plan = ?, updated_at = ? WHERE tick = ?",
                      (SEALED, json.dumps(plan.as_json()), time.time(), tick))])

    def roll_back_tick(self, tick: int) -> None:
        self._write([("UPDATE ticks SET phase = ?, updated_at = ? WHERE tick = ?", (ROLLED_BACK, time.time(), tick))])

    def commit_tick(self, tick: int, plan: TickPlan) -> None:
        """Apply a sealed plan: statuses of its user transactions, rows for the sequencer's legs,
        and the tick's phase, all in one transaction."""
        now = time.time()
        included, sequencer_rows = [], []
        for chain_id, block in plan.blocks.items():
            for index, tx in enumerate(block.txs):
                legs = json.dumps([leg.as_json() for leg in tx.legs])
                if tx.origin == USER:
                    included.append((tick, block.number, index, legs, tx.hash))
                else:
                    sequencer_rows.append((tx.hash, chain_id, tx.sender, tx.nonce, tx.raw, tick, block.number, index,
                                           legs, now))
        excluded = [(reason, tick, tx_hash) for tx_hash, reason in plan.excluded.items()]
        self._write([
            ("UPDATE txs SET status = 'included', tick = ?, block = ?, tx_index = ?, legs = ? WHERE hash = ?", included),
            ("INSERT OR IGNORE INTO txs (hash, chain_id, sender, nonce, raw, origin, status, tick, block, tx_index, legs,"
             " accepted_at) VALUES (?, ?, ?, ?, ?, 'sequencer', 'included', ?, ?, ?, ?, ?)", sequencer_rows),
            ("UPDATE txs SET status = 'excluded', reason = ?, tick = ? WHERE hash = ?", excluded),
            ("UPDATE ticks SET phase = ?, updated_at = ? WHERE tick = ?", (COMMITTED, now, tick)),
        ])


def _tick_record(row: tuple) -> TickRecord:
    tick, phase, base_heights, plan = row
    return TickRecord(tick, phase, {int(k): v for k, v in json.loads(base_heights).items()},
                      TickPlan.from_json(json.loads(plan)) if plan else None)


def _tx_record(row: tuple) -> TxRecord:
    (seq, tx_hash, chain_id, sender, nonce, raw, origin, status, reason, tick, block, tx_index, legs, accepted_at) = row
    return TxRecord(seq, tx_hash, chain_id, sender, nonce, bytes(raw), origin, status, reason, tick, block, tx_index,
                    json.loads(legs) if legs else [], accepted_at)
