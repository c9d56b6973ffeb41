"""The PostgreSQL backend (`postgresql://USER:PASSWORD@HOST:PORT/DB`, also
`postgres://`): checkpoints, thread records, run records and long-term memory in
one database, shared by every server on it. One `Database` opens the
connections (a writer, a pool for reads), migrates the schema (`migrations`,
under an advisory lock) and queues the writes. Needs psycopg 3
(`pip install 'lockstep[postgres]'`)."""

from __future__ import annotations

import threading

from lockstep.store.postgres import PostgresStore
from lockstep.stores.base import Backend
from lockstep.stores.memory.coordination import MemoryCoordination
from lockstep.stores.postgres.database import Database
from lockstep.stores.postgres.records import PostgresRunStore, PostgresThreadStore
from lockstep.stores.postgres.saver import PostgresSaver


class PostgresBackend(Backend):
    def __init__(self, url: str, *, password: str | None = None) -> None:
        self.url = url
        self.db = Database(url, password=password)
        self.saver = PostgresSaver(self.db)
        self.threads = PostgresThreadStore(self.db)
        self.runs = PostgresRunStore(self.db)
        # One server: claims, queue and events in its memory (replicas not built yet).
        self.coordination = MemoryCoordination()
        self._memory: PostgresStore | None = None
        self._memory_lock = threading.Lock()

    @property
    def memory(self) -> PostgresStore:
        """A `PostgresStore` in the same database, on a connection of its own."""
        with self._memory_lock:
            if self._memory is None:
                self._memory = PostgresStore(self.db.another_connection(), owns_conn=True)
                self._memory.setup()
            return self._memory

    def close(self) -> None:
        try:
            if self._memory is not None:
                self._memory.close()
        finally:
            self.db.close()


__all__ = [
    "Database",
    "PostgresBackend",
    "PostgresRunStore",
    "PostgresSaver",
    "PostgresThreadStore",
]
