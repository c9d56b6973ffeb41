"""The SQLite backend's thread and run records, in the `threads` and `runs` tables
of its file (see `migrations`), written through its queue so they commit in
order with the checkpoints; written from the event loop, which never waits on disk.
"""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace

from lockstep.stores.memory.records import MemoryRunStore, MemoryThreadStore
from lockstep.stores.runs import ACTIVE, ERROR, SERVER_STOPPED, RunRecord
from lockstep.stores.sqlite.database import Database
from lockstep.stores.threads import ThreadRecord, now

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


_RUN_COLUMNS = (
    "run_id, thread_id, graph_id, status, created_at, updated_at, metadata, "
    "multitask_strategy, error"
)


class SqliteRunStore(MemoryRunStore):
    """Keeps records in a `runs` table of the server's SQLite file and reads them
    from there, so a long-lived server does not hold every run it ever made in
    memory. A record is kept in memory, over its row, until its write commits
    (or for good if it fails), and so are passing states not written
    (`persist=False`) until the run's next write."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db  # writes go through its queue: in order with checkpoints
        self._reader = db.another_connection()  # reads do not wait behind a commit
        self._reader_lock = threading.Lock()

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            record = self._records.get(run_id)
        if record is not None:
            return record
        with self._reader_lock:
            row = self._reader.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return _record(row) if row else None

    def list(self, thread_id: str = "", status: str = "") -> list[RunRecord]:
        sql = f"SELECT {_RUN_COLUMNS} FROM runs"
        args: tuple[str, ...] = ()
        if thread_id:
            sql += " WHERE thread_id = ?"
            args = (thread_id,)
        sql += " ORDER BY created_at DESC, rowid DESC"
        with self._reader_lock:
            rows = self._reader.execute(sql, args).fetchall()
        with self._lock:
            unsaved = dict(self._records)
        records = [unsaved.pop(row[0], None) or _record(row) for row in rows]
        # Records whose first write is still queued (a run that has just started).
        fresh = [r for r in unsaved.values() if not thread_id or r.thread_id == thread_id]
        if fresh:
            records = sorted(fresh + records, key=lambda r: r.created_at, reverse=True)
        return [r for r in records if not status or r.status == status]

    def recover(self) -> list[str]:
        self._db.flush()  # records still queued count too (none, on opening)
        with self._reader_lock:
            rows = self._reader.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE status IN (?, ?) ORDER BY created_at",
                ACTIVE,
            ).fetchall()
        threads = []
        for record in map(_record, rows):
            self.put(replace(record, status=ERROR, updated_at=now(), error=dict(SERVER_STOPPED)))
            if record.thread_id not in threads:
                threads.append(record.thread_id)
        return threads

    def close(self) -> None:
        """Close the reading connection (the backend closes the file)."""
        with self._reader_lock:
            self._reader.close()

    def _saved(self, record: RunRecord) -> None:
        row = (
            record.run_id,
            record.thread_id,
            record.graph_id,
            record.status,
            record.created_at.isoformat(),
            record.updated_at.isoformat(),
            json.dumps(record.metadata),
            record.multitask_strategy,
            json.dumps(record.error) if record.error else None,
        )

        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, "
                "updated_at = excluded.updated_at, metadata = excluded.metadata, "
                "error = excluded.error",
                row,
            )

        def done(error: BaseException | None) -> None:
            if error is not None:
                log.error("run %s: its record could not be written: %s", record.run_id, error)
                return
            with self._lock:
                if self._records.get(record.run_id) is record:
                    del self._records[record.run_id]

        self._db.write_later(op, done, hurry=False)  # see SqliteThreadStore._saved

    def _deleted(self, thread_id: str) -> None:
        self._delete_rows("thread_id", thread_id)

    def _deleted_run(self, run_id: str) -> None:
        self._delete_rows("run_id", run_id)

    def _delete_rows(self, column: str, value: str) -> None:
        """Waited for: reads come from the table, which must not show them meanwhile."""
        self._db.write_later(
            lambda conn: conn.execute(f"DELETE FROM runs WHERE {column} = ?", (value,))
        )
        self._db.flush()


def _record(row: tuple) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        thread_id=row[1],
        graph_id=row[2],
        status=row[3],
        created_at=datetime.datetime.fromisoformat(row[4]),
        updated_at=datetime.datetime.fromisoformat(row[5]),
        metadata=json.loads(row[6]),
        multitask_strategy=row[7],
        error=json.loads(row[8]) if row[8] else None,
    )
