"""Running one task: call the node (with retries), then turn its return into writes."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import random
import time
from types import CoroutineType
from typing import Any

from lockstep.constants import START
from lockstep.errors import GraphInterrupt, ParentCommand
from lockstep.graph.node import NodeSpec
from lockstep.pregel import caching
from lockstep.pregel.context import enter, leave, node_interrupt_id
from lockstep.pregel.tasks import Task, goto_writes, output_writes
from lockstep.types import Command, Interrupt, RetryPolicy


def run_sync(graph: Any, loop: Any, task: Task, config: dict, paths: bool = True) -> list | None:
    """Run the task's node; returns its state writes (None when it failed or paused).
    `paths=False` leaves the node's path functions to the caller (async ones)."""
    if graph.cache is not None and paths and caching.wants(graph, task):
        if caching.lookup(graph, task):
            return None
        state = _run_sync(graph, loop, task, config, paths)
        caching.store(graph, task)
        return state
    return _run_sync(graph, loop, task, config, paths)


def _run_sync(graph: Any, loop: Any, task: Task, config: dict, paths: bool = True) -> list | None:
    spec = graph.nodes[task.name]
    if spec.callee is None:
        try:
            return _finish(graph, loop, spec, task, None, config, paths)
        except Exception as exc:  # a path function failed: the task's error, as in run_async
            task.error = exc
        return None
    token = enter((task, loop))
    chat = loop.chat  # messages mode: the task gets a LangChain config (pregel/chat.py)
    if chat is not None:
        config, chat_token = chat.enter(task, loop)
    try:
        attempt = 0
        callee = spec.callee
        while True:
            attempt += 1
            try:
                if callee.inject:
                    output = callee.fn(task.input, **callee.kwargs(config, loop))
                else:
                    output = callee.fn(task.input)
                if isinstance(output, CoroutineType):  # async, in a sync run: see README
                    output = asyncio.run(output)
                break
            except ParentCommand as exc:  # from a subgraph it ran: as if it returned it
                output = dataclasses.replace(exc.command, graph=None)
                break
            except Exception as exc:
                delay = _after_failure(spec, task, exc, attempt)
                if delay is None:
                    return None
                time.sleep(delay)
        state = _finish(graph, loop, spec, task, output, config, paths)
        if chat is not None:
            chat.finished(config, output)
        return state
    except Exception as exc:  # the return value itself was bad, or a path function failed
        task.error = exc
        return None
    finally:
        if chat is not None:
            chat.leave(chat_token)
        leave(token)


async def run_async(graph: Any, loop: Any, task: Task, config: dict) -> None:
    if graph.cache is not None and caching.wants(graph, task):
        if caching.lookup(graph, task):
            return
        await _run_async(graph, loop, task, config)
        caching.store(graph, task)
        return
    await _run_async(graph, loop, task, config)


async def _run_async(graph: Any, loop: Any, task: Task, config: dict) -> None:
    spec = graph.nodes[task.name]
    callee = spec.callee
    paths = not spec.async_paths  # async path functions are awaited here, after the node
    if callee is None:  # no user code to wait for (the input's task)
        state = _run_sync(graph, loop, task, config, paths)
    elif callee.afn is None:
        # Sync user code runs off the event loop so other runs keep streaming. A
        # thread cannot be stopped: if the run is, the node still finishes, so the
        # driver keeps it (loop.threads) to say when the run has really stopped.
        context = contextvars.copy_context()
        thread = asyncio.get_running_loop().run_in_executor(
            None, context.run, _run_sync, graph, loop, task, config, paths
        )
        loop.threads.add(thread)
        thread.add_done_callback(loop.threads.discard)
        state = await asyncio.shield(thread)
    else:
        state = await _call_async(graph, loop, spec, task, config, paths)
    if not paths and state is not None:
        token = enter((task, loop))
        try:
            # (The node's own writes stand for what it returned: see _path_inputs.)
            task.writes += await graph.abranch_writes(spec, loop, state, config, dict(state))
        except Exception as exc:
            task.error = exc
        finally:
            leave(token)


async def _call_async(graph: Any, loop: Any, spec: NodeSpec, task: Task, config: dict, paths: bool):
    token = enter((task, loop))
    chat = loop.chat
    if chat is not None:
        config, chat_token = chat.enter(task, loop)
    try:
        attempt = 0
        callee = spec.callee
        while True:
            attempt += 1
            try:
                output = await callee.afn(task.input, **callee.kwargs(config, loop))
                break
            except ParentCommand as exc:  # from a subgraph it ran: as if it returned it
                output = dataclasses.replace(exc.command, graph=None)
                break
            except Exception as exc:
                delay = _after_failure(spec, task, exc, attempt)
                if delay is None:
                    return None
                await asyncio.sleep(delay)
        state = _finish(graph, loop, spec, task, output, config, paths)
        if chat is not None:
            chat.finished(config, output)
        return state
    except Exception as exc:
        task.error = exc
        return None
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
    task.paused = True


def _finish(
    graph: Any, loop: Any, spec: NodeSpec, task: Task, output: Any, config: Any, paths: bool = True
) -> list[tuple[str, Any]]:
    """Turn the node's return into the task's writes; returns its state writes."""
    if spec.name == START:
        if isinstance(task.input, Command):  # it starts a thread: its goto is left (loop)
            state, control = [], goto_writes(START, task.input.goto)
        else:
            state, control = graph.input_writes(task.input), []
        task.update = dict(state)
    else:
        state, control = output_writes(spec.name, output, graph.state_keys)
        task.update = None if output is None else graph.update_view(output, state)
    task.writes = state + control + spec.edge_writes
    if spec.branches and paths:
        task.writes += graph.branch_writes(spec, loop, state, config, output)
    return state


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
