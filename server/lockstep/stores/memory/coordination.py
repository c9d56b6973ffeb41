"""The memory backend's coordination: one process, so it is never `shared` (the
run manager keeps claims and events in its own memory and does not call it);
the operations still keep the contract, in dicts behind a lock."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace
from typing import Any

from lockstep.stores.coordination import (
    DEFAULT_LEASE_SECONDS,
    Claim,
    Coordination,
    Queued,
    new_owner,
)


class MemoryCoordination(Coordination):
    shared = False

    def __init__(self, owner: str = "", lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.owner = owner or new_owner()
        self.lease_seconds = lease_seconds
        self._lock = threading.Lock()
        self._claims: dict[str, Claim] = {}
        self._queue: dict[str, tuple[int, Queued]] = {}  # run_id -> (order, entry)
        self._order = itertools.count()
        self._events: dict[str, dict[int, tuple[float, dict[str, Any]]]] = {}
        self._cancels: dict[str, tuple[str, str]] = {}

    def _expires(self) -> float:
        return time.time() + self.lease_seconds

    def _first(self, thread_id: str) -> Queued | None:
        waiting = [(n, q) for n, q in self._queue.values() if q.thread_id == thread_id]
        return min(waiting, key=lambda pair: pair[0])[1] if waiting else None

    def claim(self, thread_id: str, run_id: str, request: bytes = b"") -> bool:
        with self._lock:
            held = self._claims.get(thread_id)
            if held is not None:
                mine = held.owner == self.owner and held.run_id == run_id and run_id
                if not mine:
                    return False
            first = self._first(thread_id)
            if run_id and first is not None and first.run_id != run_id:
                return False
            if not run_id and first is not None:
                return False  # an edit waits for the queued runs too
            self._queue.pop(run_id, None)
            self._claims[thread_id] = Claim(thread_id, run_id, self.owner, self._expires(), request)
            return True

    def holder(self, thread_id: str) -> Claim | None:
        with self._lock:
            return self._claims.get(thread_id)

    def renew(self) -> set[tuple[str, str]]:
        with self._lock:
            until = self._expires()
            held = set()
            for thread_id, claim in list(self._claims.items()):
                if claim.owner == self.owner:
                    self._claims[thread_id] = replace(claim, expires=until)
                    held.add((thread_id, claim.run_id))
            for run_id, (n, entry) in list(self._queue.items()):
                if entry.owner == self.owner:
                    self._queue[run_id] = (n, replace(entry, expires=until))
            return held

    def release(self, thread_id: str, run_id: str) -> None:
        with self._lock:
            held = self._claims.get(thread_id)
            if held is not None and held.owner == self.owner and held.run_id == run_id:
                del self._claims[thread_id]
            self._cancels.pop(run_id, None)

    def expired(self) -> list[Claim | Queued]:
        now = time.time()
        with self._lock:
            lapsed: list[Claim | Queued] = [c for c in self._claims.values() if c.expires < now]
            lapsed += [
                q for _, q in sorted(self._queue.values(), key=lambda p: p[0]) if q.expires < now
            ]
            return lapsed

    def take_over(self, item: Claim | Queued) -> bool:
        now = time.time()
        with self._lock:
            if isinstance(item, Claim):
                held = self._claims.get(item.thread_id)
                if held is None or held.run_id != item.run_id or held.expires >= now:
                    return False
                if not held.run_id:
                    del self._claims[item.thread_id]
                    return False
                self._claims[item.thread_id] = replace(
                    held, owner=self.owner, expires=self._expires()
                )
                return True
            found = self._queue.get(item.run_id)
            if found is None or found[1].expires >= now:
                return False
            self._queue[item.run_id] = (
                found[0],
                replace(found[1], owner=self.owner, expires=self._expires()),
            )
            return True

    def enqueue(self, thread_id: str, run_id: str, request: bytes = b"") -> None:
        with self._lock:
            entry = Queued(thread_id, run_id, self.owner, self._expires(), request)
            self._queue[run_id] = (next(self._order), entry)

    def dequeue(self, run_id: str) -> bool:
        with self._lock:
            return self._queue.pop(run_id, None) is not None

    def queued(self, thread_id: str) -> list[Queued]:
        with self._lock:
            waiting = [p for p in self._queue.values() if p[1].thread_id == thread_id]
        return [q for _, q in sorted(waiting, key=lambda p: p[0])]

    def append_events(self, run_id: str, first: int, events: list[dict[str, Any]]) -> None:
        now = time.time()
        with self._lock:
            log = self._events.setdefault(run_id, {})
            for offset, event in enumerate(events):
                log[first + offset] = (now, event)

    def read_events(self, run_id: str, after: int = -1) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            log = self._events.get(run_id, {})
            return [(seq, log[seq][1]) for seq in sorted(log) if seq > after]

    def prune_events(self, older_than: float) -> None:
        cutoff = time.time() - older_than
        with self._lock:
            for run_id, log in list(self._events.items()):
                for seq in [seq for seq, (at, _) in log.items() if at < cutoff]:
                    del log[seq]
                if not log:
                    del self._events[run_id]

    def request_cancel(self, run_id: str, reason: str = "cancel", by: str = "") -> None:
        with self._lock:
            self._cancels[run_id] = (reason, by)

    def take_cancels(self) -> list[tuple[str, str, str]]:
        with self._lock:
            mine = {c.run_id for c in self._claims.values() if c.owner == self.owner}
            mine |= {q.run_id for _, q in self._queue.values() if q.owner == self.owner}
            taken = [(r, *self._cancels.pop(r)) for r in list(self._cancels) if r in mine]
        return taken
