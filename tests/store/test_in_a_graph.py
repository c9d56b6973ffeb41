"""Every store backend as a graph's long-term memory: nodes given `store` (sync, in
worker threads, and async under ainvoke) read and write it across threads."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import pytest

from lockstep.checkpoint.memory import MemorySaver
from lockstep.graph import END, START, StateGraph


class Chat(TypedDict, total=False):
    text: str
    reply: str


def _app(make_node, store):
    graph = StateGraph(Chat)
    graph.add_node("first", make_node("first"))
    graph.add_node("second", make_node("second"))  # two parallel nodes: two worker threads at once
    graph.add_edge(START, "first")
    graph.add_edge(START, "second")
    graph.add_edge("first", END)
    graph.add_edge("second", END)
    return graph.compile(checkpointer=MemorySaver(), store=store)


def test_sync_nodes_share_memories_across_threads(store):
    def remember(name: str):
        def node(state: Chat, config, *, store) -> dict:
            ns = ("memories", config["configurable"]["user_id"], name)
            store.put(ns, state["text"], {"text": state["text"]})
            return {}

        return node

    app = _app(remember, store)
    for thread, text in [("1", "tea"), ("2", "lyon")]:
        app.invoke({"text": text}, {"configurable": {"thread_id": thread, "user_id": "ada"}})
    assert store.list_namespaces(prefix=("memories", "ada")) == [
        ("memories", "ada", "first"),
        ("memories", "ada", "second"),
    ]
    assert sorted(i.key for i in store.search(("memories", "ada", "first"))) == ["lyon", "tea"]


def test_async_nodes_under_ainvoke(store):
    def count(name: str):
        async def node(state: Chat, *, store) -> dict:
            await store.aput(("seen", name), state["text"], {"n": len(state["text"])})
            return {}

        return node

    app = _app(count, store)

    async def main() -> None:
        await asyncio.gather(
            *(
                app.ainvoke({"text": w}, {"configurable": {"thread_id": w}})
                for w in ("a", "bb", "ccc")
            )
        )

    asyncio.run(main())
    found = store.search(("seen",), filter={"n": {"$gte": 2}})
    assert sorted((i.namespace[1], i.key) for i in found) == [
        ("first", "bb"),
        ("first", "ccc"),
        ("second", "bb"),
        ("second", "ccc"),
    ]


def test_get_store_in_an_entrypoint_and_outside_a_run(store):
    from lockstep.config import get_store
    from lockstep.func import entrypoint

    @entrypoint(store=store)
    def workflow(text: str) -> int:
        get_store().put(("seen",), text, {"text": text})
        return len(get_store().search(("seen",)))

    assert workflow.invoke("a") == 1
    assert workflow.invoke("b") == 2
    with pytest.raises(RuntimeError, match="inside a running node"):
        get_store()


def test_subgraphs_use_their_parents_store_as_langgraphs_do(store):
    """A compiled graph as a node, and a graph a node invokes, give their nodes the
    parent run's store (even one compiled with its own), as LangGraph 1.2 does."""
    from langgraph.graph import END as LG_END
    from langgraph.graph import START as LG_START
    from langgraph.graph import StateGraph as LGStateGraph
    from langgraph.store.memory import InMemoryStore as LGStore

    from lockstep.store.memory import InMemoryStore

    own = InMemoryStore()  # the subgraph's own, which its nodes do not get

    def build(Graph, start, end, parent_store, own_store):
        def inner(state: Chat, *, store) -> dict:
            store.put(("sub",), state["text"], {"seen": store is parent_store})
            return {"reply": "ok"}

        sub = Graph(Chat)
        sub.add_node("inner", inner)
        sub.add_edge(start, "inner")
        sub.add_edge("inner", end)
        sub = sub.compile(store=own_store)

        def calls(state: Chat) -> dict:
            return sub.invoke({"text": state["text"] + "-invoked"})

        top = Graph(Chat)
        top.add_node("as_node", sub)
        top.add_node("calls", calls)
        top.add_edge(start, "as_node")
        top.add_edge("as_node", "calls")
        top.add_edge("calls", end)
        return top.compile(store=parent_store)

    def keys(s) -> list[tuple[str, dict]]:
        return sorted((i.key, i.value) for i in s.search(("sub",)))

    reference = LGStore()
    build(LGStateGraph, LG_START, LG_END, reference, LGStore()).invoke({"text": "x"})
    build(StateGraph, START, END, store, own).invoke({"text": "x"})
    assert keys(store) == keys(reference) == [("x", {"seen": True}), ("x-invoked", {"seen": True})]
    assert own.search(("sub",)) == []
