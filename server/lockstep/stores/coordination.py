"""How several servers on one store act as one: claims, the run queue, run events
and cancel requests, kept in the store instead of one process's memory.

- A **claim** says which run holds a thread, which server (`owner`) runs it and
  until when (`expires`): the owner renews it while the run goes on; once it has
  lapsed (the owner died) another server takes the run over (`take_over`) and
  finishes it. A claim with no run (`run_id` "") holds the thread for an edit.
- The **queue** keeps runs waiting for a busy thread, first come first served
  across servers: a thread is claimed only by the run first in its queue (or by
  any when none waits). Queued runs are leased by their server too.
- **Events**: the owner appends a run's events (numbered from 0); a follower on
  any server reads those after the last it saw and waits for more.
- **Cancel requests** reach the server that owns the run, which stops it.

`Coordination` is what every backend implements; `shared` says whether other
processes can see it (False for memory: one process, so the server keeps all
this in its own memory and never asks). `request` blobs are the run layer's,
opaque here: what a server taking over needs to run the run again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

#: How long a claim lasts without renewal (`lockstep serve --lease-seconds`).
DEFAULT_LEASE_SECONDS = 10.0
#: How often a follower on another server looks for new events, when the backend
#: cannot tell it (SQLite: polling; PostgreSQL: LISTEN/NOTIFY).
POLL_SECONDS = 0.02


class LeaseLost(RuntimeError):
    """A server wrote to a thread it no longer holds (its lease lapsed and another
    server took the run over): the write is refused, the run stops there."""


@dataclass(frozen=True, slots=True)
class Claim:
    thread_id: str
    run_id: str  # "" for an edit
    owner: str
    expires: float  # time.time() when it lapses unless renewed
    request: bytes = b""  # what a server taking the run over needs (the run layer's)


@dataclass(frozen=True, slots=True)
class Queued:
    thread_id: str
    run_id: str
    owner: str
    expires: float
    request: bytes = b""


def new_owner() -> str:
    """A server's id in the store, new for each process."""
    return uuid.uuid4().hex


class Coordination(ABC):
    """Claims, queue, events and cancel requests of one store, as seen by one server
    (`owner`). Every method but `wait_events` may wait on the store: call them off
    the event loop when `shared`."""

    owner: str
    lease_seconds: float
    shared: bool

    # -- claims ------------------------------------------------------------------

    @abstractmethod
    def claim(self, thread_id: str, run_id: str, request: bytes = b"") -> bool:
        """Take the thread for `run_id` (or for an edit, run_id ""): only if no live
        claim holds it and no other run is before this one in its queue (a run that
        was queued leaves the queue as it claims). True if this server holds it."""

    @abstractmethod
    def holder(self, thread_id: str) -> Claim | None:
        """The thread's claim, live or lapsed, or None when it is free."""

    @abstractmethod
    def renew(self) -> set[tuple[str, str]]:
        """Extend every claim and queued run of this server by a lease; the
        (thread_id, run_id) of the claims it still holds (one taken over is gone)."""

    @abstractmethod
    def release(self, thread_id: str, run_id: str) -> None:
        """Let go of the thread, if this server still holds it for `run_id`."""

    @abstractmethod
    def expired(self) -> list[Claim | Queued]:
        """Claims and queued runs whose lease has lapsed (their server is gone)."""

    @abstractmethod
    def take_over(self, item: Claim | Queued) -> bool:
        """Make a lapsed claim or queued run this server's (a fresh lease); False if
        it is no longer lapsed or another server took it first. A lapsed edit claim
        is dropped instead (nothing to finish) and False returned."""

    # -- the queue -----------------------------------------------------------------

    @abstractmethod
    def enqueue(self, thread_id: str, run_id: str, request: bytes = b"") -> None:
        """Put a run last in its thread's queue, held by this server."""

    @abstractmethod
    def dequeue(self, run_id: str) -> bool:
        """Take a run out of its queue (cancelled); whether it was there."""

    @abstractmethod
    def queued(self, thread_id: str) -> list[Queued]:
        """The thread's queue, first first."""

    # -- events --------------------------------------------------------------------

    @abstractmethod
    def append_events(self, run_id: str, first: int, events: list[dict[str, Any]]) -> None:
        """Add events numbered first, first + 1, ... (JSON-shaped); may be written a
        moment later, in order with the checkpoints queued before them."""

    @abstractmethod
    def read_events(self, run_id: str, after: int = -1) -> list[tuple[int, dict[str, Any]]]:
        """The run's events numbered above `after`, in order, with their numbers."""

    async def wait_events(
        self, run_id: str, after: int = -1, timeout: float = 1.0
    ) -> list[tuple[int, dict[str, Any]]]:
        """As `read_events`, waiting up to `timeout` seconds for at least one (empty
        if none came). Polls by default; a backend that can be told overrides it."""
        deadline = time.monotonic() + timeout
        while True:
            found = await asyncio.to_thread(self.read_events, run_id, after)
            if found or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(POLL_SECONDS)

    @abstractmethod
    def prune_events(self, older_than: float) -> None:
        """Forget events written more than `older_than` seconds ago (their runs have
        long ended; a late follower gets the run's record instead)."""

    # -- cancel requests -------------------------------------------------------------

    @abstractmethod
    def request_cancel(self, run_id: str, reason: str = "cancel", by: str = "") -> None:
        """Ask the run's server to stop it: `reason` "cancel", or "interrupt" /
        "rollback" for a run `by` that takes the thread over."""

    @abstractmethod
    def take_cancels(self) -> list[tuple[str, str, str]]:
        """The (run_id, reason, by) asked for runs this server holds or queues, once each."""
