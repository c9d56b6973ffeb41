"""Long-term memory used directly, as LangGraph's memory guides and ordinary user
code use `InMemoryStore`: profiles per user, memories searched with filters, pages,
namespaces listed, and the errors bad input gets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypedDict

from harness import aoutcome, compared, outcome


@compared
def test_user_profile_put_get_update(lib):
    store = lib.InMemoryStore()
    ns = ("users", "user-123")
    store.put(ns, "profile", {"name": "Ada", "prefs": {"theme": "dark", "langs": ["en", "fr"]}})
    first = store.get(ns, "profile")
    store.put(ns, "profile", {"name": "Ada", "prefs": {"theme": "light", "langs": []}})
    second = store.get(ns, "profile")
    return [
        first,
        second,
        store.get(ns, "missing"),
        store.get(("users", "someone-else"), "profile"),
        sorted(first.dict()),
        first == store.get(ns, "profile"),  # replaced since
        second == store.get(ns, "profile"),
    ]


@compared
def test_memories_searched_by_filter(lib):
    store = lib.InMemoryStore()
    ns = ("memories", "user-1")
    store.put(ns, "m1", {"kind": "fact", "text": "likes tea", "confidence": 0.9})
    store.put(ns, "m2", {"kind": "preference", "text": "short answers", "confidence": 0.6})
    store.put(ns, "m3", {"kind": "fact", "text": "lives in Lyon", "confidence": 0.4})
    store.put(("memories", "user-2"), "m1", {"kind": "fact", "text": "likes coffee", "confidence": 1.0})
    return [
        store.search(ns),
        store.search(ns, filter={"kind": "fact"}),
        store.search(("memories",), filter={"kind": "fact"}),
        store.search(ns, filter={"kind": "fact", "confidence": {"$gte": 0.5}}),
        store.search(ns, filter={"nothing": "here"}),
        store.search(("memories", "user-3")),
    ]


@compared
def test_filter_operators(lib):
    store = lib.InMemoryStore()
    ns = ("shop", "inventory")
    for key, price, stock in [("pen", 1.5, 100), ("book", 12, 3), ("lamp", 30.0, 0), ("mug", 8, 12)]:
        store.put(ns, key, {"price": price, "stock": stock, "category": "office" if key in ("pen", "lamp") else "home"})
    queries = [
        {"price": {"$gt": 8}},
        {"price": {"$gte": 8}},
        {"price": {"$lt": 12}},
        {"price": {"$lte": 12}},
        {"price": {"$gt": 1, "$lt": 20}},
        {"category": {"$eq": "office"}},
        {"category": {"$ne": "office"}},
        {"stock": 0},
        {"stock": {"$gt": "5"}},
    ]
    return [[item.key for item in store.search(ns, filter=q)] for q in queries]


@compared
def test_nested_values_filtered_by_dicts_and_lists(lib):
    store = lib.InMemoryStore()
    ns = ("docs",)
    store.put(ns, "a", {"meta": {"author": "ada", "year": 2024}, "tags": ["ml", "graphs"]})
    store.put(ns, "b", {"meta": {"author": "bob", "year": 2024}, "tags": ["ml"]})
    store.put(ns, "c", {"meta": {"author": "ada", "year": 2023}, "tags": []})
    return [
        [i.key for i in store.search(ns, filter={"meta": {"author": "ada"}})],
        [i.key for i in store.search(ns, filter={"meta": {"author": "ada", "year": 2024}})],
        [i.key for i in store.search(ns, filter={"tags": ["ml"]})],
        [i.key for i in store.search(ns, filter={"tags": []})],
        store.get(ns, "a").value,
    ]


@compared
def test_search_pages_and_update_order(lib):
    store = lib.InMemoryStore()
    ns = ("notes",)
    for n in range(12):
        store.put(ns, f"note-{n}", {"n": n})
    store.put(ns, "note-3", {"n": 3, "edited": True})  # an update keeps its place
    store.delete(ns, "note-5")
    store.put(ns, "note-5", {"n": 5, "again": True})  # deleted and written: last
    return [
        [i.key for i in store.search(ns)],
        [i.key for i in store.search(ns, limit=4)],
        [i.key for i in store.search(ns, limit=4, offset=4)],
        [i.key for i in store.search(ns, limit=50, offset=10)],
        [i.key for i in store.search(ns, offset=20)],
        [i.key for i in store.search(ns, filter={"n": {"$gte": 6}}, limit=3, offset=1)],
    ]


@compared
def test_query_without_an_index_is_not_ranked(lib):
    store = lib.InMemoryStore()
    ns = ("user-1", "memories")
    store.put(ns, "1", {"text": "I love pizza"})
    store.put(ns, "2", {"text": "I am a plumber"})
    found = store.search(ns, query="I'm hungry", limit=1)
    return [found, [i.score for i in store.search(ns, query="food")]]


@compared
def test_list_namespaces(lib):
    store = lib.InMemoryStore()
    for ns in [("a", "b", "c"), ("a", "b", "d", "e"), ("a", "b", "d", "i"), ("a", "b", "f"), ("a", "c", "f"), ("z",)]:
        store.put(ns, "k", {"v": 1})
    return [
        store.list_namespaces(),
        store.list_namespaces(prefix=("a", "b"), max_depth=3),
        store.list_namespaces(suffix=("f",)),
        store.list_namespaces(prefix=("a", "*", "f")),
        store.list_namespaces(prefix=("a",), suffix=("d", "*")),
        store.list_namespaces(max_depth=1),
        store.list_namespaces(max_depth=2, limit=2, offset=1),
        store.list_namespaces(prefix=("nothing",)),
        store.list_namespaces(limit=3),
    ]


@compared
def test_delete(lib):
    store = lib.InMemoryStore()
    ns = ("users", "u1")
    store.put(ns, "a", {"v": 1})
    store.put(ns, "b", {"v": 2})
    store.delete(ns, "a")
    store.delete(ns, "never-written")
    return [store.get(ns, "a"), store.search(ns), store.list_namespaces()]


@compared
def test_bad_input_is_refused(lib):
    store = lib.InMemoryStore()
    store.put(("ok",), "k", {"v": 1})
    return [
        outcome(store.put, (), "k", {"v": 1}),
        outcome(store.put, ("langgraph", "x"), "k", {"v": 1}),
        outcome(store.put, ("a.b",), "k", {"v": 1}),
        outcome(store.put, ("",), "k", {"v": 1}),
        outcome(store.put, ("a", 3), "k", {"v": 1}),
        outcome(store.get, ("a.b",), "k"),
        outcome(store.search, ("",)),
        outcome(store.list_namespaces, prefix=("a.b",)),
        outcome(store.search, ("ok",), filter={"v": {"$in": [1]}}),
        outcome(store.search, ("ok",), fltr={"v": 1}),
        outcome(store.put, ("ok",), 42, {"v": 2}),
        store.get(("ok",), "42"),
    ]


@compared
def test_operations_in_one_batch(lib):
    store = lib.InMemoryStore()
    ns = ("users", "u1")
    store.put(ns, "a", {"v": 0})
    store.put(ns, "c", {"v": 5})
    # Reads see the store as it was before the batch; its writes land after them.
    results = store.batch(
        [
            lib.PutOp(ns, "a", {"v": 1}),
            lib.PutOp(ns, "b", {"v": 2}),
            lib.GetOp(ns, "a"),
            lib.SearchOp(("users",), filter={"v": {"$gt": 1}}),
            lib.ListNamespacesOp(match_conditions=(lib.MatchCondition("prefix", ("users",)),), max_depth=1),
            lib.PutOp(ns, "c", None),
            lib.GetOp(ns, "c"),
            lib.PutOp(ns, "d", {"v": 1}),
            lib.PutOp(ns, "d", {"v": 2}),
        ]
    )
    return [results, store.search(ns)]


@compared
async def test_async_methods(lib):
    store = lib.InMemoryStore()
    ns = ("users", "u1")
    await store.aput(ns, "profile", {"name": "Ada"})
    await store.aput(ns, "prefs", {"theme": "dark"})
    got = await store.aget(ns, "profile")
    found = await store.asearch(ns, filter={"theme": "dark"})
    listed = await store.alist_namespaces(prefix=("users",))
    await store.adelete(ns, "profile")
    return [
        got,
        found,
        listed,
        await store.aget(ns, "profile"),
        await store.abatch([lib.GetOp(ns, "prefs")]),
        await aoutcome(store.aput((), "k", {})),
    ]


@compared
def test_entrypoint_remembers_facts_per_user_across_threads(lib):
    """The functional API's memory example: the workflow is given the store and
    keeps what each user said, whichever thread they come back on."""
    store = lib.InMemoryStore()

    @lib.entrypoint(checkpointer=lib.MemorySaver(), store=store)
    def chat(message: dict, *, store) -> dict:
        ns = ("memories", message["user"])
        if message["text"].startswith("remember "):
            fact = message["text"].removeprefix("remember ")
            store.put(ns, f"fact-{len(store.search(ns))}", {"fact": fact})
        return {"user": message["user"], "known": [m.value["fact"] for m in store.search(ns)]}

    def cfg(thread: str) -> dict:
        return {"configurable": {"thread_id": thread}}

    return [
        chat.invoke({"user": "ada", "text": "remember I like tea"}, cfg("1")),
        chat.invoke({"user": "ada", "text": "remember I live in Lyon"}, cfg("1")),
        chat.invoke({"user": "bob", "text": "remember I like coffee"}, cfg("2")),
        chat.invoke({"user": "ada", "text": "what do you know?"}, cfg("3")),
        store.list_namespaces(prefix=("memories",)),
    ]


class Chat(TypedDict, total=False):
    text: str
    reply: str


def _memory_graph(lib, node):
    graph = lib.StateGraph(Chat)
    graph.add_node("respond", node)
    graph.add_edge(lib.START, "respond")
    graph.add_edge("respond", lib.END)
    return graph


@compared
def test_nodes_share_memories_per_user_across_threads(lib):
    """LangGraph's long-term memory guide: the node gets `config` and `store`, keeps
    memories under ("memories", user_id), and a new thread of the same user sees them."""

    def respond(state: Chat, config, *, store) -> dict:
        ns = ("memories", config["configurable"]["user_id"])
        if state["text"].startswith("remember "):
            store.put(ns, str(uuid.uuid4()), {"data": state["text"].removeprefix("remember ")})
        known = sorted(m.value["data"] for m in store.search(ns, query=state["text"]))
        return {"reply": "I know: " + ", ".join(known)}

    store = lib.InMemoryStore()
    app = _memory_graph(lib, respond).compile(checkpointer=lib.MemorySaver(), store=store)

    def cfg(thread: str, user: str) -> dict:
        return {"configurable": {"thread_id": thread, "user_id": user}}

    return [
        app.invoke({"text": "remember my name is Ada"}, cfg("1", "ada")),
        app.invoke({"text": "remember I like tea"}, cfg("1", "ada")),
        app.invoke({"text": "hello"}, cfg("2", "ada")),
        app.invoke({"text": "hello"}, cfg("3", "bob")),
        list(app.stream({"text": "remember I like coffee"}, cfg("4", "bob"))),
        app.get_state(cfg("2", "ada")),
        store.search(("memories", "bob")),
        store.list_namespaces(),
    ]


@compared
def test_runtime_store_with_a_context_schema(lib):
    """LangGraph 1.x style: the node takes `runtime: Runtime[Context]`, reads the user
    from `runtime.context` and the store from `runtime.store`."""

    @dataclass
    class Context:
        user_id: str

    def respond(state: Chat, runtime: lib.Runtime[Context]) -> dict:
        ns = (runtime.context.user_id, "preferences")
        item = runtime.store.get(ns, "style")
        if item is None:
            runtime.store.put(ns, "style", {"style": state["text"]})
            return {"reply": "noted"}
        return {"reply": f"as you like it: {item.value['style']}"}

    store = lib.InMemoryStore()
    graph = lib.StateGraph(Chat, context_schema=Context)
    graph.add_node("respond", respond)
    graph.add_edge(lib.START, "respond")
    app = graph.compile(store=store)
    return [
        app.invoke({"text": "short answers"}, context=Context(user_id="ada")),
        app.invoke({"text": "anything"}, context=Context(user_id="ada")),
        app.invoke({"text": "long answers"}, context=Context(user_id="bob")),
        store.search(("ada",)),
    ]


@compared
async def test_async_nodes_use_the_async_store_methods(lib):
    async def respond(state: Chat, *, store) -> dict:
        ns = ("notes",)
        await store.aput(ns, state["text"], {"text": state["text"], "length": len(state["text"])})
        long_ones = await store.asearch(ns, filter={"length": {"$gt": 3}})
        return {"reply": ",".join(i.key for i in long_ones)}

    store = lib.InMemoryStore()
    app = _memory_graph(lib, respond).compile(store=store)
    return [
        await app.ainvoke({"text": "hi"}),
        await app.ainvoke({"text": "hello"}),
        [chunk async for chunk in app.astream({"text": "greetings"})],
        await store.alist_namespaces(),
    ]


@compared
def test_a_node_asking_for_a_store_in_a_graph_without_one(lib):
    def respond(state: Chat, *, store) -> dict:
        return {"reply": f"store is {store}"}

    app = _memory_graph(lib, respond).compile()
    return outcome(app.invoke, {"text": "hi"})


@compared
def test_get_store_inside_a_node(lib):
    """A helper deep in a node's code fetches the store with get_store() instead of
    having it passed down."""

    def save_note(text: str) -> int:
        store = lib.get_store()
        store.put(("notes",), text, {"text": text})
        return len(store.search(("notes",)))

    def respond(state: Chat) -> dict:
        return {"reply": f"{save_note(state['text'])} notes"}

    store = lib.InMemoryStore()
    app = _memory_graph(lib, respond).compile(store=store)
    return [app.invoke({"text": "a"}), app.invoke({"text": "b"}), store.search(("notes",))]
