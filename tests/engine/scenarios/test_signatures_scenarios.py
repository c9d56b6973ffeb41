"""How nodes and path functions are called: what they are given, what they may be,
what their returns stream as; runtime context and store; batch and with_config."""

import asyncio
import operator
from dataclasses import dataclass
from typing import Annotated, Literal, TypedDict

from harness import aoutcome, compared, outcome


class Log(TypedDict, total=False):
    log: Annotated[list, operator.add]
    topic: str
    summary: str


def chain(lib, *nodes, checkpointer=None, store=None, context_schema=None):
    """START -> nodes in order -> END, each (name, fn)."""
    graph = lib.StateGraph(Log, context_schema)
    previous = lib.START
    for name, fn in nodes:
        graph.add_node(name, fn)
        graph.add_edge(previous, name)
        previous = name
    return graph.compile(checkpointer=checkpointer, store=store)


@compared
def test_loop_variables_and_optional_parameters_keep_their_defaults(lib):
    # The usual way to bind a loop variable, and an optional second parameter:
    # neither is a place the run puts its config.
    nodes = [(f"step{i}", lambda s, i=i: {"log": [i]}) for i in range(3)]

    def opts(state, options=None):
        return {"log": [repr(options)]}

    def ask(state, config, writer):  # asked for by name: given
        writer({"thread": config["configurable"]["thread_id"]})
        return {"log": [config["configurable"]["thread_id"]]}

    app = chain(lib, *nodes, ("opts", opts), ("ask", ask))
    cfg = {"configurable": {"thread_id": "t"}}
    return [list(app.stream({"log": []}, cfg, stream_mode=["updates", "custom"]))]


@compared
def test_config_by_name_and_annotation_only(lib):
    from langchain_core.runnables import RunnableConfig

    def annotated(state, config: RunnableConfig):
        return {"log": [config["configurable"]["user"]]}

    def optional(state, config: RunnableConfig | None = None):
        return {"log": [config is not None]}

    def keyword_only(state, *, config):
        return {"log": ["kw:" + config["configurable"]["user"]]}

    def other_name(state, cfg):  # not a name the run fills: the call fails
        return {"log": ["never"]}

    cfg = {"configurable": {"user": "ada"}}
    app = chain(lib, ("annotated", annotated), ("optional", optional), ("kw", keyword_only))
    wrong = chain(lib, ("other", other_name))
    return [app.invoke({"log": []}, cfg), outcome(wrong.invoke, {"log": []}, cfg)]


@compared
def test_runtime_context_and_store(lib):
    @dataclass
    class Context:
        user: str
        tone: str = "plain"

    class Store:
        def __init__(self):
            self.items = {"ada": "likes tea"}

    def greet(state, runtime: lib.Runtime[Context]):
        memory = runtime.store.items[runtime.context.user]
        return {"log": [f"{runtime.context.tone} hello {runtime.context.user} ({memory})"]}

    def recall(state, store):
        return {"log": [sorted(store.items)]}

    def inside(state):
        runtime = lib.get_runtime(Context)
        return {"log": [runtime.context.tone, runtime.previous]}

    app = chain(
        lib, ("greet", greet), ("recall", recall), ("inside", inside),
        store=Store(), context_schema=Context,
    )
    return [
        app.invoke({"log": []}, context=Context(user="ada", tone="warm")),
        # A dict is made into the dataclass context_schema, as LangGraph does.
        list(app.stream({"log": []}, context={"user": "ada"})),
    ]


@compared
def test_store_is_none_without_compile_store(lib):
    def look(state, store, runtime):
        return {"log": [store is None, runtime.store is None, runtime.context]}

    return chain(lib, ("look", look)).invoke({"log": []})


@compared
def test_async_path_functions_under_ainvoke_and_astream(lib):
    async def classify(state, config):
        await asyncio.sleep(0)
        return "short" if len(state["topic"]) < config["configurable"]["limit"] else "long"

    def sync_route(state) -> Literal["done", "__end__"]:
        return "done"

    async def work(state):
        return {"log": ["work"]}

    graph = lib.StateGraph(Log)
    graph.add_node("work", work)
    graph.add_node("short", lambda s: {"log": ["short"]})
    graph.add_node("long", lambda s: {"log": ["long"]})
    graph.add_node("done", lambda s: {"log": ["done"]})
    graph.add_edge(lib.START, "work")
    graph.add_conditional_edges("work", classify, ["short", "long"])
    graph.add_conditional_edges("short", sync_route)
    graph.add_edge("long", "done")
    app = graph.compile()
    cfg = {"configurable": {"limit": 4}}

    async def main():
        return [
            await app.ainvoke({"topic": "hi"}, cfg),
            [c async for c in app.astream({"topic": "a long topic"}, cfg)],
        ]

    return asyncio.run(main())


