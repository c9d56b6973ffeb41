"""Run records: which run went on which thread, and how it ended, kept across restarts.

The run manager keeps a live run (its events, its task) in memory; what is
written here is the part a client may ask about after the server restarted:
id, thread, graph, status, times, metadata and the error that ended it.

A run still `pending` or `running` when the store is opened was active when
the previous server process died (a crash, a kill -9): `recover()` marks it
`error` with an error saying so, since nothing will ever finish it, and returns
the threads it was on.
"""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from lockstep.checkpoint.sqlite import SqliteSaver

log = logging.getLogger(__name__)

PENDING, RUNNING, SUCCESS, INTERRUPTED, ERROR, CANCELLED, TIMEOUT = (
    "pending",
    "running",
    "success",
    "interrupted",
    "error",
    "cancelled",
    "timeout",
)
ACTIVE = (PENDING, RUNNING)
# The error a run left active by a dead server process is given on the next start.
SERVER_STOPPED = {
    "message": "the server stopped before the run finished (crash or kill); "
    "the thread keeps its last saved checkpoint: resume it with no input",
    "error_type": "ServerStopped",
    "code": 14,  # UNAVAILABLE
    "node": "",
}


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    thread_id: str
    graph_id: str
    status: str = PENDING
    created_at: datetime.datetime = field(default_factory=now)
    updated_at: datetime.datetime = field(default_factory=now)
    metadata: dict[str, Any] = field(default_factory=dict)
    multitask_strategy: int = 0
    # {"message", "node", "code", "error_type"} when the run ended in an error.
    error: dict[str, Any] | None = None


class RunStore:
    """In memory; the SQLite subclass keeps the same records in the server's database file."""

    def __init__(self) -> None:
        self._records: dict[str, RunRecord] = {}  # insertion order is creation order
        self._lock = threading.Lock()

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            return self._records.get(run_id)

    def put(self, record: RunRecord, persist: bool = True) -> RunRecord:
        """Add or replace a record; `persist=False` for passing states (running)
        that a restart turns into `error` anyway, so not worth a disk write."""
        with self._lock:
            self._records[record.run_id] = record
        if persist:
            self._saved(record)
        return record

    def list(self, thread_id: str = "", status: str = "") -> list[RunRecord]:
        """Newest first."""
        with self._lock:
            records = list(self._records.values())
        return [
            r
            for r in reversed(records)
            if (not thread_id or r.thread_id == thread_id) and (not status or r.status == status)
        ]

    def delete(self, run_id: str) -> None:
        """Forget a run that never was: its request was refused as it started."""
        with self._lock:
            self._records.pop(run_id, None)
        self._deleted_run(run_id)

    def delete_thread(self, thread_id: str) -> None:
        """Forget a deleted thread's runs."""
        with self._lock:
            for run_id in [r.run_id for r in self._records.values() if r.thread_id == thread_id]:
                del self._records[run_id]
        self._deleted(thread_id)

    def recover(self) -> list[str]:
        """Mark runs a dead process left active as `error`; the threads they were on."""
        with self._lock:
            stale = [r for r in self._records.values() if r.status in ACTIVE]
        threads = []
        for record in stale:
            self.put(replace(record, status=ERROR, updated_at=now(), error=dict(SERVER_STOPPED)))
            if record.thread_id not in threads:
                threads.append(record.thread_id)
        return threads

    def _saved(self, record: RunRecord) -> None:
        """Hook for stores that persist."""

    def _deleted(self, thread_id: str) -> None:
        """Hook for stores that persist."""

    def _deleted_run(self, run_id: str) -> None:
        """Hook for stores that persist."""


_COLUMNS = (
    "run_id, thread_id, graph_id, status, created_at, updated_at, metadata, "
    "multitask_strategy, error"
)


class SqliteRunStore(RunStore):
    """Keeps records in a `runs` table of the server's SQLite file and reads them
    from there, so a long-lived server does not hold every run it ever made in
    memory. A record is kept in memory, over its row, until its write commits
    (or for good if it fails), and so are passing states not written
    (`persist=False`) until the run's next write."""

    def __init__(self, path: str, saver: SqliteSaver) -> None:
        super().__init__()
        self._saver = saver  # writes go through its queue: in order with checkpoints
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, thread_id TEXT, "
            "graph_id TEXT, status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT, "
            "multitask_strategy INTEGER, error TEXT)"
        )
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS runs_by_thread ON runs (thread_id, created_at)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at)")
        self._db_lock = threading.Lock()

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            record = self._records.get(run_id)
        if record is not None:
            return record
        with self._db_lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return _record(row) if row else None

    def list(self, thread_id: str = "", status: str = "") -> list[RunRecord]:
        sql = f"SELECT {_COLUMNS} FROM runs"
        args: tuple[str, ...] = ()
        if thread_id:
            sql += " WHERE thread_id = ?"
            args = (thread_id,)
        sql += " ORDER BY created_at DESC, rowid DESC"
        with self._db_lock:
            rows = self._db.execute(sql, args).fetchall()
        with self._lock:
            unsaved = dict(self._records)
        records = [unsaved.pop(row[0], None) or _record(row) for row in rows]
        # Records whose first write is still queued (a run that has just started).
        fresh = [r for r in unsaved.values() if not thread_id or r.thread_id == thread_id]
        if fresh:
            records = sorted(fresh + records, key=lambda r: r.created_at, reverse=True)
        return [r for r in records if not status or r.status == status]

    def recover(self) -> list[str]:
        with self._db_lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE status IN (?, ?) ORDER BY created_at",
                ACTIVE,
            ).fetchall()
        threads = []
        for record in map(_record, rows):
            self.put(replace(record, status=ERROR, updated_at=now(), error=dict(SERVER_STOPPED)))
            if record.thread_id not in threads:
                threads.append(record.thread_id)
        return threads

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
                f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
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

        self._saver.write_later(op, done, hurry=False)  # see SqliteThreadStore._saved

    def _deleted(self, thread_id: str) -> None:
        self._delete_rows("thread_id", thread_id)

    def _deleted_run(self, run_id: str) -> None:
        self._delete_rows("run_id", run_id)

    def _delete_rows(self, column: str, value: str) -> None:
        """Waited for: reads come from the table, which must not show them meanwhile."""
        self._saver.write_later(
            lambda conn: conn.execute(f"DELETE FROM runs WHERE {column} = ?", (value,))
        )
        self._saver.flush()


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
