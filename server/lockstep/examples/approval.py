"""An approval step: interrupt() asks a person, Command(resume=...) carries the answer."""

from typing import TypedDict

from lockstep import END, START, StateGraph, interrupt


class State(TypedDict, total=False):
    request: str
    approved: bool
    outcome: str


def draft(state: State) -> State:
    return {"request": state["request"].strip()}


def review(state: State) -> State:
    answer = interrupt({"question": "Approve this request?", "request": state["request"]})
    return {"approved": bool(answer)}


def act(state: State) -> State:
    return {"outcome": "done" if state.get("approved") else "rejected"}


builder = StateGraph(State)
builder.add_node("draft", draft)
builder.add_node("review", review)
builder.add_node("act", act)
builder.add_edge(START, "draft")
builder.add_edge("draft", "review")
builder.add_edge("review", "act")
builder.add_edge("act", END)
graph = builder.compile()
