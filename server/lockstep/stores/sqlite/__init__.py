"""The SQLite backend (`sqlite:///PATH`, the server's embedded default): one file
holding checkpoints, thread records and run records, opened, migrated and written
by one `Database` (see `database` and `migrations`)."""

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
        """A `SqliteStore` in the same file (its tables are its own: `store_items`)."""
        with self._memory_lock:
            if self._memory is None:
                self._memory_conn = self.db.another_connection()
                self._memory = SqliteStore(self._memory_conn)
                self._memory.setup()
            return self._memory

    def close(self) -> None:
        if self._memory_conn is not None:
            self._memory_conn.close()
        self.runs.close()
        self.db.close()


__all__ = ["Database", "SqliteBackend", "SqliteRunStore", "SqliteSaver", "SqliteThreadStore"]
