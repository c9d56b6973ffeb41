"""The SQLite backend's file: the one place its connections are opened, its schema
migrated, and its writes queued and committed.

Everything the backend keeps in the file (checkpoints, thread and run records)
writes through one `Database`, a `WriteQueue` (see `lockstep.stores.queue`:
group commit, write-behind). One connection serves writes and the saver's reads,
behind `lock`; `another_connection()` opens more, for reads that must not wait
for a commit.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from lockstep.stores.queue import Op, WriteQueue
from lockstep.stores.sqlite.migrations import migrate

__all__ = ["Database", "Op", "connect"]


class Database(WriteQueue):
    """One SQLite file (WAL) and its write queue; safe to share across threads.

    ``Database(path)`` opens (and creates) the file and its parent directories;
    ``Database(conn)`` uses a connection you opened and close (pass
    ``check_same_thread=False`` if several threads will use it).
    """

    flusher_name = "lockstep-sqlite-flusher"

    def __init__(self, path_or_conn: str | os.PathLike[str] | sqlite3.Connection) -> None:
        super().__init__()
        given = isinstance(path_or_conn, sqlite3.Connection)
        self.path: str | None = None if given else os.fspath(path_or_conn)  # type: ignore[arg-type]
        self.lock = threading.RLock()
        if isinstance(path_or_conn, sqlite3.Connection):
            self.conn = path_or_conn
            self._owns_conn = False
        else:
            self.conn = connect(path_or_conn)
            self._owns_conn = True
        try:
            with self.lock:
                self._configure()
                self._migrate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Commit what is queued, then close the connection if this opened it."""
        self._close_queue()
        with self.lock:
            if self._owns_conn:
                self.conn.close()

    # -- setup ---------------------------------------------------------------

    def _configure(self) -> None:
        _configure(self.conn)

    def _migrate(self) -> None:
        with self.transaction():
            migrate(self.conn)

    class _Tx:
        __slots__ = ("conn", "mode", "began")

        def __init__(self, conn: sqlite3.Connection, mode: str) -> None:
            self.conn = conn
            self.mode = mode
            self.began = False

        def __enter__(self) -> sqlite3.Connection:
            if not self.conn.in_transaction:
                self.conn.execute(f"BEGIN {self.mode}")
                self.began = True
            return self.conn

        def __exit__(self, exc_type: object, *rest: object) -> None:
            if not self.began:
                return
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()

    def transaction(self, mode: str = "IMMEDIATE") -> Database._Tx:
        """One transaction (joins the caller's if their connection is already in one)."""
        return Database._Tx(self.conn, mode)

    def another_connection(self) -> sqlite3.Connection:
        """Another connection to the file, for work that must not wait behind the
        write lock (WAL lets reads see the last commit meanwhile); the caller
        closes it. Only for a database on a file it opened."""
        if self.path is None or self.path == ":memory:":
            raise ValueError("only a Database on a file it opened can open readers")
        conn = connect(self.path)
        _configure(conn)
        return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")  # ":memory:" stays "memory"
    conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints, no fsync per write


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    name = os.fspath(path)
    uri = name.startswith("file:")
    if name != ":memory:" and not uri and name:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    return sqlite3.connect(name, check_same_thread=False, isolation_level=None, uri=uri)
