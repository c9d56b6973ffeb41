"""Test graph: a node that reads and writes long-term memory through its `store`.

It reads the user's profile from ("users", user) into `profile`, lists the keys
under ("users",) into `keys`, then writes `note`, if given, as the profile."""

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


builder = StateGraph(State)
builder.add_node("remember", remember)
builder.add_edge(START, "remember")
builder.add_edge("remember", END)
graph = builder.compile()