@compared
def test_async_conditional_entry_point_with_send(lib):
    async def fan_out(state):
        return [lib.Send("work", {"topic": t}) for t in state["topic"].split()]

    graph = lib.StateGraph(Log)
    graph.add_node("work", lambda s: {"log": [s["topic"].upper()]})
    graph.add_conditional_edges(lib.START, fan_out, ["work"])
    app = graph.compile()
    return asyncio.run(app.ainvoke({"topic": "a b c", "log": []}))


@compared
def test_langchain_runnables_as_nodes(lib):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda

    prompt = ChatPromptTemplate.from_messages([("user", "Summarise {topic}")])
    model = FakeListChatModel(responses=["a summary", "another summary"])
    summarise = prompt | model | (lambda message: {"summary": message.content})

    async def shout(state):
        return {"log": [state["summary"].upper()]}

    # A RunnableLambda with both forms: sync runs use its function, async ones its afunc.
    tag = RunnableLambda(lambda s: {"log": ["sync"]}, afunc=lambda s: _async_log("async"))
    graph = lib.StateGraph(Log)
    graph.add_node("summarise", summarise)
    graph.add_node("shout", RunnableLambda(lambda s: {"log": [s["summary"].upper()]}, afunc=shout))
    graph.add_node("tag", tag)
    graph.add_edge(lib.START, "summarise")
    graph.add_edge("summarise", "shout")
    graph.add_edge("shout", "tag")
    app = graph.compile()
    return [
        list(app.stream({"topic": "tea", "log": []})),
        asyncio.run(app.ainvoke({"topic": "tea", "log": []})),
    ]


async def _async_log(text):
    return {"log": [text]}


@compared
def test_command_with_literal_destinations(lib):
    def triage(state) -> lib.Command[Literal["urgent", "later"]]:
        target = "urgent" if "!" in state["topic"] else "later"
        return lib.Command(update={"log": ["triage"]}, goto=target)

    graph = lib.StateGraph(Log)
    graph.add_node("triage", triage)
    graph.add_node("urgent", lambda s: {"log": ["urgent"]})
    graph.add_node("later", lambda s: {"log": ["later"]})
    graph.add_edge(lib.START, "triage")
    app = graph.compile()
    edges = sorted((e.source, e.target) for e in app.get_graph().edges if e.source == "triage")
    return [list(app.stream({"topic": "fire!"})), app.invoke({"topic": "memo"}), edges]


