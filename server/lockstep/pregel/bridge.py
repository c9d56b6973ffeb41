"""Running a sync iterator in a worker thread and reading it from asyncio.

A graph whose nodes are all sync runs its whole superstep loop, store calls
included, in one worker thread: one hop onto the thread per run instead of
one per node and per store call. The event loop only receives the events.

The run does not wait for its checkpoints to be written (a store that can
queue them writes them on its own thread while the next step runs); instead
each event waits until every save made before it is durable, so a reader
never sees a step the store could still lose.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lockstep.checkpoint.base import BaseSaver, Lane
from lockstep.pregel.settings import WriteBehind

# Runs hold a worker for their whole length (slow nodes included), so the pool
# is wider than the default executor's cpu+4.
_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="lockstep-run")
_DONE = object()
# How many items a prefetching worker may make that the reader has not asked for
# yet: enough to never wait on a reader that keeps up, few enough that a run the
# reader stops (a limit, a cancel) ends within a few steps of it, and that a
# runaway graph cannot queue events without bound.
_AHEAD = 16


class _Gate:
    """Holds a run's items until the saves queued before them are durable.

    Only the worker calls the gate (to queue saves), `send` and `finish`; the
    store's thread calls `_durable`. Items leave in order, under the lock, a batch at a time.
    """

    def __init__(self, deliver: Callable[[list[tuple[Any, BaseException | None]]], None]) -> None:
        self._deliver = deliver
        self._lock = threading.Lock()
        self.lane = Lane()
        self._queued = 0  # saves handed to the store
        self._durable_upto = 0  # of those, durable (they complete in order)
        self._held: list[tuple[int, Any, BaseException | None]] = []  # (saves needed, item, error)
        self._on_exit: Callable[[], None] | None = None
        self._failed = False

    def __call__(self, saver: BaseSaver, put: Callable[[], None]) -> None:
        """The engine's write-behind: queue the puts `put` makes, as one batch."""
        number = self._queued + 1
        with saver.batch_later(self.lane, lambda error: self._durable(number, error)):
            put()
        self._queued = number

    def send(self, item: Any, error: BaseException | None = None) -> None:
        with self._lock:
            if self._failed:
                return  # the reader has the store's error already
            if self._durable_upto >= self._queued:
                self._deliver([(item, error)])
            else:
                self._held.append((self._queued, item, error))

    def finish(self, on_exit: Callable[[], None] | None) -> None:
        """Call `on_exit` once everything queued is durable (or has failed)."""
        if on_exit is None:
            return
        with self._lock:
            if self._durable_upto < self._queued and not self._failed:
                self._on_exit = on_exit
                return
        on_exit()

    def _durable(self, number: int, error: BaseException | None) -> None:
        with self._lock:
            if self._failed:
                return
            self._durable_upto = number
            if error is None:
                ready = [(item, err) for needed, item, err in self._held if needed <= number]
                self._held = [held for held in self._held if held[0] > number]
            else:
                # What stood behind the lost save is dropped; the run ends with the error.
                ready = [(item, err) for needed, item, err in self._held if needed < number]
                ready.append((_DONE, error))
                self._held = []
                self._failed = True
            if ready:
                self._deliver(ready)
            on_exit = None
            if self._on_exit is not None and (self._failed or number >= self._queued):
                on_exit, self._on_exit = self._on_exit, None
        if on_exit is not None:
            on_exit()


async def iterate_in_thread(
    make: Callable[[threading.Event, WriteBehind | None], Iterator[Any]],
    prefetch: bool = False,
    on_exit: Callable[[], None] | None = None,
    write_behind: bool = False,
    stop: threading.Event | None = None,
) -> AsyncIterator[Any]:
    """Yield what `make(stop, write_behind)` yields, pulled one item at a time as a generator is:
    the worker computes the next item only when the reader asks for it. With
    `prefetch` the worker runs up to `_AHEAD` items ahead instead, saving a
    thread handoff per item (a server that only forwards events wants that).
    With `write_behind` the run queues its saves without waiting for them and
    each item waits until the saves before it are durable (durability "async").
    `make` is given the stop event, set when the reader stops (or `stop` is set
    from outside), which the run tests at each step boundary, and the gate that
    queues its saves (None without `write_behind`). When the reader stops, the
    iterator is closed at its next yield (a step boundary). `on_exit` is called in the worker when it is done with the
    iterator, even one stopped before it started (whose own `finally` then never
    runs), once its queued saves are durable."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()
    demand = threading.Semaphore(_AHEAD if prefetch else 0)  # items the worker may make
    if stop is None:
        stop = threading.Event()

    def deliver(items: list[tuple[Any, BaseException | None]]) -> None:
        if items[-1][0] is _DONE and items[-1][1] is not None:
            stop.set()  # the run failed (a lost save fails it from the store's thread)
        loop.call_soon_threadsafe(_put_all, queue, items)

    gate = _Gate(deliver)
    send = gate.send

    def produce() -> None:
        iterator = make(stop, gate if write_behind else None)
        try:
            while True:
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
                gate.finish(on_exit)

    ctx = contextvars.copy_context()
    future = loop.run_in_executor(_POOL, ctx.run, produce)
    try:
        while True:
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


def _put_all(queue: asyncio.Queue, items: list[tuple[Any, BaseException | None]]) -> None:
    for item in items:
        queue.put_nowait(item)
