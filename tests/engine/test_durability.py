"""durability: "async" (the default, as LangGraph's) lets the store write a step
while the next one runs; a reader of a run (astream, a host's run handle) still only
ever sees a step once its checkpoint is durable, a store that fails ends the run at
the failed step, and the run reports itself stopped only once everything it queued
is written."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Annotated, TypedDict

import pytest

from lockstep import END, START, StateGraph
from lockstep.checkpoint import MemorySaver, SqliteSaver

STEPS = 20


class State(TypedDict, total=False):
    n: int
    trail: Annotated[list[int], lambda a, b: a + b]


def build(checkpointer):
    builder = StateGraph(State)
    names = [f"s{i}" for i in range(STEPS)]
    for name in names:
        builder.add_node(name, lambda s: {"n": s.get("n", 0) + 1, "trail": [s.get("n", 0) + 1]})
    builder.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], END)
    return builder.compile(checkpointer=checkpointer)


def durable_counts(path) -> set[int]:
    """The values of `n` the file holds, read by another connection: only what is committed."""
    saver = SqliteSaver(sqlite3.connect(path, check_same_thread=False, isolation_level=None))
    graph = build(saver)
    return {s.values.get("n", 0) for s in graph.get_state_history({"configurable": {"thread_id": "t"}})}


def slow_sqlite(path) -> SqliteSaver:
    """A store slow to commit, so a step shown before its commit would be caught."""
    saver = SqliteSaver(path)
    commit = saver._db._commit_group

    def slow(group) -> None:
        time.sleep(0.005)
        commit(group)

    saver._db._commit_group = slow
    return saver


@pytest.mark.parametrize("durability", ["async", "sync", None])
def test_every_event_a_reader_sees_is_already_durable(tmp_path, durability):
    path = tmp_path / "d.db"
    saver = slow_sqlite(path)
    graph = build(saver)
    kw = {"durability": durability} if durability else {}

    async def main() -> list[int]:
        seen = []
        run = graph.start_run({"n": 0}, {"configurable": {"thread_id": "t"}}, stream_mode="values", **kw)
        async for chunk in run:
            seen.append(chunk["n"])
            assert chunk["n"] in durable_counts(path), f"step with n={chunk['n']} shown before saved"
        await run.stopped()
        return seen

    seen = asyncio.run(main())
    assert seen == list(range(STEPS + 1))
    # Once the run has stopped, the whole run is in the file.
    assert durable_counts(path) == set(range(STEPS + 1))
    head = graph.get_state({"configurable": {"thread_id": "t"}})
    assert head.values == {"n": STEPS, "trail": list(range(1, STEPS + 1))} and head.next == ()
    saver.close()


def test_an_unknown_durability_is_refused_before_the_run_starts():
    graph = build(MemorySaver())
    with pytest.raises(ValueError, match="durability='later' is not supported"):
        graph.invoke({"n": 0}, {"configurable": {"thread_id": "t"}}, durability="later")

    async def main() -> None:
        with pytest.raises(ValueError, match="durability='later'"):
            async for _ in graph.astream({"n": 0}, {"configurable": {"thread_id": "u"}}, durability="later"):
                pass

    asyncio.run(main())
    assert graph.get_state({"configurable": {"thread_id": "t"}}).values == {}


class FailingAt(SqliteSaver):
    """A SQLite store whose commit of the checkpoint for step `step` fails, as a full disk would."""

    def __init__(self, path, step: int) -> None:
        super().__init__(path)
        self.step = step

    def put(self, config, checkpoint, metadata, blobs):
        result = super().put(config, checkpoint, metadata, blobs)
        if metadata.get("step") == self.step:

            def full(conn):
                raise sqlite3.OperationalError("database or disk is full")

            self._write(full)
        return result


def test_a_failed_write_behind_ends_the_run_at_the_lost_step(tmp_path):
    path = tmp_path / "f.db"
    saver = FailingAt(path, step=10)
    graph = build(saver)
    seen: list[int] = []

    async def main() -> None:
        run = graph.start_run({"n": 0}, {"configurable": {"thread_id": "t"}}, stream_mode="values")
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            async for chunk in run:
                seen.append(chunk["n"])
        await asyncio.wait_for(run.stopped(), 5)

    asyncio.run(main())
    # Nothing at or after the lost step was shown or written: the thread stays at the
    # step before it, and goes on from there once the store works again.
    assert seen == list(range(10))
    assert durable_counts(path) == set(range(10))
    saver.step = -100
    assert graph.invoke(None, {"configurable": {"thread_id": "t"}})["n"] == STEPS
    saver.close()


def test_stopped_waits_for_the_queued_writes(tmp_path):
    """The server hands the thread to the next run once the run has stopped: by then
    the store must hold the whole run, or the next run would start from a stale head."""
    path = tmp_path / "s.db"
    saver = SqliteSaver(path)
    graph = build(saver)
    gate = threading.Event()
    original = saver._db._commit_group

    def slow_commit(group):
        gate.wait(5)  # the store is slow: writes pile up behind the run
        original(group)

    saver._db._commit_group = slow_commit

    async def main() -> None:
        run = graph.start_run({"n": 0}, {"configurable": {"thread_id": "t"}}, stream_mode="values")
        reading = asyncio.ensure_future(_drain(run))
        stopped = asyncio.ensure_future(run.stopped())
        await asyncio.sleep(0.2)
        assert not stopped.done()  # the run's steps are done, its writes are not
        gate.set()
        await asyncio.wait_for(stopped, 5)
        assert durable_counts(path) == set(range(STEPS + 1))
        await reading

    asyncio.run(main())
    saver.close()


async def _drain(run) -> None:
    async for _ in run:
        pass
