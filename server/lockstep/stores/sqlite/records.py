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
from dataclasses import replace
from typing import Any

from lockstep.stores.memory.records import MemoryThreadStore
from lockstep.stores.queued_runs import QueuedRunStore
from lockstep.stores.sqlite.database import Database
from lockstep.stores.threads import ThreadRecord, ThreadStore, now

log = logging.getLogger(__name__)

_THREAD_COLUMNS = "thread_id, graph_id, status, created_at, updated_at, metadata, tenant"


class SqliteThreadStore(MemoryThreadStore):
    """Keeps records in a table of the server's SQLite file, and a copy in memory for reads."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db  # writes go through its queue: in order with checkpoints
        with db.lock:
            rows = db.conn.execute(f"SELECT {_THREAD_COLUMNS} FROM threads").fetchall()
        for record in map(_thread, rows):
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
        row = _thread_row(record)
        self._db.write_later(
            lambda conn: conn.execute(
                f"INSERT OR REPLACE INTO threads ({_THREAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            ),
            _logged(f"thread {record.thread_id}: its record"),
            hurry=False,  # a run's first checkpoint will take it along
        )


class SharedSqliteThreadStore(ThreadStore):
    """Thread records of a file other servers write too: read from the table (the
    last commit of any server), over this server's writes not yet committed."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._reader = db.another_connection()
        self._lock = threading.Lock()  # the overlay and the reader
        # thread_id -> the record (None: deleted) written here and not yet committed.
        self._unsaved: dict[str, ThreadRecord | None] = {}

    def close(self) -> None:
        with self._lock:
            self._reader.close()

    def get(self, thread_id: str) -> ThreadRecord | None:
        with self._lock:
            if thread_id in self._unsaved:
                return self._unsaved[thread_id]
            row = self._reader.execute(
                f"SELECT {_THREAD_COLUMNS} FROM threads WHERE thread_id = ?", (thread_id,)
            ).fetchone()
        return _thread(row) if row else None

    def put(self, record: ThreadRecord) -> ThreadRecord:
        row = _thread_row(record)
        self._write(
            record.thread_id,
            record,
            lambda conn: conn.execute(
                f"INSERT OR REPLACE INTO threads ({_THREAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            ),
        )
        return record

    def update(self, thread_id: str, persist: bool = True, **changes: Any) -> ThreadRecord | None:
        """As the others' (every change is written: other servers read it)."""
        record = self.get(thread_id)
        if record is None:
            return None
        return self.put(replace(record, updated_at=now(), **changes))

    def delete(self, thread_id: str) -> bool:
        found = self.get(thread_id) is not None
        self._write(
            thread_id,
            None,
            lambda conn: conn.execute("DELETE FROM threads WHERE thread_id = ?", (thread_id,)),
        )
        return found

    def list(
        self, graph_id: str = "", status: str = "", tenant: str | None = None
    ) -> list[ThreadRecord]:
        with self._lock:
            rows = self._reader.execute(f"SELECT {_THREAD_COLUMNS} FROM threads").fetchall()
            unsaved = dict(self._unsaved)
        records = {r.thread_id: r for r in map(_thread, rows)}
        for thread_id, record in unsaved.items():
            if record is None:
                records.pop(thread_id, None)
            else:
                records[thread_id] = record
        return [
            r
            for r in sorted(
                records.values(), key=lambda r: (-r.created_at.timestamp(), r.thread_id)
            )
            if (not graph_id or r.graph_id == graph_id)
            and (not status or r.status == status)
            and (tenant is None or r.tenant == tenant)
        ]

    def _write(self, thread_id: str, record: ThreadRecord | None, op: Callable) -> None:
        with self._lock:
            self._unsaved[thread_id] = record

        def done(error: BaseException | None) -> None:
            if error is not None:
                log.error("thread %s: its record could not be written: %s", thread_id, error)
                return
            with self._lock:
                if thread_id in self._unsaved and self._unsaved[thread_id] is record:
                    del self._unsaved[thread_id]

        self._db.write_later(op, done)


def _thread(row: tuple) -> ThreadRecord:
    return ThreadRecord(
        thread_id=row[0],
        graph_id=row[1],
        status=row[2],
        created_at=datetime.datetime.fromisoformat(row[3]),
        updated_at=datetime.datetime.fromisoformat(row[4]),
        metadata=json.loads(row[5]),
        tenant=row[6],
    )


def _thread_row(record: ThreadRecord) -> tuple:
    return (
        record.thread_id,
        record.graph_id,
        record.status,
        record.created_at.isoformat(),
        record.updated_at.isoformat(),
        json.dumps(record.metadata),
        record.tenant,
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
