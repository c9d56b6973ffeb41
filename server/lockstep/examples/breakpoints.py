"""Static breakpoints: the run stops before `publish` until someone resumes it."""

from typing import TypedDict

from lockstep import END, START, StateGraph


class State(TypedDict, total=False):
    text: str
    published: bool


def write(state: State) -> State:
    return {"text": state.get("text", "") + " (edited)"}


def publish(state: State) -> State:
    return {"published": True}


builder = StateGraph(State)
builder.add_node("write", write)
builder.add_node("publish", publish)
builder.add_edge(START, "write")
builder.add_edge("write", "publish")
builder.add_edge("publish", END)
graph = builder.compile(interrupt_before=["publish"])
