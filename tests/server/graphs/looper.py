"""Test graph: `step` runs `rounds` times, appending a `chunk`-character string to `chunks`
and sleeping `pause` seconds each time (for the state size, stream length and run time limits)."""

import operator
import time
from typing import Annotated, TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    rounds: int
    done: int
    chunk: int
    pause: float
    chunks: Annotated[list[str], operator.add]


def step(state: State) -> State:
    time.sleep(state.get("pause", 0))
    return {"done": state.get("done", 0) + 1, "chunks": ["x" * state.get("chunk", 0)]}


def again(state: State) -> str:
    return "step" if state.get("done", 0) < state.get("rounds", 1) else END


builder = StateGraph(State)
builder.add_node("step", step)
builder.add_edge(START, "step")
builder.add_conditional_edges("step", again, ["step", END])
graph = builder.compile()
