"""Subgraphs, on both engines: a compiled graph as a node (shared keys), a graph a node
invokes (its own schema), two deep, in parallel; interrupts, breakpoints and resumes
inside them; their state, history and updates; Command.PARENT; streaming with
`subgraphs=True`. Lockstep runs each on MemorySaver and on SqliteSaver (LangGraph on
its in-memory saver: what a run does must not depend on the store)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from harness import LANGGRAPH, LOCKSTEP, Lib, run

SAVERS = ("memory", "sqlite")


def with_savers(scenario):
    """A test comparing `scenario(lib, saver)` on both engines, for each Lockstep store."""

    @pytest.mark.parametrize("store", SAVERS)
    def test(store: str, tmp_path) -> None:
        def lockstep_saver() -> object:
            if store == "memory":
                return LOCKSTEP.MemorySaver()
            from lockstep.checkpoint.sqlite import SqliteSaver

            return SqliteSaver(str(tmp_path / f"{len(list(tmp_path.iterdir()))}.db"))

        expected = run(lambda lib: scenario(lib, LANGGRAPH.MemorySaver), LANGGRAPH)
        got = run(lambda lib: scenario(lib, lockstep_saver), LOCKSTEP)
        assert got == expected, f"lockstep:\n{got!r}\nlanggraph:\n{expected!r}"

    test.__name__ = test.__qualname__ = scenario.__name__
    test.__doc__ = scenario.__doc__
    return test


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]
    answer: str


class P(TypedDict, total=False):
    log: Annotated[list, operator.add]


class Inner(TypedDict, total=False):
    text: str
    steps: Annotated[list, operator.add]


def _cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def _asking_subgraph(lib: Lib, name: str = "sub", **compile_kw):
    """prepare -> ask (interrupt) -> after, on the shared schema."""

    def prepare(s):
        return {"log": [f"{name}.prepare"]}

    def ask(s):
        answer = lib.interrupt(f"{name}: approve?")
        return {"log": [f"{name}.ask:{answer}"], "answer": answer}

    def after(s):
        return {"log": [f"{name}.after"]}

    b = lib.StateGraph(S)
    b.add_node("prepare", prepare)
    b.add_node("ask", ask)
    b.add_node("after", after)
    b.add_edge(lib.START, "prepare")
    b.add_edge("prepare", "ask")
    b.add_edge("ask", "after")
    return b.compile(**compile_kw)


def _parent(lib: Lib, sub, saver, name: str = "sub"):
    def first(s):
        return {"log": ["first"]}

    def last(s):
        return {"log": ["last"]}

    b = lib.StateGraph(S)
    b.add_node("first", first)
    b.add_node(name, sub)
    b.add_node("last", last)
    b.add_edge(lib.START, "first")
    b.add_edge("first", name)
    b.add_edge(name, "last")
    return b.compile(checkpointer=saver())


@with_savers
def test_shared_schema_interrupt_and_resume(lib, saver):
    graph = _parent(lib, _asking_subgraph(lib), saver)
    cfg = _cfg()
    first = list(graph.stream({"log": []}, cfg, subgraphs=True, stream_mode=["updates", "values"]))
    paused = graph.get_state(cfg)
    nested = graph.get_state(cfg, subgraphs=True)
    resumed = list(graph.stream(lib.Command(resume="yes"), cfg, subgraphs=True))
    history = [(h.values, h.next, h.metadata["step"]) for h in graph.get_state_history(cfg)]
    return [first, paused, nested, resumed, graph.get_state(cfg), history]


@with_savers
def test_invoke_returns_the_subgraphs_interrupt_and_resume_runs_nothing_twice(lib, saver):
    calls: list[str] = []

    def counted(fn, label):
        def wrapped(s):
            calls.append(label)
            return fn(s)

        return wrapped

    def prepare(s):
        return {"log": ["prepare"]}

    def ask(s):
        return {"log": [f"ask:{lib.interrupt('go?')}"]}

    sb = lib.StateGraph(S)
    sb.add_node("prepare", counted(prepare, "prepare"))
    sb.add_node("ask", counted(ask, "ask"))
    sb.add_edge(lib.START, "prepare")
    sb.add_edge("prepare", "ask")
    graph = _parent(lib, sb.compile(), saver)
    cfg = _cfg()
    out = [graph.invoke({"log": []}, cfg), list(calls)]
    out += [graph.invoke(lib.Command(resume="go"), cfg), list(calls)]
    return out


@with_savers
def test_a_graph_invoked_inside_a_node_with_its_own_schema(lib, saver):
    def shout(s):
        return {"text": s["text"].upper(), "steps": ["shout"]}

    def confirm(s):
        ok = lib.interrupt({"confirm": s["text"]})
        return {"text": s["text"] + ("!" if ok else "?"), "steps": ["confirm"]}

    ib = lib.StateGraph(Inner)
    ib.add_node("shout", shout)
    ib.add_node("confirm", confirm)
    ib.add_edge(lib.START, "shout")
    ib.add_edge("shout", "confirm")
    inner = ib.compile()

    def call_inner(s):
        out = inner.invoke({"text": "hi"})
        return {"log": [out["text"], *out["steps"]]}

    b = lib.StateGraph(S)
    b.add_node("call_inner", call_inner)
    b.add_edge(lib.START, "call_inner")
    graph = b.compile(checkpointer=saver())
    cfg = _cfg()
    first = list(graph.stream({"log": []}, cfg, subgraphs=True))
    nested = graph.get_state(cfg, subgraphs=True)
    resumed = list(graph.stream(lib.Command(resume=True), cfg, subgraphs=True))
    return [first, nested, resumed, graph.get_state(cfg)]


@with_savers
def test_two_deep_interrupt_state_and_resume(lib, saver):
    inner = _asking_subgraph(lib, "inner")

    def mid_start(s):
        return {"log": ["mid.start"]}

    mb = lib.StateGraph(S)
    mb.add_node("mid_start", mid_start)
    mb.add_node("inner", inner)
    mb.add_edge(lib.START, "mid_start")
    mb.add_edge("mid_start", "inner")
    graph = _parent(lib, mb.compile(), saver, "mid")
    cfg = _cfg()
    first = list(graph.stream({"log": []}, cfg, subgraphs=True, stream_mode="updates"))
    nested = graph.get_state(cfg, subgraphs=True)
    resumed = list(graph.stream(lib.Command(resume="deep"), cfg, subgraphs=True, stream_mode="values"))
    return [first, nested, resumed, graph.get_state(cfg, subgraphs=True)]


@with_savers
def test_parallel_subgraphs_interrupted_together_resumed_by_id(lib, saver):
    left = _asking_subgraph(lib, "left")
    right = _asking_subgraph(lib, "right")
    b = lib.StateGraph(P)
    b.add_node("left", left)
    b.add_node("right", right)
    b.add_edge(lib.START, "left")
    b.add_edge(lib.START, "right")
    graph = b.compile(checkpointer=saver())
    cfg = _cfg()
    # (Listed as the parallel tasks stop: in LangGraph, as their threads finish.)
    first = sorted(graph.invoke({"log": []}, cfg)["__interrupt__"], key=lambda i: i.value)
    state = graph.get_state(cfg)
    ids = {i.value.split(":")[0]: i.id for i in state.interrupts}
    one = graph.invoke(lib.Command(resume={ids["left"]: "L"}), cfg)
    after_one = graph.get_state(cfg, subgraphs=True)
    two = graph.invoke(lib.Command(resume={ids["right"]: "R"}), cfg)
    return [first, state, one, after_one, two, sorted(graph.get_state(cfg).values["log"])]


@with_savers
def test_parallel_subgraphs_resumed_at_once_by_id(lib, saver):
    b = lib.StateGraph(P)
    b.add_node("left", _asking_subgraph(lib, "left"))
    b.add_node("right", _asking_subgraph(lib, "right"))
    b.add_edge(lib.START, "left")
    b.add_edge(lib.START, "right")
    graph = b.compile(checkpointer=saver())
    cfg = _cfg()
    graph.invoke({"log": []}, cfg)
    answers = {i.id: i.value.upper() for i in graph.get_state(cfg).interrupts}
    done = graph.invoke(lib.Command(resume=answers), cfg)
    return [sorted(done["log"]), graph.get_state(cfg)]


@with_savers
def test_static_breakpoint_and_node_interrupt_inside(lib, saver):
    def a(s):
        return {"log": ["a"]}

    def gate(s):
        if not s.get("answer"):
            raise lib.NodeInterrupt("gate closed")
        return {"log": ["gate"]}

    sb = lib.StateGraph(S)
    sb.add_node("a", a)
    sb.add_node("gate", gate)
    sb.add_edge(lib.START, "a")
    sb.add_edge("a", "gate")
    graph = _parent(lib, sb.compile(interrupt_before=["gate"]), saver)
    cfg = _cfg()
    out = [list(graph.stream({"log": []}, cfg, subgraphs=True)), graph.get_state(cfg, subgraphs=True)]
    out.append(list(graph.stream(None, cfg, subgraphs=True)))
    out.append(graph.get_state(cfg, subgraphs=True))
    sub_config = graph.get_state(cfg).tasks[0].state
    graph.update_state(sub_config, {"answer": "open"})
    out.append(list(graph.stream(None, cfg, subgraphs=True)))
    out.append(graph.get_state(cfg))
    return out


@with_savers
def test_update_state_inside_a_subgraph_then_resume(lib, saver):
    graph = _parent(lib, _asking_subgraph(lib), saver)
    cfg = _cfg()
    graph.invoke({"log": []}, cfg)
    sub_config = graph.get_state(cfg).tasks[0].state
    graph.update_state(sub_config, {"log": ["edited"]}, as_node="prepare")
    after_update = graph.get_state(cfg, subgraphs=True)
    sub_history = [(h.values, h.next, h.metadata["source"]) for h in graph.get_state_history(sub_config)]
    resumed = graph.invoke(lib.Command(resume="ok"), cfg)
    return [after_update, sub_history, resumed]


@with_savers
def test_command_parent_from_a_subgraph_node(lib, saver):
    def a(s):
        return {"log": ["a"]}

    def escape(s):
        return lib.Command(graph=lib.Command.PARENT, goto="elsewhere", update={"log": ["escape"]})

    sb = lib.StateGraph(S)
    sb.add_node("a", a)
    sb.add_node("escape", escape)
    sb.add_edge(lib.START, "a")
    sb.add_edge("a", "escape")

    def elsewhere(s):
        return {"log": ["elsewhere"]}

    def after(s):
        return {"log": ["after"]}

    b = lib.StateGraph(S)
    b.add_node("sub", sb.compile())
    b.add_node("elsewhere", elsewhere)
    b.add_node("after", after)
    b.add_edge(lib.START, "sub")
    b.add_edge("sub", "after")
    graph = b.compile(checkpointer=saver())
    cfg = _cfg()
    events = list(graph.stream({"log": []}, cfg, subgraphs=True))
    # (The last step runs `after` and `elsewhere` in parallel: their order is the threads'.)
    return [events[:2], sorted(events[2:], key=repr), graph.get_state(cfg)]


@with_savers
def test_subgraph_checkpointer_true_keeps_its_history_and_false_none(lib, saver):
    def count(s):
        return {"steps": [str(len(s.get("steps", [])))]}

    def build(**kw):
        ib = lib.StateGraph(Inner)
        ib.add_node("count", count)
        ib.add_edge(lib.START, "count")
        return ib.compile(**kw)

    kept, none = build(checkpointer=True), build(checkpointer=False)

    def call(s):
        a = kept.invoke({"steps": []})
        b = none.invoke({"steps": []})
        return {"log": [a["steps"], b["steps"]]}

    b = lib.StateGraph(S)
    b.add_node("call", call)
    b.add_edge(lib.START, "call")
    graph = b.compile(checkpointer=saver())
    cfg = _cfg()
    return [graph.invoke({"log": []}, cfg), graph.invoke({"log": []}, cfg)]


@with_savers
def test_astream_subgraphs_every_mode(lib, saver):
    import asyncio

    graph = _parent(lib, _asking_subgraph(lib), saver)
    cfg = _cfg()

    async def go():
        out = []
        async for ns, mode, chunk in graph.astream(
            {"log": []}, cfg, subgraphs=True, stream_mode=["values", "updates", "custom", "tasks"]
        ):
            if mode == "tasks":
                chunk = {k: v for k, v in chunk.items() if k != "id"}
            out.append((ns, mode, chunk))
        async for item in graph.astream(lib.Command(resume="y"), cfg, subgraphs=True):
            out.append(item)
        return out

    return asyncio.run(go())


@pytest.mark.parametrize("xray", [False, True, 1, 2])
def test_get_graph_xray_draws_subgraphs(xray):
    def scenario(lib):
        inner = _asking_subgraph(lib, "inner")
        mb = lib.StateGraph(S)
        mb.add_node("inner", inner)
        mb.add_node("tail", lambda s: {"log": ["tail"]})
        mb.add_edge(lib.START, "inner")
        mb.add_edge("inner", "tail")
        graph = _parent(lib, mb.compile(), lambda: None, "mid")
        drawn = graph.get_graph(xray=xray)
        return [
            sorted(drawn.nodes),
            sorted((e.source, e.target, e.conditional) for e in drawn.edges),
            drawn.draw_mermaid(),
        ]

    expected = run(scenario, LANGGRAPH)
    assert run(scenario, LOCKSTEP) == expected


def _strip_ids(value):
    """Checkpoint and task payloads with ids, timestamps and configs taken out (the
    ids are generated differently; norm() takes out only those of UUID shape)."""
    if isinstance(value, dict):
        return {
            k: _strip_ids(v)
            for k, v in value.items()
            if k not in ("id", "timestamp", "config", "parent_config", "parents", "checkpoint_map")
        }
    if isinstance(value, list | tuple):
        return type(value)(_strip_ids(v) for v in value)
    return value


@with_savers
def test_checkpoints_tasks_and_debug_modes_with_subgraphs(lib, saver):
    graph = _parent(lib, _asking_subgraph(lib), saver)
    cfg = _cfg()
    modes = ["checkpoints", "tasks", "debug"]
    first = [_strip_ids(e) for e in graph.stream({"log": []}, cfg, subgraphs=True, stream_mode=modes)]
    again = [_strip_ids(e) for e in graph.stream(lib.Command(resume="y"), cfg, subgraphs=True, stream_mode=modes)]
    return [first, again]


@pytest.mark.parametrize("subgraphs", [False, True])
def test_messages_mode_streams_a_subgraphs_model_tokens(subgraphs):
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    def scenario(lib):
        model = GenericFakeChatModel(messages=iter(["hello there"]))

        def chat(state):
            return {"messages": [model.invoke(state["messages"])]}

        sb = lib.StateGraph(lib.MessagesState)
        sb.add_node("chat", chat)
        sb.add_edge(lib.START, "chat")
        b = lib.StateGraph(lib.MessagesState)
        b.add_node("agent", sb.compile())
        b.add_edge(lib.START, "agent")
        graph = b.compile(checkpointer=lib.MemorySaver())
        out = []
        for item in graph.stream(
            {"messages": [("user", "hi")]}, _cfg(), stream_mode="messages", subgraphs=subgraphs
        ):
            ns, (chunk, meta) = item if subgraphs else ((), item)
            keep = ("langgraph_node", "langgraph_step", "langgraph_checkpoint_ns")
            out.append((ns, chunk.content, {k: meta.get(k) for k in keep}))
        return out

    expected = run(scenario, LANGGRAPH)
    assert run(scenario, LOCKSTEP) == expected


@with_savers
def test_time_travel_inside_a_subgraph(lib, saver):
    graph = _parent(lib, _asking_subgraph(lib), saver)
    cfg = _cfg()
    graph.invoke({"log": []}, cfg)
    graph.invoke(lib.Command(resume="first"), cfg)
    # The subgraph's checkpoints are kept after the parent moved on; travel to the
    # one before its `prepare` ran, from the parent's history.
    at_sub = next(h for h in graph.get_state_history(cfg) if h.next == ("sub",))
    sub_config = at_sub.tasks[0].state
    history = list(graph.get_state_history(sub_config))
    before_prepare = next(h for h in history if h.next == ("prepare",))
    replayed = list(graph.stream(None, before_prepare.config, subgraphs=True))
    paused = graph.get_state(cfg, subgraphs=True)
    resumed = graph.invoke(lib.Command(resume="second"), cfg)
    return [[(h.values, h.next) for h in history], replayed, paused, resumed]


@with_savers
def test_time_travel_two_deep(lib, saver):
    mb = lib.StateGraph(S)
    mb.add_node("mid_start", lambda s: {"log": ["mid.start"]})
    mb.add_node("inner", _asking_subgraph(lib, "inner"))
    mb.add_edge(lib.START, "mid_start")
    mb.add_edge("mid_start", "inner")
    graph = _parent(lib, mb.compile(), saver, "mid")
    cfg = _cfg()
    graph.invoke({"log": []}, cfg)
    inner = graph.get_state(cfg, subgraphs=True).tasks[0].state.tasks[0].state
    before_ask = next(h for h in graph.get_state_history(inner.config) if h.next == ("ask",))
    replayed = list(graph.stream(None, before_ask.config, subgraphs=True))
    return [replayed, graph.invoke(lib.Command(resume="again"), cfg)]
