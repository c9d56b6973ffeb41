"""Thread records: which graph a thread runs, its status, its metadata, its tenant;
and `ThreadStore`, what every backend's keeper of them does."""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

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


def select(
    records: list[ThreadRecord], graph_id: str = "", status: str = "", tenant: str | None = None
) -> list[ThreadRecord]:
    """The records `ThreadStore.list` returns for these filters, in its order."""
    records = [
        r
        for r in records
        if (not graph_id or r.graph_id == graph_id)
        and (not status or r.status == status)
        and (tenant is None or r.tenant == tenant)
    ]
    records.sort(key=lambda r: (-r.created_at.timestamp(), r.thread_id))
    return records


class ThreadStore(ABC):
    """Keeps thread records; safe to call from the event loop (no waiting on disk)."""

    @abstractmethod
    def get(self, thread_id: str) -> ThreadRecord | None:
        """The thread's record, or None."""

    @abstractmethod
    def put(self, record: ThreadRecord) -> ThreadRecord:
        """Add or replace a record; returns it."""

    @abstractmethod
    def update(self, thread_id: str, persist: bool = True, **changes: Any) -> ThreadRecord | None:
        """Change a record's fields (and its `updated_at`); None if there is none.
        `persist=False` for passing states (busy) not worth a disk write."""

    @abstractmethod
    def delete(self, thread_id: str) -> bool:
        """Forget a record; whether there was one."""

    @abstractmethod
    def list(
        self, graph_id: str = "", status: str = "", tenant: str | None = None
    ) -> list[ThreadRecord]:
        """Newest first, then by id, so pages are stable; `tenant` keeps only that tenant's."""
