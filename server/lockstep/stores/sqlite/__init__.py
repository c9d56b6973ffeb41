"""The SQLite backend (`sqlite:///PATH`, the server's embedded default): one file
holding checkpoints, thread records, run records and long-term memory, opened and
migrated by one `Database` (see `database` and `migrations`), which also queues
and commits every write but the memory store's own.

`replica=True` opens it as one of several servers on the file: thread records
are read from the table (another server may have written them), claims, the run
queue, events and cancel requests go through it (`coordination`), and checkpoint
writes are fenced by this server's claims. Alone, a server keeps those in memory."""

from __future__ import annotations

import os
import sqlite3
import threading

from lockstep.store.sqlite import SqliteStore
from lockstep.stores.base import Backend
from lockstep.stores.coordination import DEFAULT_LEASE_SECONDS
from lockstep.stores.memory.coordination import MemoryCoordination
from lockstep.stores.sqlite.coordination import SqliteCoordination
from lockstep.stores.sqlite.database import Database
from lockstep.stores.sqlite.records import (
    SharedSqliteThreadStore,
    SqliteRunStore,
    SqliteThreadStore,
)
from lockstep.stores.sqlite.saver import SqliteSaver


class SqliteBackend(Backend):
    def __init__(
        self,
        path: str | os.PathLike[str],
        url: str = "",
        replica: bool = False,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.url = url or f"sqlite:///{os.fspath(path)}"
        self.db = Database(path)
        try:
            self.saver = SqliteSaver(self.db)
            self.runs = SqliteRunStore(self.db)
            if replica:
                self.threads = SharedSqliteThreadStore(self.db)
                self.coordination = SqliteCoordination(self.db, lease_seconds=lease_seconds)
                self.saver.fence = self.coordination.fence
            else:
                self.threads = SqliteThreadStore(self.db)
                self.coordination = MemoryCoordination(lease_seconds=lease_seconds)
        except BaseException:
            self.db.close()
            raise
        self._memory: SqliteStore | None = None
        self._memory_conn: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()

    @property
    def memory(self) -> SqliteStore:
        """A `SqliteStore` on the same file, whose tables (`store_items`) the file's
        migrations made as it opened. Its own connection, opened on first use: its
        writes commit at once and do not queue behind checkpoints."""
        with self._memory_lock:
            if self._memory is None:
                self._memory_conn = self.db.another_connection()
                self._memory = SqliteStore(self._memory_conn)
                self._memory.setup()  # finds every step done: the migrations ran them
            return self._memory

    def close(self) -> None:
        if self._memory_conn is not None:
            self._memory_conn.close()
        self.runs.close()
        if isinstance(self.threads, SharedSqliteThreadStore):
            self.threads.close()
        if isinstance(self.coordination, SqliteCoordination):
            self.coordination.close()
        self.db.close()


__all__ = [
    "Database",
    "SharedSqliteThreadStore",
    "SqliteBackend",
    "SqliteCoordination",
    "SqliteRunStore",
    "SqliteSaver",
    "SqliteThreadStore",
]
