"""Map-reduce with Send: one `square` task per number, their results folded by a reducer."""

import operator
from typing import Annotated, TypedDict

from lockstep import END, START, Send, StateGraph


class State(TypedDict, total=False):
    numbers: list[int]
    squares: Annotated[list[int], operator.add]
    total: int


def fan_out(state: State) -> list[Send]:
    return [Send("square", {"n": n}) for n in state["numbers"]]


def square(item: dict) -> dict:
    return {"squares": [item["n"] * item["n"]]}


def add_up(state: State) -> State:
    return {"total": sum(state["squares"])}


builder = StateGraph(State)
builder.add_node("square", square)
builder.add_node("add_up", add_up)
builder.add_conditional_edges(START, fan_out, ["square"])
builder.add_edge("square", "add_up")
builder.add_edge("add_up", END)
graph = builder.compile()
