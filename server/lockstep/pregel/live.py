"""Tokens as they come: a run streaming messages yields a model's chunks while its
node is still running, as LangGraph does, rather than when the node returns.

Only runs with messages mode (pregel/chat.py), custom mode (a node's stream writer,
e.g. a long node reporting progress) and entrypoints (whose one task is the whole
run: its @task calls' updates and custom events) come here, through `loop.live`
(set up by the Loop); the others run their tasks as before and pay nothing for it.
The sync driver runs such a task in a worker thread and yields what the node emits
while it waits; the async driver wakes on each emitted event as well as on finished
tasks (a sync node's worker thread wakes it through the event loop,
call_soon_threadsafe).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from lockstep.pregel import runner


def run_sync(
    graph: Any, loop: Any, task: Any, config: dict, drain: Callable[[], Iterator[Any]]
) -> Iterator[Any]:
    """runner.run_sync in a worker thread; yields `drain()` whenever the task emits."""
    watch = loop.live
    woken = threading.Event()
    watch.wake = woken.set

    def work() -> None:
        try:
            runner.run_sync(graph, loop, task, config)
        finally:
            woken.set()

    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(work,), name="lockstep-node", daemon=True
    )
    worker.start()
    try:
        while worker.is_alive():
            woken.wait()
            woken.clear()
            yield from drain()
        worker.join()
    finally:
        watch.wake = None


async def wait(loop: Any, pending: dict[asyncio.Future, Any]) -> set[asyncio.Future]:
    """asyncio.wait for the first finished task, or for an emitted event (then the
    set is empty and the driver yields what was emitted)."""
    watch = loop.live
    woken = watch.woken
    if woken is None:
        woken = watch.woken = asyncio.Event()
        running = asyncio.get_running_loop()

        def wake() -> None:  # from the event loop's thread or a sync node's worker
            running.call_soon_threadsafe(woken.set)

        watch.wake = wake
    waiter = asyncio.ensure_future(woken.wait())
    done, _ = await asyncio.wait({*pending, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if waiter in done:
        woken.clear()
        done.discard(waiter)
    else:
        waiter.cancel()
    return done


class EventWatch:
    """An entrypoint run's `loop.live` (when it streams no messages): `wake` is set
    by the driver while it waits on the task."""

    def __init__(self) -> None:
        self.wake: Callable[[], None] | None = None
        self.woken: Any = None


class Waking(deque):
    """A run's event queue that wakes the waiting driver after each event added."""

    def __init__(self, items: deque, watch: Any = None) -> None:
        super().__init__(items)
        self.watch = watch  # set before the run emits anything

    def append(self, item: Any) -> None:
        super().append(item)
        wake = self.watch.wake
        if wake is not None:
            wake()
