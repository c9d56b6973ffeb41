"""A subgraph that asks: the parent's `approval` node is a compiled graph whose `ask` node calls interrupt(); resuming continues inside it."""

from typing import TypedDict

from lockstep import END, START, StateGraph, interrupt


class State(TypedDict, total=False):
    request: str
    checked: bool
    approved: bool
    outcome: str


def check(state: State) -> State:
    return {"checked": bool(state.get("request", "").strip())}


def ask(state: State) -> State:
    answer = interrupt({"question": "Approve this request?", "request": state["request"]})
    return {"approved": bool(answer)}


approval = StateGraph(State)
approval.add_node("check", check)
approval.add_node("ask", ask)
approval.add_edge(START, "check")
approval.add_edge("check", "ask")
approval.add_edge("ask", END)


def draft(state: State) -> State:
    return {"request": state["request"].strip()}


def act(state: State) -> State:
    return {"outcome": "done" if state.get("approved") else "rejected"}


builder = StateGraph(State)
builder.add_node("draft", draft)
builder.add_node("approval", approval.compile())  # checkpointer=None: the parent's store
builder.add_node("act", act)
builder.add_edge(START, "draft")
builder.add_edge("draft", "approval")
builder.add_edge("approval", "act")
builder.add_edge("act", END)
graph = builder.compile()
