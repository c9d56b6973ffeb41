"""Calling a @task inside a running node: each call is a task of its own.

A call gets an id made from the calling task's id and the call's place in its
order (so the same call on a resumed run gets the same id), runs beside its
caller (a worker thread, or an asyncio task in async code) and records its
outcome as the step's pending writes as soon as it ends, as a node does. A call
whose result is already recorded on the checkpoint is not run again: its future
is resolved at once. That is what lets a run resumed after `interrupt()` skip
the work it has done.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from lockstep.constants import RESUME, RETURN
from lockstep.errors import GraphInterrupt
from lockstep.pregel import context
from lockstep.pregel.runner import _after_failure
from lockstep.pregel.tasks import PUSH, Task, task_id
from lockstep.types import RetryPolicy

_pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="lockstep-task")


class TaskFuture(concurrent.futures.Future):
    """What a @task call returns outside async code: `.result()` waits for it (or runs
    it here if no worker has started it yet), and `await` works too."""

    _start: Callable[[], None] | None = None

    def result(self, timeout: float | None = None) -> Any:
        start = self._start
        if start is not None:
            start()  # not started by a worker yet: run it in this thread
        return super().result(timeout)

    def __await__(self):
        return asyncio.wrap_future(self).__await__()


class Scope:
    """The @task calls one running node or task has made, in order, and what the
    checkpoint already records for calls of this step (by task id)."""

    __slots__ = ("parent", "loop", "count", "lock", "futures", "records")

    def __init__(self, parent: Task, loop: Any) -> None:
        self.parent = parent
        self.loop = loop
        self.count = 0
        self.lock = threading.Lock()
        self.futures: list[Any] = []
        self.records: dict[str, dict[str, Any]] = {}
        for w in loop.pending:
            self.records.setdefault(w.task_id, {})[w.channel] = w.value

    def next_path(self) -> tuple:
        with self.lock:
            index = self.count
            self.count += 1
        return (PUSH, self.parent.id, index)

    def wait(self) -> None:
        """Let every call still running end before the caller's task does: its
        writes belong to this step."""
        running = [f for f in self.futures if isinstance(f, concurrent.futures.Future)]
        if running:
            concurrent.futures.wait(running)

    async def await_all(self) -> None:
        running = [f for f in self.futures if not f.done()]
        if running:
            await asyncio.wait([asyncio.ensure_future(f) for f in running])


def begin(reset: bool) -> Scope:
    """The running task's scope: a fresh one when `reset` (an entrypoint's attempt
    starts), else the one its earlier calls made (a graph node calling tasks)."""
    try:
        task, loop = context._current.get()
    except LookupError:
        raise RuntimeError(
            "a @task can only be called while an @entrypoint or a graph node runs"
        ) from None
    ctx = context.current_task()
    if reset or ctx.scope is None:
        ctx.scope = Scope(task, loop)
    return ctx.scope


def call(
    name: str,
    fn: Callable[..., Any],
    retry: Sequence[RetryPolicy],
    cache_policy: Any,
    args: tuple,
    kwargs: dict,
) -> Any:
    """Start one call of a @task function and return its future."""
    scope = begin(reset=False)
    loop = scope.loop
    path = scope.next_path()
    child = Task(task_id(loop.checkpoint.id, name, path), name, path, None, ())
    record = scope.records.get(child.id, {})
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if RETURN in record:  # finished on an earlier attempt at this step
        return _resolved(running, record[RETURN])
    cache = loop.graph.cache if cache_policy is not None else None
    if cache is not None:
        child.cache_key = _cache_key(name, cache_policy, args, kwargs)
        found = cache.get([child.cache_key])
        if child.cache_key in found:  # as LangGraph: recorded, its update marked cached
            child.update, child.cached = found[child.cache_key], True
            loop.task_finished(child)
            return _resolved(running, child.update)
    if RESUME in record:
        child.resume = list(record[RESUME])
    job = _Job(child, loop, fn, retry, args, kwargs)
    job.ttl = cache_policy.ttl if cache is not None else None
    if running is None:
        future = TaskFuture()
        ctx = contextvars.copy_context()
        claimed = threading.Lock()

        def start() -> None:
            if claimed.acquire(blocking=False):
                future._start = None
                ctx.run(job.run_into, future)

        future._start = start
        _pool.submit(start)
    elif asyncio.iscoroutinefunction(fn):
        future = asyncio.ensure_future(job.arun())
    else:
        ctx = contextvars.copy_context()
        future = running.run_in_executor(None, ctx.run, job.run)
    scope.futures.append(future)
    return future


TASK_CACHE = "__lockstep_task_cache__"


def _cache_key(name: str, policy: Any, args: tuple, kwargs: dict) -> tuple:
    """Where a call's result is cached: the task's name and its arguments' key."""
    key = policy.key_func(*args, **kwargs)
    if isinstance(key, str):
        key = key.encode()
    return (TASK_CACHE, name), hashlib.blake2b(key, digest_size=16).hexdigest()


def _resolved(running: Any, value: Any) -> Any:
    future: Any = running.create_future() if running else TaskFuture()
    future.set_result(value)
    return future


class _Job:
    """One call's run: its own task context, retries, and its outcome recorded.
    (`retry` is read by the runner's _after_failure as a node's policies are.)"""

    __slots__ = ("task", "loop", "fn", "retry", "args", "kwargs", "ttl")

    def __init__(self, task: Task, loop: Any, fn, retry, args, kwargs) -> None:
        self.task, self.loop, self.fn, self.retry = task, loop, fn, retry
        self.args, self.kwargs = args, kwargs

    def run_into(self, future: concurrent.futures.Future) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(self.run())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on it
            future.set_exception(exc)

    def run(self) -> Any:
        token = context.enter((self.task, self.loop))
        try:
            attempt = 0
            while True:
                attempt += 1
                try:
                    value = self.fn(*self.args, **self.kwargs)
                    if asyncio.iscoroutine(value):  # an async task called from sync code
                        value = asyncio.run(value)
                    break
                except Exception as exc:
                    delay = _after_failure(self, self.task, exc, attempt)
                    if delay is None:
                        self._failed()
                    time.sleep(delay)
            return self._succeeded(value)
        finally:
            self._wait_own()
            context.leave(token)

    async def arun(self) -> Any:
        token = context.enter((self.task, self.loop))
        try:
            attempt = 0
            while True:
                attempt += 1
                try:
                    value = await self.fn(*self.args, **self.kwargs)
                    break
                except Exception as exc:
                    delay = _after_failure(self, self.task, exc, attempt)
                    if delay is None:
                        self._failed()
                    await asyncio.sleep(delay)
            return self._succeeded(value)
        finally:
            scope = self.task.context.scope if self.task.context is not None else None
            if scope is not None:
                await scope.await_all()
            context.leave(token)

    def _wait_own(self) -> None:
        scope = self.task.context.scope if self.task.context is not None else None
        if scope is not None:
            scope.wait()

    def _succeeded(self, value: Any) -> Any:
        task = self.task
        task.update = value
        self.loop.task_finished(task)
        if task.cache_key is not None:
            self.loop.graph.cache.set({task.cache_key: (value, self.ttl)})
        return value

    def _failed(self) -> None:
        task, loop = self.task, self.loop
        if task.paused:
            loop.task_stopped(task)  # the caller's own stop reports it (as LangGraph)
            raise GraphInterrupt(task.interrupts)
        loop.task_finished(task)
        error = task.error
        error.add_note(f"During task with name {task.name!r} and id {task.id!r}")
        raise error
