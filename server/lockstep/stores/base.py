"""`Backend`: what every storage backend hands the server, one object per store URL."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from lockstep.checkpoint.base import BaseSaver
from lockstep.store.base import BaseStore
from lockstep.stores.coordination import Coordination
from lockstep.stores.runs import RunStore
from lockstep.stores.threads import ThreadStore


class StoreError(RuntimeError):
    """A store that cannot be opened or set up, said for a person (the CLI prints it)."""


class Backend(ABC):
    """The four things a backend keeps: checkpoints (`saver`), thread records
    (`threads`), run records (`runs`) and long-term memory (`memory`: the served
    graphs' store and the Store service's, per tenant through
    `lockstep.runs.memory.TenantStore`). Writes of the first three go through the
    saver's queue, so `flush` and `durable` cover them; the memory store's writes
    are done when its call returns. `coordination` is how servers sharing the
    store act as one (claims, queue, events, cancel requests);
    `coordination.shared` is False when only this process uses it."""

    url: str
    saver: BaseSaver
    threads: ThreadStore
    runs: RunStore
    coordination: Coordination

    @property
    @abstractmethod
    def memory(self) -> BaseStore:
        """The backend's long-term memory store (`lockstep.store`)."""

    def flush(self) -> None:
        """Wait until every write queued so far is on disk."""
        self.saver.flush()

    async def durable(self) -> None:
        """As `flush`, without blocking the event loop."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.saver.after_queued(lambda _error: loop.call_soon_threadsafe(_resolve, done))
        await done

    @abstractmethod
    def close(self) -> None:
        """Write what is queued, then release what the backend holds."""


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
