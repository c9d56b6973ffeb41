"""Test graph: the seed's pause (an interrupt() in `ask`), on an engine that lets go of
the thread 0.3 s after its run's last event, as a worker finishing its step may.

That is the window in which a run's end, announced before its thread was released,
made an UpdateState sent right after it fail with THREAD_BUSY.
"""

import asyncio
from typing import TypedDict

from lockstep import END, START, StateGraph, interrupt
from lockstep.pregel.graph import CompiledGraph

LATE = 0.3


class State(TypedDict, total=False):
    input: str
    answer: str


def ask(state: State) -> State:
    return {"answer": interrupt(f"what about {state['input']}?")}


class LateRelease(CompiledGraph):
    """Its runs say they have stopped (RunHandle.stopped) LATE seconds after they have."""

    def start_run(self, *args, **kwargs):
        handle = super().start_run(*args, **kwargs)
        stopped = handle.stopped

        async def late() -> None:
            await stopped()
            await asyncio.sleep(LATE)

        handle.stopped = late
        return handle


builder = StateGraph(State)
builder.add_node("ask", ask)
builder.add_edge(START, "ask")
builder.add_edge("ask", END)
graph = builder.compile()
graph.__class__ = LateRelease  # the test's engine: the same graph, released late
