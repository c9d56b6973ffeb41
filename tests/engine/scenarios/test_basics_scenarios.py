"""Scenarios every graph author writes first: a chain, a loop, map-reduce, a breakpoint."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from harness import compared, outcome


class Log(TypedDict, total=False):
    log: Annotated[list, operator.add]
    topic: str


@compared
def test_chain_streams_updates_and_values(lib):
    graph = lib.StateGraph(Log)
    graph.add_node("a", lambda s: {"log": ["a"]})
    graph.add_node("b", lambda s: {"log": ["b"], "topic": "done"})
    graph.add_edge(lib.START, "a")
    graph.add_edge("a", "b")
    graph.add_edge("b", lib.END)
    app = graph.compile()
    return [
        list(app.stream({"topic": "x"})),
        list(app.stream({"topic": "x"}, stream_mode="values")),
        list(app.stream({"topic": "x"}, stream_mode=["updates", "values"])),
        app.invoke({"topic": "x"}),
    ]


@compared
def test_map_reduce_with_send(lib):
    def fan_out(state):
        return [lib.Send("work", {"topic": t}) for t in state["topic"].split()]

    graph = lib.StateGraph(Log)
    graph.add_node("work", lambda s: {"log": [s["topic"].upper()]})
    graph.add_conditional_edges(lib.START, fan_out, ["work"])
    graph.add_edge("work", lib.END)
    app = graph.compile()
    return app.invoke({"topic": "a b c"})


@compared
def test_breakpoint_edit_and_resume(lib):
    graph = lib.StateGraph(Log)
    graph.add_node("plan", lambda s: {"log": ["plan:" + s["topic"]]})
    graph.add_node("act", lambda s: {"log": ["act:" + s["topic"]]})
    graph.add_edge(lib.START, "plan")
    graph.add_edge("plan", "act")
    app = graph.compile(checkpointer=lib.MemorySaver(), interrupt_before=["act"])
    cfg = {"configurable": {"thread_id": "1"}}
    first = app.invoke({"topic": "x"}, cfg)
    paused = app.get_state(cfg)
    app.update_state(cfg, {"topic": "y"})
    rest = app.invoke(None, cfg)
    history = [(s.values, s.next, s.metadata["source"]) for s in app.get_state_history(cfg)]
    return [first, paused, rest, history]


@compared
def test_unknown_node_in_edge_is_refused(lib):
    graph = lib.StateGraph(Log)
    graph.add_node("a", lambda s: {})
    graph.add_edge(lib.START, "a")
    graph.add_edge("a", "nowhere")
    return outcome(graph.compile)


@compared
def test_join_edge_into_end(lib):
    """add_edge([...], END): the run ends once every branch has, however long each is."""
    graph = lib.StateGraph(Log)
    graph.add_node("a", lambda s: {"log": ["a"]})
    graph.add_node("a2", lambda s: {"log": ["a2"]})
    graph.add_node("b", lambda s: {"log": ["b"]})
    graph.add_edge(lib.START, "a")
    graph.add_edge(lib.START, "b")
    graph.add_edge("a", "a2")
    graph.add_edge(["a2", "b"], lib.END)
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    steps = list(app.stream({"log": []}, cfg, stream_mode="values"))
    history = [(s.values, s.next, s.metadata["step"]) for s in app.get_state_history(cfg)]
    return [steps, app.get_state(cfg), history, app.get_graph().draw_mermaid()]
