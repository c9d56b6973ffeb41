"""Run records: which run went on which thread, and how it ended, kept across restarts.

The run manager keeps a live run (its events, its task) in memory; what is
written here is the part a client may ask about after the server restarted:
id, thread, graph, status, times, metadata and the error that ended it.

`RunStore` is what every backend's keeper of them does. A run still `pending` or
`running` when the store is opened was active when
the previous server process died (a crash, a kill -9): `recover()` marks it
`error` with an error saying so, since nothing will ever finish it, and returns
the threads it was on.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

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


class RunStore(ABC):
    """Keeps run records; `get`, `put` and `list` are safe to call from the event
    loop, `delete`, `delete_thread` and `recover` may wait on disk."""

    @abstractmethod
    def get(self, run_id: str) -> RunRecord | None:
        """The run's record, or None."""

    @abstractmethod
    def put(self, record: RunRecord, persist: bool = True) -> RunRecord:
        """Add or replace a record; `persist=False` for passing states (running)
        that a restart turns into `error` anyway, so not worth a disk write."""

    @abstractmethod
    def list(self, thread_id: str = "", status: str = "") -> list[RunRecord]:
        """Newest first; only the thread's, or only in that status, when given."""

    @abstractmethod
    def delete(self, run_id: str) -> None:
        """Forget a run that never was: its request was refused as it started."""

    @abstractmethod
    def delete_thread(self, thread_id: str) -> None:
        """Forget a deleted thread's runs."""

    @abstractmethod
    def recover(self) -> list[str]:
        """Mark runs a dead process left active as `error` (SERVER_STOPPED); the
        threads they were on, each once, oldest run first."""
