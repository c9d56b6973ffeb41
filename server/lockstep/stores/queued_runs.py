"""`QueuedRunStore`: run records in a database backend's `runs` table (SQLite,
PostgreSQL), written through its queue so they commit in order with the
checkpoints, and read from the table, so a long-lived server does not hold every
run it ever made in memory. A record is kept in memory, over its row, until its
write commits (or for good if it fails), and so are passing states not written
(`persist=False`) until the run's next write.

The queries are written once with `?` placeholders; a backend gives its own
placeholder, how it reads rows, and how a record's times and JSON become columns.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from lockstep.stores.memory.records import MemoryRunStore
from lockstep.stores.queue import WriteQueue
from lockstep.stores.runs import ACTIVE, ERROR, SERVER_STOPPED, RunRecord, now

log = logging.getLogger(__name__)

COLUMNS = (
    "run_id, thread_id, graph_id, status, created_at, updated_at, metadata, "
    "multitask_strategy, error"
)


class QueuedRunStore(MemoryRunStore):
    """The part of a database backend's run store that does not depend on the database."""

    _db: WriteQueue
    #: The driver's placeholder for `?`.
    _PLACEHOLDER = "?"
    #: Orders rows of one `created_at` newest first (the order they were first written).
    _TIE = "rowid DESC"

    def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[tuple]:
        """Rows of a read, without waiting behind a commit."""
        raise NotImplementedError

    def _time(self, value: Any) -> Any:
        """A time as the backend stores it (a column) or reads it back (a datetime)."""
        return value

    def _read_time(self, value: Any) -> Any:
        return value

    def _sql(self, text: str) -> str:
        return text.replace("?", self._PLACEHOLDER)

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            record = self._records.get(run_id)
        if record is not None:
            return record
        rows = self._fetch(self._sql(f"SELECT {COLUMNS} FROM runs WHERE run_id = ?"), (run_id,))
        return self._record(rows[0]) if rows else None

    def list(self, thread_id: str = "", status: str = "") -> list[RunRecord]:
        sql = f"SELECT {COLUMNS} FROM runs"
        args: tuple[str, ...] = ()
        if thread_id:
            sql += " WHERE thread_id = ?"
            args = (thread_id,)
        sql += f" ORDER BY created_at DESC, {self._TIE}"
        # Taken before the rows: a record committed meanwhile leaves this copy and
        # is then in the rows.
        with self._lock:
            unsaved = dict(self._records)
        rows = self._fetch(self._sql(sql), args)
        records = [unsaved.pop(row[0], None) or self._record(row) for row in rows]
        # Records whose first write is still queued (a run that has just started).
        fresh = [r for r in unsaved.values() if not thread_id or r.thread_id == thread_id]
        if fresh:
            records = sorted(fresh + records, key=lambda r: r.created_at, reverse=True)
        return [r for r in records if not status or r.status == status]

    def recover(self) -> list[str]:
        self._db.flush()  # records still queued count too (none, on opening)
        rows = self._fetch(
            self._sql(
                f"SELECT {COLUMNS} FROM runs WHERE status IN (?, ?)"
                f" ORDER BY created_at, {self._TIE.replace(' DESC', '')}"
            ),
            ACTIVE,
        )
        threads = []
        for record in map(self._record, rows):
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
            self._time(record.created_at),
            self._time(record.updated_at),
            json.dumps(record.metadata),
            record.multitask_strategy,
            json.dumps(record.error) if record.error else None,
        )
        sql = self._sql(
            f"INSERT INTO runs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, "
            "updated_at = excluded.updated_at, metadata = excluded.metadata, "
            "error = excluded.error"
        )

        def done(error: BaseException | None) -> None:
            if error is not None:
                log.error("run %s: its record could not be written: %s", record.run_id, error)
                return
            with self._lock:
                if self._records.get(record.run_id) is record:
                    del self._records[record.run_id]

        # hurry=False: the run's first checkpoint takes it along.
        self._db.write_later(lambda conn: conn.execute(sql, row), done, hurry=False)

    def _deleted(self, thread_id: str) -> None:
        self._delete_rows("thread_id", thread_id)

    def _deleted_run(self, run_id: str) -> None:
        self._delete_rows("run_id", run_id)

    def _delete_rows(self, column: str, value: str) -> None:
        """Waited for: reads come from the table, which must not show them meanwhile."""
        sql = self._sql(f"DELETE FROM runs WHERE {column} = ?")
        self._db.write_later(lambda conn: conn.execute(sql, (value,)))
        self._db.flush()

    def _record(self, row: tuple) -> RunRecord:
        return RunRecord(
            run_id=row[0],
            thread_id=row[1],
            graph_id=row[2],
            status=row[3],
            created_at=self._read_time(row[4]),
            updated_at=self._read_time(row[5]),
            metadata=json.loads(row[6]),
            multitask_strategy=row[7],
            error=json.loads(row[8]) if row[8] else None,
        )
