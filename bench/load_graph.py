"""Load-test graph: begin -> work -> finish; `work` awaits `pause` seconds, so hundreds of
runs overlap without a worker thread each. Four values events per run (input and three steps)."""

from __future__ import annotations

import asyncio
from typing import TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    i: int
    pause: float
    n: int


def begin(state: State) -> State:
    return {"n": state.get("n", 0) + 1}


async def work(state: State) -> State:
    await asyncio.sleep(state.get("pause", 0.0))
    return {"n": state["n"] + 1}


def finish(state: State) -> State:
    return {"n": state["n"] + 1}


builder = StateGraph(State)
builder.add_node("begin", begin)
builder.add_node("work", work)
builder.add_node("finish", finish)
builder.add_edge(START, "begin")
builder.add_edge("begin", "work")
builder.add_edge("work", "finish")
builder.add_edge("finish", END)
graph = builder.compile()
