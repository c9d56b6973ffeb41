"""The memory backend's thread and run records: dicts behind a lock, gone with
the process. The SQLite backend's stores build on these (see their hooks)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from lockstep.stores.runs import ACTIVE, ERROR, SERVER_STOPPED, RunRecord, RunStore
from lockstep.stores.threads import ThreadRecord, ThreadStore, now, select


class MemoryThreadStore(ThreadStore):
    """Thread records in a dict; the SQLite backend's store keeps its own copy here
    for reads and writes through to its file from the `_saved` hook."""

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
        return select(records, graph_id, status, tenant)

    def _saved(self, record: ThreadRecord) -> None:
        """Hook for stores that persist."""


class MemoryRunStore(RunStore):
    """Run records in a dict (insertion order is creation order); the SQLite
    backend's store keeps records not yet written here, through the hooks."""

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