@compared
def test_node_named_like_the_key_it_writes(lib):
    def summary(state):
        return {"summary": " / ".join(state["log"])}

    app = chain(lib, ("log_it", lambda s: {"log": ["x", "y"]}), ("summary", summary),
                checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    return [list(app.stream({"log": []}, cfg)), app.get_state(cfg)]


@compared
def test_empty_returns_stream_as_none(lib):
    nodes = [
        ("empty", lambda s: {}),
        ("nothing", lambda s: None),
        ("unknown_key", lambda s: {"not_in_state": 1}),
        ("bare_command", lambda s: lib.Command()),
        ("empty_update", lambda s: lib.Command(update={})),
        ("real", lambda s: {"log": ["real"]}),
    ]
    app = chain(lib, *nodes)
    return [
        list(app.stream({"log": []})),
        list(app.stream({"log": []}, stream_mode=["updates", "values"])),
    ]


@compared
def test_batch_abatch_and_with_config(lib):
    def fail_on_boom(state, config):
        if state["topic"] == "boom":
            raise ValueError("boom")
        return {"log": [state["topic"] + config["configurable"].get("suffix", "")]}

    app = chain(lib, ("work", fail_on_boom))
    inputs = [{"topic": "a"}, {"topic": "boom"}, {"topic": "c"}]
    bound = app.with_config(configurable={"suffix": "!"})

    async def main():
        return [
            await app.abatch(inputs, return_exceptions=True),
            await aoutcome(app.abatch(inputs)),
            await bound.abatch([{"topic": "x"}], {"configurable": {"other": 1}}),
        ]

    return [
        app.batch(inputs, return_exceptions=True),
        outcome(app.batch, inputs),
        app.batch([{"topic": "a"}, {"topic": "b"}], [{"configurable": {"suffix": "1"}}, None]),
        app.batch([]),
        bound.invoke({"topic": "y"}),
        app.invoke({"topic": "y"}),  # the original is not changed by with_config
        bound.batch([{"topic": "z"}], stream_mode="updates"),
        asyncio.run(main()),
    ]


@compared
def test_writer_and_get_stream_writer_in_an_async_run(lib):
    async def progress(state, writer):
        writer({"step": 1})
        lib.get_stream_writer()({"step": 2})
        return {"log": ["done"]}

    app = chain(lib, ("progress", progress))

    async def main():
        return [c async for c in app.astream({"log": []}, stream_mode=["custom", "updates"])]

    return asyncio.run(main())


@compared
def test_node_metadata_reaches_its_config_and_the_graph(lib):
    def tagged(state, config):
        meta = config["metadata"]
        return {"log": [meta.get("team"), meta.get("run")]}

    graph = lib.StateGraph(Log)
    graph.add_node("tagged", tagged, metadata={"team": "search"})
    graph.add_node("plain", lambda s: {"log": ["plain"]})
    graph.add_edge(lib.START, "tagged")
    graph.add_edge("tagged", "plain")
    app = graph.compile()
    drawn = app.get_graph()
    nodes = {name: drawn.nodes[name].metadata for name in ("tagged", "plain")}
    lines = [line for line in drawn.draw_mermaid().splitlines() if "tagged(" in line]
    return [app.invoke({"log": []}, {"metadata": {"run": 7}}), nodes, lines]


@compared
def test_get_config_get_store_and_writer_inside_nodes(lib):
    class Store:
        facts = ("sky is blue",)

    def recall(state):
        config = lib.get_config()
        lib.get_stream_writer()({"recalling": config["configurable"]["user"]})
        return {"log": [config["configurable"]["user"], *lib.get_store().facts]}

    def without_store(state):
        return {"log": [lib.get_store() is None]}

    app = chain(lib, ("recall", recall), store=Store())
    bare = chain(lib, ("without_store", without_store))
    cfg = {"configurable": {"user": "ada"}}
    return [
        list(app.stream({"log": []}, cfg, stream_mode=["custom", "values"])),
        bare.invoke({"log": []}),
        outcome(lib.get_config),
    ]


@compared
def test_a_node_reads_its_config_as_in_langgraph(lib):
    """What a node finds in its config (the parameter and get_config()): the caller's
    configurable keys, the task's namespace, the checkpoint its step started from
    (checkpoint_map), no checkpoint_id, the langgraph_* metadata (a node behind a
    join lists every channel it listens to), and none of the run's own keys."""
    seen = {}

    def record(name):
        def node(state, config):
            seen[name] = (config, lib.get_config())
            return {"log": [name]}

        return node

    graph = lib.StateGraph(Log)
    graph.add_node("a", record("a"), metadata={"owner": "team-a"})
    graph.add_node("b", record("b"))
    graph.add_node("c", record("c"))
    graph.add_edge(lib.START, "a")
    graph.add_edge(lib.START, "b")
    graph.add_edge(["a", "b"], "c")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {
        "configurable": {"thread_id": "t", "user_id": "u1"},
        "metadata": {"request": 7},
        "tags": ["web"],
        "run_name": "nightly",
        "recursion_limit": 50,
    }
    app.invoke({"log": []}, cfg)
    started = {s.metadata["step"]: s.config["configurable"]["checkpoint_id"] for s in app.get_state_history(cfg)}

    def shown(config):  # what a user reads: not the callbacks, nor LangGraph's internals
        conf = {k: v for k, v in config["configurable"].items() if not k.startswith("__")}
        return {**{k: v for k, v in config.items() if k != "callbacks"}, "configurable": conf}

    out = []
    for name in ("a", "b", "c"):
        config, got = seen[name]
        step = config["metadata"]["langgraph_step"]
        out.append(
            [
                sorted(config),
                shown(config),
                shown(got) == shown(config),
                config["configurable"]["checkpoint_map"] == {"": started[step - 1]},
            ]
        )
    bare = lib.StateGraph(Log)
    bare.add_node("a", record("bare"))
    bare.add_edge(lib.START, "a")
    bare.compile().invoke({"log": []}, {"tags": []})
    config = seen["bare"][0]
    out.append([sorted(config), shown(config)])
    return out
