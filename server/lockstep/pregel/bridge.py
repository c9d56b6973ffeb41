"""Running a sync iterator in a worker thread and reading it from asyncio.

A graph whose nodes are all sync runs its whole superstep loop, store calls
included, in one worker thread: one hop onto the thread per run instead of
one per node and per store call. The event loop only receives the events.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lockstep.pregel.context import set_stop_event

# Runs hold a worker for their whole length (slow nodes included), so the pool
# is wider than the default executor's cpu+4.
_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="lockstep-run")
_DONE = object()


async def iterate_in_thread(
    make: Callable[[], Iterator[Any]],
    prefetch: bool = False,
    on_exit: Callable[[], None] | None = None,
) -> AsyncIterator[Any]:
    """Yield what `make()` yields, pulled one item at a time as a generator is:
    the worker computes the next item only when the reader asks for it. With
    `prefetch` the worker runs ahead instead, saving a thread handoff per item
    (a server that only forwards events wants that). When the reader stops, the
    iterator is closed at its next yield (a step boundary). `on_exit` is called
    in the worker when it is done with the iterator, even one stopped before it
    started (whose own `finally` then never runs)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()
    demand = threading.Semaphore(0)
    stop = threading.Event()

    def send(item: Any, error: BaseException | None = None) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (item, error))

    def produce() -> None:
        set_stop_event(stop)  # the run checks it at each step boundary
        iterator = make()
        try:
            while True:
                if not prefetch:
                    demand.acquire()
                if stop.is_set():
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    send(_DONE)
                    return
                send(item)
        except BaseException as exc:  # handed to the reader, raised there
            send(_DONE, exc)
        finally:
            try:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            finally:
                if on_exit is not None:
                    on_exit()

    ctx = contextvars.copy_context()
    future = loop.run_in_executor(_POOL, ctx.run, produce)
    try:
        while True:
            if not prefetch:
                demand.release()
            item, error = await queue.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        demand.release()
        if not future.done():
            future.add_done_callback(lambda f: f.exception())
