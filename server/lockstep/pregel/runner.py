"""Running one task: call the node (with retries), then turn its return into writes."""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from types import CoroutineType
from typing import Any

from lockstep.constants import START
from lockstep.errors import GraphInterrupt
from lockstep.graph.node import NodeSpec
from lockstep.pregel.context import enter, leave, node_interrupt_id
from lockstep.pregel.tasks import Task, output_writes
from lockstep.types import Interrupt, RetryPolicy


def run_sync(graph: Any, loop: Any, task: Task, config: dict) -> None:
    spec = graph.nodes[task.name]
    if spec.callee is None:
        try:
            _finish(graph, loop, spec, task, None)
        except Exception as exc:  # a path function failed: the task's error, as in run_async
            task.error = exc
        return
    token = enter((task, loop))
    chat = loop.chat  # messages mode: the task gets a LangChain config (pregel/chat.py)
    if chat is not None:
        config, chat_token = chat.enter(task, loop.step + 1)
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                callee = spec.callee
                if callee.wants_config or callee.wants_writer:
                    output = callee.fn(task.input, **callee.kwargs(config, loop.write_custom))
                else:
                    output = callee.fn(task.input)
                if isinstance(output, CoroutineType):  # an async callable object, called sync
                    output = asyncio.run(output)
                break
            except Exception as exc:
                delay = _after_failure(spec, task, exc, attempt)
                if delay is None:
                    return
                time.sleep(delay)
        _finish(graph, loop, spec, task, output, config)
        if chat is not None:
            chat.finished(config, output)
    except Exception as exc:  # the return value itself was bad, or a path function failed
        task.error = exc
    finally:
        if chat is not None:
            chat.leave(chat_token)
        leave(token)


async def run_async(graph: Any, loop: Any, task: Task, config: dict) -> None:
    spec = graph.nodes[task.name]
    if spec.callee is None:  # no user code to wait for (the input's task)
        run_sync(graph, loop, task, config)
        return
    if not spec.callee.is_async:
        # Sync user code runs off the event loop so other runs keep streaming. A
        # thread cannot be stopped: if the run is, the node still finishes, so the
        # driver keeps it (loop.threads) to say when the run has really stopped.
        context = contextvars.copy_context()
        thread = asyncio.get_running_loop().run_in_executor(
            None, context.run, run_sync, graph, loop, task, config
        )
        loop.threads.add(thread)
        thread.add_done_callback(loop.threads.discard)
        await asyncio.shield(thread)
        return
    token = enter((task, loop))
    chat = loop.chat
    if chat is not None:
        config, chat_token = chat.enter(task, loop.step + 1)
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                output = await spec.callee.fn(
                    task.input, **spec.callee.kwargs(config, loop.write_custom)
                )
                break
            except Exception as exc:
                delay = _after_failure(spec, task, exc, attempt)
                if delay is None:
                    return
                await asyncio.sleep(delay)
        _finish(graph, loop, spec, task, output, config)
        if chat is not None:
            chat.finished(config, output)
    except Exception as exc:
        task.error = exc
    finally:
        if chat is not None:
            chat.leave(chat_token)
        leave(token)


def _after_failure(spec: NodeSpec, task: Task, exc: Exception, attempt: int) -> float | None:
    """How long to wait before the next attempt, or None when the task is over:
    paused by an interrupt, or failed for good (no retry policy wants it again)."""
    if isinstance(exc, GraphInterrupt):
        _interrupted(task, exc)
        return None
    delay = _retry_delay(spec.retry, exc, attempt)
    if delay is None:
        task.error = exc
    return delay


def _interrupted(task: Task, exc: GraphInterrupt) -> None:
    """(The answers the node took are on task.resume already: its context's list.)"""
    items = []
    for item in exc.interrupts:
        if not item.id:  # NodeInterrupt: give it a real, stable id
            item = Interrupt(value=item.value, id=node_interrupt_id(task.id))
        items.append(item)
    task.interrupts = tuple(items)


def _finish(graph: Any, loop: Any, spec: NodeSpec, task: Task, output: Any, config=None) -> None:
    if spec.name == START:
        state, control = graph.input_writes(task.input), []
        task.update = dict(state)
    else:
        state, control = output_writes(spec.name, output, graph.state_keys)
        task.update = None if output is None else graph.update_view(output, state)
    task.writes = state + control + spec.edge_writes
    if spec.branches:
        task.writes += graph.branch_writes(spec, loop.channels, state, config, output)


def _retry_delay(policies: tuple[RetryPolicy, ...], exc: Exception, attempt: int) -> float | None:
    for policy in policies:
        if policy.should_retry(exc):
            if attempt >= policy.max_attempts:
                return None
            delay = min(
                policy.initial_interval * policy.backoff_factor ** (attempt - 1),
                policy.max_interval,
            )
            return delay + (random.uniform(0, 1) if policy.jitter else 0)
    return None
