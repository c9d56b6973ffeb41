"""Test graph: a node that reads and writes long-term memory through its `store`.

It reads the user's profile from ("users", user) into `profile`, lists the keys
under ("users",) into `keys`, then writes `note`, if given, as the profile; then a
subgraph (a compiled graph as a node) records the visit at ("visits", user)."""

from typing import TypedDict

from lockstep import END, START, StateGraph
from lockstep.store.base import BaseStore


class State(TypedDict, total=False):
    user: str
    note: str
    profile: dict | None
    keys: list[str]


def remember(state: State, store: BaseStore) -> State:
    namespace = ("users", state["user"])
    found = store.get(namespace, "profile")
    keys = sorted(f"{'/'.join(i.namespace)}:{i.key}" for i in store.search(("users",), limit=100))
    if state.get("note"):
        store.put(namespace, "profile", {"note": state["note"], "by": "graph"})
    return {"profile": found.value if found else None, "keys": keys}


def record(state: State, store: BaseStore) -> State:
    store.put(("visits", state["user"]), "last", {"by": "subgraph"})
    return {}


visit = StateGraph(State)
visit.add_node("record", record)
visit.add_edge(START, "record")
visit.add_edge("record", END)

builder = StateGraph(State)
builder.add_node("remember", remember)
builder.add_node("visit", visit.compile())
builder.add_edge(START, "remember")
builder.add_edge("remember", "visit")
builder.add_edge("visit", END)
graph = builder.compile()
