"""astream(stopped=...) is resolved however early the run is stopped: a server holds
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
        stopped = loop.create_future()
        stream = graph.astream(
            {"n": 0}, {"configurable": {"thread_id": "t"}}, prefetch=True, stopped=stopped
        )
        reading = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        reading.cancel()  # the reader goes away before the worker has begun
        await asyncio.gather(reading, return_exceptions=True)
        await stream.aclose()
        release.set()
        await asyncio.gather(*busy)
        await asyncio.wait_for(stopped, 5)  # hung forever before the fix
        assert graph.get_state({"configurable": {"thread_id": "t"}}).values == {}

    asyncio.run(main())
