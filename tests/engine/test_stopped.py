"""A run handle's stopped() returns however early the run is stopped: a server holds
the thread until then, so a run stopped before its worker even began must say so too."""

from __future__ import annotations

import asyncio
import threading
from typing import TypedDict

from lockstep import END, START, StateGraph
from lockstep.checkpoint import MemorySaver
from lockstep.pregel import bridge


class State(TypedDict, total=False):
    n: int


def inc(state: State) -> State:
    return {"n": state.get("n", 0) + 1}


def test_stopped_resolves_when_the_run_is_dropped_before_its_worker_starts():
    builder = StateGraph(State)
    builder.add_node("inc", inc)
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    graph = builder.compile(checkpointer=MemorySaver())
    release = threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        # Every worker of the run pool is busy: the run's worker cannot start yet.
        busy = [
            loop.run_in_executor(bridge._POOL, release.wait)
            for _ in range(bridge._POOL._max_workers)
        ]
        stream = graph.start_run({"n": 0}, {"configurable": {"thread_id": "t"}})
        reading = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        reading.cancel()  # the reader goes away before the worker has begun
        await asyncio.gather(reading, return_exceptions=True)
        await stream.aclose()
        release.set()
        await asyncio.gather(*busy)
        await asyncio.wait_for(stream.stopped(), 5)  # hung forever before the fix
        assert graph.get_state({"configurable": {"thread_id": "t"}}).values == {}

    asyncio.run(main())


class Pair(TypedDict, total=False):
    a: int
    b: int


def test_stopped_waits_for_a_sync_node_still_running_in_a_graph_with_async_nodes():
    """A thread cannot be interrupted: a run stopped mid-step has really stopped only
    when its sync nodes have returned (the next run on the thread must not overlap)."""
    finished = threading.Event()
    started = threading.Event()

    async def fast(state: Pair) -> Pair:
        return {"a": 1}

    def slow(state: Pair) -> Pair:
        started.set()
        threading.Event().wait(0.3)
        finished.set()
        return {"b": 1}

    builder = StateGraph(Pair)
    builder.add_node("fast", fast)
    builder.add_node("slow", slow)
    builder.add_edge(START, "fast")
    builder.add_edge(START, "slow")
    builder.add_edge("fast", END)
    builder.add_edge("slow", END)
    graph = builder.compile(checkpointer=MemorySaver())

    async def main() -> None:
        stream = graph.start_run({}, {"configurable": {"thread_id": "t"}})
        stopped = asyncio.ensure_future(stream.stopped())

        async def read() -> None:
            async for _ in stream:
                pass

        reader = asyncio.ensure_future(read())
        while not started.is_set():
            await asyncio.sleep(0.01)
        reader.cancel()  # the run is stopped while `slow` runs in its thread
        await asyncio.gather(reader, return_exceptions=True)
        await stream.aclose()
        assert not stopped.done() and not finished.is_set()
        await asyncio.wait_for(stopped, 5)
        assert finished.is_set()

    asyncio.run(main())
