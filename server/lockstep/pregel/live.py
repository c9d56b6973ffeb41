"""Tokens as they come: a run streaming messages yields a model's chunks while its
node is still running, as LangGraph does, rather than when the node returns.

Only runs with messages mode (pregel/chat.py) come here; the others run their
tasks as before. The sync driver runs such a task in a worker thread and yields
what the node's models emit while it waits; the async driver wakes on each
emitted event as well as on finished tasks.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any

from lockstep.pregel import runner


def run_sync(
    graph: Any, loop: Any, task: Any, config: dict, drain: Callable[[], Iterator[Any]]
) -> Iterator[Any]:
    """runner.run_sync in a worker thread; yields `drain()` whenever the task emits."""
    chat = loop.chat
    woken = threading.Event()
    chat.wake = woken.set

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
        chat.wake = None


async def wait(loop: Any, pending: dict[asyncio.Future, Any]) -> set[asyncio.Future]:
    """asyncio.wait for the first finished task, or for an emitted event (then the
    set is empty and the driver yields what was emitted)."""
    chat = loop.chat
    woken = chat.woken
    if woken is None:
        woken = chat.woken = asyncio.Event()
        running = asyncio.get_running_loop()

        def wake() -> None:  # from the event loop's thread or a sync node's worker
            running.call_soon_threadsafe(woken.set)

        chat.wake = wake
    waiter = asyncio.ensure_future(woken.wait())
    done, _ = await asyncio.wait({*pending, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if waiter in done:
        woken.clear()
        done.discard(waiter)
    else:
        waiter.cancel()
    return done
