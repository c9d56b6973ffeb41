"""Test graph: prepare -> check -> finish; check raises ValueError while the input is "bad"."""

from typing import TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    input: str
    checked: bool


def prepare(state: State) -> State:
    return {"input": state["input"]}


def check(state: State) -> State:
    if state["input"] == "bad":
        raise ValueError("check refuses the input 'bad'")
    return {"checked": True}


def finish(state: State) -> State:
    return {}


builder = StateGraph(State)
builder.add_node("prepare", prepare)
builder.add_node("check", check)
builder.add_node("finish", finish)
builder.add_edge(START, "prepare")
builder.add_edge("prepare", "check")
builder.add_edge("check", "finish")
builder.add_edge("finish", END)
graph = builder.compile()
