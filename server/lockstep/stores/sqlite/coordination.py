"""The SQLite backend's coordination: several server processes on one file (WAL).

Claims, the queue and cancel requests change in `BEGIN IMMEDIATE` transactions
on a connection of their own, so two servers never both see a thread free.
Events are written through the file's write queue (they commit in order with the
checkpoints queued before them, batched with them); followers poll for them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from lockstep.stores.coordination import (
    DEFAULT_LEASE_SECONDS,
    Claim,
    Coordination,
    LeaseLost,
    Queued,
    new_owner,
)
from lockstep.stores.sqlite.database import Database

T = TypeVar("T")

_CLAIM = "thread_id, run_id, owner, expires, request"
_QUEUED = "thread_id, run_id, owner, expires, request"
_MY_CANCELS = (
    "SELECT c.run_id, c.reason, c.by_run FROM run_cancels AS c"
    " WHERE c.run_id IN (SELECT run_id FROM claims WHERE owner = ?)"
    " OR c.run_id IN (SELECT run_id FROM run_queue WHERE owner = ?)"
)


class SqliteCoordination(Coordination):
    shared = True

    def __init__(
        self, db: Database, owner: str = "", lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> None:
        self.owner = owner or new_owner()
        self.lease_seconds = lease_seconds
        self._db = db
        self._conn = db.another_connection()
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return fn(self._conn)

    def _expires(self) -> float:
        return time.time() + self.lease_seconds

    # -- claims ------------------------------------------------------------------

    def claim(self, thread_id: str, run_id: str, request: bytes = b"") -> bool:
        with self._tx() as conn:
            held = conn.execute(
                "SELECT run_id, owner FROM claims WHERE thread_id = ?", (thread_id,)
            ).fetchone()
            if held is not None and not (run_id and held == (run_id, self.owner)):
                return False
            first = conn.execute(
                "SELECT run_id FROM run_queue WHERE thread_id = ? ORDER BY seq LIMIT 1",
                (thread_id,),
            ).fetchone()
            if first is not None and (not run_id or first[0] != run_id):
                return False
            if run_id:
                conn.execute("DELETE FROM run_queue WHERE run_id = ?", (run_id,))
            conn.execute(
                f"INSERT OR REPLACE INTO claims ({_CLAIM}) VALUES (?, ?, ?, ?, ?)",
                (thread_id, run_id, self.owner, self._expires(), request),
            )
            return True

    def holder(self, thread_id: str) -> Claim | None:
        row = self._read(
            lambda conn: conn.execute(
                f"SELECT {_CLAIM} FROM claims WHERE thread_id = ?", (thread_id,)
            ).fetchone()
        )
        return Claim(*row) if row else None

    def renew(self) -> set[tuple[str, str]]:
        with self._tx() as conn:
            until = self._expires()
            conn.execute("UPDATE claims SET expires = ? WHERE owner = ?", (until, self.owner))
            conn.execute("UPDATE run_queue SET expires = ? WHERE owner = ?", (until, self.owner))
            rows = conn.execute(
                "SELECT thread_id, run_id FROM claims WHERE owner = ?", (self.owner,)
            ).fetchall()
        return {(t, r) for t, r in rows}

    def release(self, thread_id: str, run_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM claims WHERE thread_id = ? AND run_id = ? AND owner = ?",
                (thread_id, run_id, self.owner),
            )
            conn.execute("DELETE FROM run_cancels WHERE run_id = ?", (run_id,))

    def expired(self) -> list[Claim | Queued]:
        now = time.time()

        def read(conn: sqlite3.Connection) -> list[Claim | Queued]:
            claims = conn.execute(
                f"SELECT {_CLAIM} FROM claims WHERE expires < ?", (now,)
            ).fetchall()
            queued = conn.execute(
                f"SELECT {_QUEUED} FROM run_queue WHERE expires < ? ORDER BY seq", (now,)
            ).fetchall()
            return [Claim(*row) for row in claims] + [Queued(*row) for row in queued]

        return self._read(read)

    def take_over(self, item: Claim | Queued) -> bool:
        now = time.time()
        table = "claims" if isinstance(item, Claim) else "run_queue"
        key = "thread_id = ? AND run_id = ?" if isinstance(item, Claim) else "run_id = ?"
        args = (item.thread_id, item.run_id) if isinstance(item, Claim) else (item.run_id,)
        with self._tx() as conn:
            if isinstance(item, Claim) and not item.run_id:
                conn.execute(f"DELETE FROM claims WHERE {key} AND expires < ?", (*args, now))
                return False
            changed = conn.execute(
                f"UPDATE {table} SET owner = ?, expires = ? WHERE {key} AND expires < ?",
                (self.owner, self._expires(), *args, now),
            ).rowcount
            return changed == 1

    # -- the queue -----------------------------------------------------------------

    def enqueue(self, thread_id: str, run_id: str, request: bytes = b"") -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO run_queue (thread_id, run_id, owner, expires, request)"
                " VALUES (?, ?, ?, ?, ?)",
                (thread_id, run_id, self.owner, self._expires(), request),
            )

    def dequeue(self, run_id: str) -> bool:
        with self._tx() as conn:
            return conn.execute("DELETE FROM run_queue WHERE run_id = ?", (run_id,)).rowcount > 0

    def queued(self, thread_id: str) -> list[Queued]:
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT {_QUEUED} FROM run_queue WHERE thread_id = ? ORDER BY seq",
                (thread_id,),
            ).fetchall()
        )
        return [Queued(*row) for row in rows]

    # -- events --------------------------------------------------------------------

    def append_events(self, run_id: str, first: int, events: list[dict[str, Any]]) -> None:
        now = time.time()
        rows = [(run_id, first + i, json.dumps(event), now) for i, event in enumerate(events)]

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR REPLACE INTO run_events (run_id, seq, event, at) VALUES (?, ?, ?, ?)",
                rows,
            )

        self._db.write_later(op)

    def read_events(self, run_id: str, after: int = -1) -> list[tuple[int, dict[str, Any]]]:
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT seq, event FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq",
                (run_id, after),
            ).fetchall()
        )
        return [(seq, json.loads(event)) for seq, event in rows]

    def prune_events(self, older_than: float) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM run_events WHERE at < ?", (time.time() - older_than,))

    # -- cancel requests -------------------------------------------------------------

    def request_cancel(self, run_id: str, reason: str = "cancel", by: str = "") -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_cancels (run_id, reason, by_run) VALUES (?, ?, ?)",
                (run_id, reason, by),
            )

    def take_cancels(self) -> list[tuple[str, str, str]]:
        # Asked often, seldom with an answer: a read first, the write lock only then.
        if not self._read(lambda conn: conn.execute(_MY_CANCELS, (self.owner,) * 2).fetchone()):
            return []
        with self._tx() as conn:
            rows = conn.execute(_MY_CANCELS, (self.owner, self.owner)).fetchall()
            conn.executemany("DELETE FROM run_cancels WHERE run_id = ?", [(r[0],) for r in rows])
        return [tuple(row) for row in rows]

    # -- fencing -------------------------------------------------------------------

    def fence(self, conn: sqlite3.Connection, thread_id: str) -> None:
        """Refuse a write to a thread this server does not hold (in the writer's
        transaction, so the check and the write commit together)."""
        row = conn.execute("SELECT owner FROM claims WHERE thread_id = ?", (thread_id,)).fetchone()
        if row is None or row[0] != self.owner:
            raise LeaseLost(
                f"thread {thread_id!r} is not held by this server (its lease lapsed and "
                "another server took the run over): the write is refused"
            )
