"""`SqliteStore`: long-term memory in a SQLite file, shared by every process that
opens it, as langgraph-checkpoint-sqlite's store is made and used:

    with SqliteStore.from_conn_string("memories.db") as store:
        store.setup()
        store.put(("users", "42"), "prefs", {"theme": "dark"})

or `SqliteStore(sqlite3.connect(...))`. Search results come newest first (by
`updated_at`, as LangGraph's SQL stores order them); filters and namespace patterns
are matched by the rules in `lockstep.store.matching`, the same as `InMemoryStore`'s.
Its tables are its own (`store_items`, `store_migrations`), so it can share a file
with anything else.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lockstep.store.base import (
    IndexConfig,
    TTLConfig,
    refuse_index,
)
from lockstep.store.sql import SqlStore
from lockstep.store.sweeper import Sweeper

# Each entry is applied once, in order; `store_migrations` records how far a file got.
MIGRATIONS = (
    """
    CREATE TABLE IF NOT EXISTS store_items (
        prefix TEXT NOT NULL,          -- the namespace, labels joined by '.'
        key TEXT NOT NULL,
        value TEXT NOT NULL,           -- JSON
        created_at INTEGER NOT NULL,   -- microseconds since the epoch, UTC
        updated_at INTEGER NOT NULL,
        seq INTEGER NOT NULL,          -- write order, to order equal updated_at
        ttl_minutes REAL,
        expires_at INTEGER,
        PRIMARY KEY (prefix, key)
    )
    """,
    "CREATE INDEX IF NOT EXISTS store_items_updated ON store_items (updated_at DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS store_items_expires ON store_items (expires_at) WHERE expires_at IS NOT NULL",
)

BUSY_TIMEOUT_MS = 30_000


def migrate(cur: sqlite3.Cursor | sqlite3.Connection) -> None:
    """Apply the MIGRATIONS a file has not had yet (the caller holds a write
    transaction). `setup` runs it; so does the server's SQLite backend, whose own
    migrations cover these tables too (lockstep.stores.sqlite.migrations)."""
    cur.execute("CREATE TABLE IF NOT EXISTS store_migrations (v INTEGER PRIMARY KEY)")
    row = cur.execute("SELECT MAX(v) FROM store_migrations").fetchone()
    done = -1 if row[0] is None else row[0]
    for version in range(done + 1, len(MIGRATIONS)):
        cur.execute(MIGRATIONS[version])
        cur.execute("INSERT INTO store_migrations (v) VALUES (?)", (version,))


class SqliteStore(SqlStore):
    """A store in a SQLite database. Safe to share between threads (one lock per
    store) and between processes (SQLite's locking; writers wait up to 30 s).

    `ttl` (a `TTLConfig`) sets a default time-to-live and whether reads refresh it;
    `deserializer` turns a stored JSON text into the value dict; `index` (semantic
    search) is refused.
    """

    __slots__ = ("conn", "lock", "is_setup", "ttl_config", "_deserializer", "_sweeper")

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        deserializer: Callable[[bytes | str], dict[str, Any]] | None = None,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        refuse_index(index)
        if not isinstance(conn, sqlite3.Connection):
            raise TypeError(
                f"SqliteStore takes a sqlite3.Connection, got {type(conn).__name__}; "
                "for a path use SqliteStore.from_conn_string(path)"
            )
        self.conn = conn
        self.lock = threading.RLock()
        self.is_setup = False
        self.ttl_config = ttl
        self._deserializer = deserializer or json.loads
        self._sweeper = Sweeper(self.sweep_ttl)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @classmethod
    @contextmanager
    def from_conn_string(
        cls, conn_string: str, *, index: IndexConfig | None = None, ttl: TTLConfig | None = None
    ) -> Iterator[SqliteStore]:
        """A store on a new connection to `conn_string` (a path, ":memory:" or a
        `file:` URI), closed when the `with` block ends."""
        refuse_index(index)
        conn = sqlite3.connect(
            conn_string,
            check_same_thread=False,
            isolation_level=None,
            uri=conn_string.startswith("file:"),
        )
        try:
            if conn_string != ":memory:":
                # Readers do not wait for a writer, and a writer for readers.
                conn.execute("PRAGMA journal_mode = WAL")
            yield cls(conn, ttl=ttl)
        finally:
            conn.close()

    def setup(self) -> None:
        """Create (or bring up to date) the store's tables; safe to call again. The
        first operation calls it when nobody has."""
        with self.lock:
            if self.is_setup:
                return
            with self._transaction() as cur:
                migrate(cur)
            self.is_setup = True

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction, taken at its start so two processes' read-then-write
        batches cannot interleave; committed, or rolled back on error."""
        conn = self.conn
        self.lock.acquire()
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN IMMEDIATE")
        cur = conn.cursor()
        try:
            yield cur
        except BaseException:
            if own:
                conn.rollback()
            raise
        else:
            if own:
                conn.commit()
        finally:
            cur.close()
            self.lock.release()


__all__ = ["SqliteStore"]
