"""Test graph: numbers through the state; `count` is an int, `seen` an int list with an add reducer."""

import operator
from typing import Annotated, TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    count: int
    seen: Annotated[list[int], operator.add]
    ratio: float


def inc(state: State) -> State:
    count = state.get("count", 0)
    return {"count": count + 1, "seen": [count], "ratio": count / 2 + 0.25}


def double(state: State) -> State:
    return {"count": state["count"] * 2, "seen": [state["count"]]}


builder = StateGraph(State)
builder.add_node("inc", inc)
builder.add_node("double", double)
builder.add_edge(START, "inc")
builder.add_edge("inc", "double")
builder.add_edge("double", END)
graph = builder.compile()
