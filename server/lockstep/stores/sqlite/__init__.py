"""The SQLite backend (`sqlite:///PATH`, the server's embedded default): one file
holding checkpoints, thread records, run records and long-term memory, opened and
migrated by one `Database` (see `database` and `migrations`), which also queues
and commits every write but the memory store's own."""

from __future__ import annotations

import os
import sqlite3
import threading

from lockstep.store.sqlite import SqliteStore
from lockstep.stores.base import Backend
from lockstep.stores.sqlite.database import Database
from lockstep.stores.sqlite.records import SqliteRunStore, SqliteThreadStore
from lockstep.stores.sqlite.saver import SqliteSaver


class SqliteBackend(Backend):
    def __init__(self, path: str | os.PathLike[str], url: str = "") -> None:
        self.url = url or f"sqlite:///{os.fspath(path)}"
        self.db = Database(path)
        try:
            self.saver = SqliteSaver(self.db)
            self.threads = SqliteThreadStore(self.db)
            self.runs = SqliteRunStore(self.db)
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
        self.db.close()


__all__ = ["Database", "SqliteBackend", "SqliteRunStore", "SqliteSaver", "SqliteThreadStore"]
