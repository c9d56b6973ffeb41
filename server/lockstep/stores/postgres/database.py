"""The PostgreSQL backend's database: the one place its connections are opened,
its schema migrated, and its writes queued and committed.

Everything the backend keeps writes through one `Database`, a `WriteQueue` (see
`lockstep.stores.queue`: group commit, write-behind) on one writing connection,
each group sent as one message (one round trip, not one per statement). Reads
take a connection from the pool, so they never wait for a commit. psycopg 3 and
psycopg-pool are the `lockstep[postgres]` extra, imported only here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from lockstep.stores.base import StoreError
from lockstep.stores.open import redacted
from lockstep.stores.postgres.migrations import migrate
from lockstep.stores.queue import Op, WriteQueue

__all__ = ["Database", "Op", "psycopg", "redacted"]

SCHEMES = ("postgresql://", "postgres://")
# Connections the pool may open for reads (the writer is one more).
POOL_SIZE = 10
CONNECT_TIMEOUT = 10


def psycopg() -> Any:
    """The psycopg module, or an ImportError that says how to get it."""
    try:
        import psycopg as module
        import psycopg_pool  # noqa: F401 - the backend needs both
    except ImportError as exc:
        raise ImportError(
            "a postgresql:// store needs psycopg 3 and psycopg-pool: "
            "pip install 'lockstep[postgres]'"
        ) from exc
    return module


class Script:
    """What a write op is given in place of a connection: `execute` and
    `cursor().executemany` collect statements, their parameters bound here, for
    the transaction to send at once. An op cannot read: none needs to."""

    __slots__ = ("statements", "_cursor")

    def __init__(self, cursor: Any) -> None:
        self.statements: list[str] = []
        self._cursor = cursor  # a psycopg ClientCursor, for its mogrify

    def execute(self, sql: str, params: Any = None) -> None:
        self.statements.append(self._cursor.mogrify(sql, params) if params is not None else sql)

    def executemany(self, sql: str, rows: Any) -> None:
        mogrify = self._cursor.mogrify
        self.statements.extend(mogrify(sql, row) for row in rows)

    def cursor(self) -> Script:
        return self


class Database(WriteQueue):
    """A PostgreSQL database, its pool and its write queue; safe to share across threads.

    `Database(url)` connects (a postgresql:// URL or a libpq connection string;
    `password` if the URL and PGPASSWORD have none), migrates and opens a pool for
    reads. `Database(conn)` uses a psycopg connection you opened and close, for
    writes and reads alike, behind a lock.
    """

    flusher_name = "lockstep-postgres-flusher"

    def __init__(self, url_or_conn: Any, *, password: str | None = None) -> None:
        super().__init__()
        pg = psycopg()
        self.lock = threading.RLock()
        self.pool: Any = None
        self._kwargs: dict[str, Any] = {"autocommit": True}
        if password is not None:
            self._kwargs["password"] = password
        if isinstance(url_or_conn, pg.Connection):
            self.url = ""
            self.conn = url_or_conn
            self._owns_conn = False
        else:
            self.url = str(url_or_conn)
            self.conn = self._connect()
            self._owns_conn = True
            self._durable_as_sqlite()
        try:
            with self.lock:
                try:
                    migrate(self.conn)
                except psycopg().Error as exc:
                    where = redacted(self.url) if self.url else "PostgreSQL"
                    raise StoreError(f"cannot set up lockstep's tables at {where}: {exc}") from exc
            if self._owns_conn:
                from psycopg_pool import ConnectionPool

                self.pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=POOL_SIZE,
                    kwargs=self._kwargs,
                    open=True,
                    name="lockstep-postgres",
                )
        except BaseException:
            self.close()
            raise

    def _connect(self) -> Any:
        return Database.connect(self.url, self._kwargs.get("password"))

    def _durable_as_sqlite(self) -> None:
        """Commits as durable as the SQLite backend's (WAL, synchronous=NORMAL): kept
        when this process dies (the server has them), not flushed to disk one by
        one (the server's WAL writer does it within a fraction of a second), so
        a lost machine may lose the last moment's steps, as on SQLite. A URL that
        sets synchronous_commit itself (options=-csynchronous_commit%3Don) keeps it."""
        if "synchronous_commit" not in self.url:
            self.conn.execute("SET synchronous_commit = off")

    @staticmethod
    def connect(url: str, password: str | None = None) -> Any:
        """A new autocommit connection to `url`, or a ConnectionError a person can read."""
        pg = psycopg()
        extra = {} if password is None else {"password": password}
        try:
            return pg.connect(url, connect_timeout=CONNECT_TIMEOUT, autocommit=True, **extra)
        except pg.OperationalError as exc:
            reason = " ".join(str(exc).split())
            raise ConnectionError(
                f"cannot connect to PostgreSQL at {redacted(url)}: {reason}"
            ) from None

    def close(self) -> None:
        """Commit what is queued, then close what this opened."""
        try:
            self._close_queue()
        finally:
            with self.lock:
                if self.pool is not None:
                    self.pool.close()
                if self._owns_conn:
                    self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Script]:
        """One write transaction on the writer: the ops write their statements into
        a `Script`, sent as one message (one round trip; PostgreSQL runs the
        statements of one message as one transaction)."""
        with self.lock:
            if self._owns_conn and self.conn.broken:
                self.conn = self._connect()  # the server went away and came back
                self._durable_as_sqlite()
            script = Script(psycopg().ClientCursor(self.conn))
            yield script
            if not script.statements:
                return
            text = ";\n".join(script.statements)
            if self.conn.autocommit:
                self.conn.execute(text)
            else:
                with self.conn.transaction():
                    self.conn.execute(text)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        """A connection for reads: one of the pool's, or the given one behind the lock."""
        if self.pool is None:
            with self.lock:
                yield self.conn
            return
        with self.pool.connection() as conn:
            yield conn

    def another_connection(self) -> Any:
        """A connection of its own (long-term memory keeps one); the caller closes it."""
        if not self.url:
            raise ValueError("only a Database that opened its connection can open more")
        return self._connect()
