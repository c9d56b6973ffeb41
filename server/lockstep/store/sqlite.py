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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from lockstep.store import base
from lockstep.store.base import (
    GetOp,
    IndexConfig,
    Item,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    SyncBatchedStore,
    TTLConfig,
    refuse_index,
)
from lockstep.store.matching import expiry, list_namespaces, matches, page, split_batch
from lockstep.store.sweeper import Sweeper, SweepsTTL

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


def _micros(at: datetime) -> int:
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


def _prefix_text(namespace: tuple[str, ...]) -> str:
    return ".".join(namespace)


def _namespace(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


def _under(namespace: tuple[str, ...]) -> tuple[str, list[Any]]:
    """SQL for "prefix is `namespace` or below it". Labels hold no '.', and '/' is
    the character after '.', so the range is exactly the descendants (and an index
    can serve it)."""
    if not namespace:
        return "1", []
    text = _prefix_text(namespace)
    return "(prefix = ? OR (prefix > ? AND prefix < ?))", [text, text + ".", text + "/"]


_LIVE = "(expires_at IS NULL OR expires_at > ?)"


class SqliteStore(SweepsTTL, SyncBatchedStore):
    """A store in a SQLite database. Safe to share between threads (one lock per
    store) and between processes (SQLite's locking; writers wait up to 30 s).

    `ttl` (a `TTLConfig`) sets a default time-to-live and whether reads refresh it;
    `deserializer` turns a stored JSON text into the value dict; `index` (semantic
    search) is refused.
    """

    supports_ttl = True

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
        self.lock = threading.Lock()
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

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        reads, writes = split_batch(ops)
        results: list[Result] = [None] * len(ops)
        if not self.is_setup:
            self.setup()
        with self.lock, self._transaction() as cur:
            at = _micros(base.now())
            for i, op in reads:
                results[i] = self._read(cur, op, at)
            for op in writes:
                self._put(cur, op, at)
        return results

    def sweep_ttl(self) -> int:
        """Delete every expired item now; how many were deleted."""
        if not self.is_setup:
            self.setup()
        with self.lock, self._transaction() as cur:
            cur.execute(
                "DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (_micros(base.now()),),
            )
            return cur.rowcount

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction, taken at its start so two processes' read-then-write
        batches cannot interleave; committed, or rolled back on error."""
        conn = self.conn
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

    def _read(self, cur: sqlite3.Cursor, op: Op, at: int) -> Result:
        if isinstance(op, GetOp):
            return self._get(cur, op, at)
        if isinstance(op, SearchOp):
            return self._search(cur, op, at)
        prefixes = cur.execute(f"SELECT DISTINCT prefix FROM store_items WHERE {_LIVE}", (at,))
        return list_namespaces((_namespace(row[0]) for row in prefixes), op)  # type: ignore[arg-type]

    def _get(self, cur: sqlite3.Cursor, op: GetOp, at: int) -> Item | None:
        row = cur.execute(
            f"SELECT key, value, created_at, updated_at, prefix FROM store_items WHERE prefix = ? AND key = ? AND {_LIVE}",
            (_prefix_text(op.namespace), op.key, at),
        ).fetchone()
        if row is None:
            return None
        if op.refresh_ttl:
            self._refresh(cur, [(row[4], row[0])], at)
        return Item(
            value=self._load(row[1]),
            key=row[0],
            namespace=op.namespace,
            created_at=_from_micros(row[2]),
            updated_at=_from_micros(row[3]),
        )

    def _put(self, cur: sqlite3.Cursor, op: PutOp, at: int) -> None:
        prefix = _prefix_text(op.namespace)
        if op.value is None:
            cur.execute("DELETE FROM store_items WHERE prefix = ? AND key = ?", (prefix, op.key))
            return
        value = json.dumps(dict(op.value))
        expires = None if op.ttl is None else _micros(expiry(_from_micros(at), op.ttl))  # type: ignore[arg-type]
        # An expired row is replaced as if new, so it does not lend its created_at.
        cur.execute(
            """
            INSERT INTO store_items (prefix, key, value, created_at, updated_at, seq, ttl_minutes, expires_at)
            VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM store_items), ?, ?)
            ON CONFLICT (prefix, key) DO UPDATE SET
                value = excluded.value,
                created_at = CASE WHEN store_items.expires_at IS NOT NULL AND store_items.expires_at <= ?
                                  THEN excluded.created_at ELSE store_items.created_at END,
                updated_at = excluded.updated_at,
                seq = excluded.seq,
                ttl_minutes = excluded.ttl_minutes,
                expires_at = excluded.expires_at
            """,
            (prefix, op.key, value, at, at, op.ttl, expires, at),
        )

    def _search(self, cur: sqlite3.Cursor, op: SearchOp, at: int) -> list[SearchItem]:
        where, params = _under(op.namespace_prefix)
        sql = (
            "SELECT prefix, key, value, created_at, updated_at FROM store_items "
            f"WHERE {where} AND {_LIVE} ORDER BY updated_at DESC, seq DESC"
        )
        params.append(at)
        if not op.filter and min(op.offset, op.limit) >= 0:
            sql += " LIMIT ? OFFSET ?"
            params += [op.limit, op.offset]
            rows = cur.execute(sql, params).fetchall()
            found = [(row, self._load(row[2])) for row in rows]
        else:
            matched = []
            stop = op.offset + op.limit if min(op.offset, op.limit) >= 0 else None
            for row in cur.execute(sql, params):
                value = self._load(row[2])
                if matches(value, op.filter):
                    matched.append((row, value))
                    if len(matched) == stop:
                        break
            found = page(matched, op.offset, op.limit)
        if op.refresh_ttl and found:
            self._refresh(cur, [(row[0], row[1]) for row, _ in found], at)
        return [
            SearchItem(
                _namespace(row[0]), row[1], value, _from_micros(row[3]), _from_micros(row[4])
            )
            for row, value in found
        ]

    def _refresh(self, cur: sqlite3.Cursor, rows: Sequence[tuple[str, str]], at: int) -> None:
        """Restart the TTL timers of the items just read."""
        cur.executemany(
            "UPDATE store_items SET expires_at = ? + CAST(ttl_minutes * 60000000 AS INTEGER) "
            "WHERE prefix = ? AND key = ? AND ttl_minutes IS NOT NULL",
            [(at, prefix, key) for prefix, key in rows],
        )

    def _load(self, text: str) -> dict[str, Any]:
        value = self._deserializer(text)
        if not isinstance(value, Mapping):
            raise TypeError(
                f"the store's deserializer must return a dict, got {type(value).__name__}"
            )
        return dict(value)


__all__ = ["SqliteStore"]
