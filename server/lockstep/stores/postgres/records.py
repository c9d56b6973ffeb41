"""The PostgreSQL backend's thread and run records, in its `threads` and `runs`
tables, written through its queue so they commit in order with the checkpoints,
and read from the database, so every server on it sees the same records.

A record written is kept in memory, over its row, until its write commits (and
so is a passing state not written, `persist=False`, until the next write): the
event loop never waits on a commit, and a reader never sees an older row.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from typing import Any

from lockstep.stores.postgres.database import Database
from lockstep.stores.queued_runs import QueuedRunStore
from lockstep.stores.threads import ThreadRecord, ThreadStore, now, select

log = logging.getLogger(__name__)

_THREAD_COLUMNS = "thread_id, graph_id, status, created_at, updated_at, metadata, tenant"
_GONE = None  # over a row: the record is deleted, its deletion not yet committed


class PostgresThreadStore(ThreadStore):
    """Thread records in the `threads` table; those not yet committed in memory."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        # thread id -> (the record, or _GONE, as the caller last left it)
        self._unsaved: dict[str, ThreadRecord | None] = {}
        # thread id -> what was last kept, so a commit clears only its own record
        self._marks: dict[str, object] = {}

    def get(self, thread_id: str) -> ThreadRecord | None:
        with self._lock:
            if thread_id in self._unsaved:
                return self._unsaved[thread_id]
        with self._db.reading() as conn:
            row = conn.execute(
                f"SELECT {_THREAD_COLUMNS} FROM threads WHERE thread_id = %s", (thread_id,)
            ).fetchone()
        return _thread(row) if row else None

    def put(self, record: ThreadRecord) -> ThreadRecord:
        self._keep(record.thread_id, record, persist=True)
        return record

    def update(self, thread_id: str, persist: bool = True, **changes: Any) -> ThreadRecord | None:
        record = self.get(thread_id)
        if record is None:
            return None
        record = replace(record, updated_at=now(), **changes)
        self._keep(thread_id, record, persist)
        return record

    def delete(self, thread_id: str) -> bool:
        found = self.get(thread_id) is not None
        self._keep(thread_id, _GONE, persist=True)
        return found

    def list(
        self, graph_id: str = "", status: str = "", tenant: str | None = None
    ) -> list[ThreadRecord]:
        # Taken before the rows: a record committed meanwhile leaves this copy, and
        # is then in the rows.
        with self._lock:
            unsaved = dict(self._unsaved)
        with self._db.reading() as conn:
            rows = conn.execute(f"SELECT {_THREAD_COLUMNS} FROM threads").fetchall()
        records = {row[0]: _thread(row) for row in rows}
        for thread_id, record in unsaved.items():
            if record is _GONE:
                records.pop(thread_id, None)
            else:
                records[thread_id] = record
        return select(list(records.values()), graph_id, status, tenant)

    def _keep(self, thread_id: str, record: ThreadRecord | None, persist: bool) -> None:
        """Put `record` over the row, and write it (or delete the row) unless not `persist`."""
        marker = object() if record is _GONE else record
        with self._lock:
            self._unsaved[thread_id] = record
            self._marks[thread_id] = marker
        if not persist:
            return
        if record is _GONE:

            def op(conn: Any) -> None:
                conn.execute("DELETE FROM threads WHERE thread_id = %s", (thread_id,))
        else:
            row = _thread_row(record)

            def op(conn: Any) -> None:
                conn.execute(
                    f"INSERT INTO threads ({_THREAD_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (thread_id) DO UPDATE SET graph_id = excluded.graph_id,"
                    " status = excluded.status, created_at = excluded.created_at,"
                    " updated_at = excluded.updated_at, metadata = excluded.metadata,"
                    " tenant = excluded.tenant",
                    row,
                )

        def done(error: BaseException | None) -> None:
            if error is not None:
                log.error("thread %s: its record could not be written: %s", thread_id, error)
                return
            with self._lock:
                if self._marks.get(thread_id) is marker:
                    del self._unsaved[thread_id], self._marks[thread_id]

        self._db.write_later(op, done, hurry=False)  # a run's first checkpoint takes it along


def _thread_row(record: ThreadRecord) -> tuple:
    return (
        record.thread_id,
        record.graph_id,
        record.status,
        record.created_at,
        record.updated_at,
        json.dumps(record.metadata),
        record.tenant,
    )


def _thread(row: tuple) -> ThreadRecord:
    return ThreadRecord(
        thread_id=row[0],
        graph_id=row[1],
        status=row[2],
        created_at=row[3],
        updated_at=row[4],
        metadata=json.loads(row[5]),
        tenant=row[6],
    )


class PostgresRunStore(QueuedRunStore):
    """Run records in the `runs` table (see `QueuedRunStore`), read on the pool's connections."""

    _PLACEHOLDER = "%s"
    _TIE = "seq DESC"

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    def _fetch(self, sql: str, args: tuple) -> list[tuple]:
        with self._db.reading() as conn:
            return conn.execute(sql, args).fetchall()
