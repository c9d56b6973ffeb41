"""Test graph: one node that reports what its run config carries."""

from typing import TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    who: str
    thread: str


def report(state: State, config) -> State:
    configurable = config["configurable"]
    return {"who": configurable.get("user", ""), "thread": configurable["thread_id"]}


builder = StateGraph(State)
builder.add_node("report", report)
builder.add_edge(START, "report")
builder.add_edge("report", END)
graph = builder.compile()
