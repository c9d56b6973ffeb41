"""Opening the server's store from a URL: memory:// or sqlite:///PATH (checkpoints,
thread records and run records, all in one file for SQLite)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from lockstep.checkpoint.base import BaseSaver
from lockstep.checkpoint.memory import MemorySaver
from lockstep.store.runs import RunStore, SqliteRunStore
from lockstep.store.threads import SqliteThreadStore, ThreadStore

DEFAULT_STORE = "sqlite:///.lockstep/lockstep.db"


@dataclass
class Store:
    url: str
    saver: BaseSaver
    threads: ThreadStore
    runs: RunStore

    def flush(self) -> None:
        """Wait until every record write queued so far is on disk."""
        self.saver.flush()

    async def durable(self) -> None:
        """As `flush`, without blocking the event loop."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.saver.after_queued(lambda _error: loop.call_soon_threadsafe(_resolve, done))
        await done


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def open_store(url: str = DEFAULT_STORE) -> Store:
    if url in ("memory://", "memory"):
        return Store(url, MemorySaver(), ThreadStore(), RunStore())
    if url.startswith("sqlite:///"):
        from lockstep.checkpoint.sqlite import SqliteSaver

        path = url.removeprefix("sqlite:///")
        if not path:
            raise ValueError("sqlite:/// needs a file path, e.g. sqlite:///.lockstep/lockstep.db")
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        saver = SqliteSaver(path)
        return Store(url, saver, SqliteThreadStore(path, saver), SqliteRunStore(path, saver))
    raise ValueError(f"unknown store {url!r}: use memory:// or sqlite:///PATH")
