"""Thread records: which graph a thread runs, its status, its metadata, its tenant."""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lockstep.checkpoint.sqlite import SqliteSaver

log = logging.getLogger(__name__)

IDLE, BUSY, INTERRUPTED, ERROR = "idle", "busy", "interrupted", "error"
# Whose threads these are when a server runs without authentication (and for
# threads saved before tenants existed).
DEFAULT_TENANT = "default"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    thread_id: str
    graph_id: str = ""
    status: str = IDLE
    created_at: datetime.datetime = field(default_factory=now)
    updated_at: datetime.datetime = field(default_factory=now)
    metadata: dict[str, Any] = field(default_factory=dict)
    tenant: str = DEFAULT_TENANT


class ThreadStore:
    """In memory; the SQLite subclass keeps the same records in the server's database file."""

    def __init__(self) -> None:
        self._records: dict[str, ThreadRecord] = {}
        self._lock = threading.Lock()

    def get(self, thread_id: str) -> ThreadRecord | None:
        with self._lock:
            return self._records.get(thread_id)

    def put(self, record: ThreadRecord) -> ThreadRecord:
        with self._lock:
            self._records[record.thread_id] = record
        return record

    def update(self, thread_id: str, persist: bool = True, **changes: Any) -> ThreadRecord | None:
        """Change a record; `persist=False` for passing states (busy) not worth a disk write."""
        with self._lock:
            record = self._records.get(thread_id)
            if record is None:
                return None
            record = replace(record, updated_at=now(), **changes)
            self._records[thread_id] = record
        if persist:
            self._saved(record)
        return record

    def delete(self, thread_id: str) -> bool:
        with self._lock:
            return self._records.pop(thread_id, None) is not None

    def list(
        self, graph_id: str = "", status: str = "", tenant: str | None = None
    ) -> list[ThreadRecord]:
        """Newest first, then by id, so pages are stable; `tenant` keeps only that tenant's."""
        with self._lock:
            records = list(self._records.values())
        records = [
            r
            for r in records
            if (not graph_id or r.graph_id == graph_id)
            and (not status or r.status == status)
            and (tenant is None or r.tenant == tenant)
        ]
        records.sort(key=lambda r: (-r.created_at.timestamp(), r.thread_id))
        return records

    def _saved(self, record: ThreadRecord) -> None:
        """Hook for stores that persist."""


_COLUMNS = "thread_id, graph_id, status, created_at, updated_at, metadata, tenant"


class SqliteThreadStore(ThreadStore):
    """Keeps records in a table of the server's SQLite file, and a copy in memory for reads."""

    def __init__(self, path: str, saver: SqliteSaver) -> None:
        super().__init__()
        self._saver = saver  # writes go through its queue: in order with checkpoints
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, no fsync per write
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS threads (thread_id TEXT PRIMARY KEY, graph_id TEXT, "
            "status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT, "
            f"tenant TEXT NOT NULL DEFAULT '{DEFAULT_TENANT}')"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(threads)")}
        if "tenant" not in columns:  # a database file from before tenants: its threads are default's
            self._db.execute(
                f"ALTER TABLE threads ADD COLUMN tenant TEXT NOT NULL DEFAULT '{DEFAULT_TENANT}'"
            )
        for row in self._db.execute(f"SELECT {_COLUMNS} FROM threads"):
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
        self._saver.write_later(
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
        self._saver.write_later(
            lambda conn: conn.execute(
                f"INSERT OR REPLACE INTO threads ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", row
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
