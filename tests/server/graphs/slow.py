"""Test graph: first -> nap -> last; nap is a *sync* node that sleeps `seconds` (default 1.5)."""

import time
from typing import TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    input: str
    seconds: float
    n: int


def first(state: State) -> State:
    return {"n": state.get("n", 0) + 1}


def nap(state: State) -> State:
    time.sleep(state.get("seconds", 1.5))
    return {"n": state["n"] + 1}


def last(state: State) -> State:
    return {"n": state["n"] + 1}


builder = StateGraph(State)
builder.add_node("first", first)
builder.add_node("nap", nap)
builder.add_node("last", last)
builder.add_edge(START, "first")
builder.add_edge("first", "nap")
builder.add_edge("nap", "last")
builder.add_edge("last", END)
graph = builder.compile()
