"""Scenarios of run control: recursion limits, step order, Overwrite, deferred nodes,
update_state with a Command, resumes, caching and durability."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from harness import compared, outcome


class Log(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


def _logs(name: str):
    return lambda state: {"log": [name]}


def _chain(lib, length: int):
    graph = lib.StateGraph(Log)
    names = [f"step{i}" for i in range(length)]
    for name in names:
        graph.add_node(name, lambda s: {"n": s.get("n", 0) + 1})
    graph.add_edge(lib.START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        graph.add_edge(a, b)
    return graph.compile()


@compared
def test_long_chain_runs_under_the_default_recursion_limit(lib):
    """A 60-step chain needs no recursion_limit (LangGraph 1.2's default is 10007)."""
    return _chain(lib, 60).invoke({"n": 0})


@compared
def test_a_run_needing_exactly_the_limit_fails(lib):
    """The limit counts steps: a 3-node chain fails with 3, passes with 4."""
    app = _chain(lib, 3)
    return [
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 2}),
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 3}),
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 4}),
    ]


@compared
def test_a_loop_stops_at_the_recursion_limit(lib):
    """An agent loop that never decides to stop is cut off by the limit."""
    graph = lib.StateGraph(Log)
    graph.add_node("think", lambda s: {"n": s.get("n", 0) + 1})
    graph.add_edge(lib.START, "think")
    graph.add_conditional_edges("think", lambda s: "think" if s["n"] < 1000 else lib.END)
    app = graph.compile()
    return [
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 10}),
        outcome(app.invoke, {"n": 995}, {"recursion_limit": 10}),
    ]


@compared
def test_parallel_nodes_stream_their_updates_in_name_order(lib):
    """Sync nodes woken together report in node-name order, whatever order they were added in."""
    graph = lib.StateGraph(Log)
    for name in ("merge", "zeta", "alpha", "beta"):
        graph.add_node(name, _logs(name))
        graph.add_edge(lib.START, name)
    graph.add_node("after_zeta", _logs("after_zeta"))
    graph.add_node("after_merge", _logs("after_merge"))
    graph.add_edge("zeta", "after_zeta")
    graph.add_edge("merge", "after_merge")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    chunks = list(app.stream({"log": []}, cfg, stream_mode=["updates", "values"]))
    history = [(s.next, s.metadata["step"]) for s in app.get_state_history(cfg)]
    return [chunks, history]
