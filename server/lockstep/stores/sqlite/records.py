"""The SQLite backend's thread and run records, in the `threads` and `runs` tables
of its file (see `migrations`), written through its queue so they commit in
order with the checkpoints; written from the event loop, which never waits on disk.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections.abc import Callable

from lockstep.stores.memory.records import MemoryThreadStore
from lockstep.stores.queued_runs import QueuedRunStore
from lockstep.stores.sqlite.database import Database
from lockstep.stores.threads import ThreadRecord

log = logging.getLogger(__name__)

_THREAD_COLUMNS = "thread_id, graph_id, status, created_at, updated_at, metadata, tenant"


class SqliteThreadStore(MemoryThreadStore):
    """Keeps records in a table of the server's SQLite file, and a copy in memory for reads."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db  # writes go through its queue: in order with checkpoints
        with db.lock:
            rows = db.conn.execute(f"SELECT {_THREAD_COLUMNS} FROM threads").fetchall()
        for row in rows:
            record = ThreadRecord(
                thread_id=row[0],
                graph_id=row[1],
                status=row[2],
                created_at=datetime.datetime.fromisoformat(row[3]),
                updated_at=datetime.datetime.fromisoformat(row[4]),
                metadata=json.loads(row[5]),
                tenant=row[6],
            )
            self._records[record.thread_id] = record

    def put(self, record: ThreadRecord) -> ThreadRecord:
        super().put(record)
        self._saved(record)
        return record

    def delete(self, thread_id: str) -> bool:
        found = super().delete(thread_id)
        self._db.write_later(
            lambda conn: conn.execute("DELETE FROM threads WHERE thread_id = ?", (thread_id,)),
            _logged(f"thread {thread_id}: its deletion"),
        )
        return found

    def _saved(self, record: ThreadRecord) -> None:
        row = (
            record.thread_id,
            record.graph_id,
            record.status,
            record.created_at.isoformat(),
            record.updated_at.isoformat(),
            json.dumps(record.metadata),
            record.tenant,
        )
        self._db.write_later(
            lambda conn: conn.execute(
                f"INSERT OR REPLACE INTO threads ({_THREAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            ),
            _logged(f"thread {record.thread_id}: its record"),
            hurry=False,  # a run's first checkpoint will take it along
        )


def _logged(what: str) -> Callable[[BaseException | None], None]:
    """A write_later callback that logs a failed write (the record stays in memory)."""

    def done(error: BaseException | None) -> None:
        if error is not None:
            log.error("%s could not be written: %s", what, error)

    return done


class SqliteRunStore(QueuedRunStore):
    """Keeps records in a `runs` table of the server's SQLite file and reads them
    from there (see `QueuedRunStore`), on a connection of its own."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db  # writes go through its queue: in order with checkpoints
        self._reader = db.another_connection()  # reads do not wait behind a commit
        self._reader_lock = threading.Lock()

    def _fetch(self, sql: str, args: tuple) -> list[tuple]:
        with self._reader_lock:
            return self._reader.execute(sql, args).fetchall()

    def _time(self, value: datetime.datetime) -> str:
        return value.isoformat()

    def _read_time(self, value: str) -> datetime.datetime:
        return datetime.datetime.fromisoformat(value)

    def close(self) -> None:
        """Close the reading connection (the backend closes the file)."""
        with self._reader_lock:
            self._reader.close()
