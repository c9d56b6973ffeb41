"""durability="exit": nothing is saved while the run goes on; where it ended is saved
whole, with a paused or failed step's pending writes (as LangGraph)."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import END, START, Command, StateGraph, interrupt


class S(TypedDict):
    log: Annotated[list, operator.add]
    n: int


def _graph(saver, fail: bool = False):
    def ask(state):
        return {"log": ["ask:" + interrupt("ok?")]}

    def boom(state):
        raise ValueError("boom")

    b = StateGraph(S)
    b.add_node("a", lambda s: {"log": ["a"], "n": 1})
    b.add_node("b", lambda s: {"log": ["b"]})
    b.add_node("ask", boom if fail else ask)
    b.add_node("c", lambda s: {"log": ["c"], "n": 2})
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "ask")
    b.add_edge("ask", "c")
    b.add_edge("c", END)
    return b.compile(checkpointer=saver)


def _history(graph, cfg):
    return [(s.values, s.next, s.metadata["step"]) for s in graph.get_state_history(cfg)]


def test_exit_saves_only_where_the_run_paused_and_ended(saver, driver):
    graph = _graph(saver)
    cfg = thread("t")
    run(graph, {"log": []}, cfg, driver=driver, durability="exit")
    assert _history(graph, cfg) == [({"log": ["a", "b"], "n": 1}, ("ask",), 2)]
    assert [i.value for i in graph.get_state(cfg).interrupts] == ["ok?"]
    run(graph, Command(resume="yes"), cfg, driver=driver, durability="exit")
    assert _history(graph, cfg) == [
        ({"log": ["a", "b", "ask:yes", "c"], "n": 2}, (), 4),
        ({"log": ["a", "b"], "n": 1}, ("ask",), 2),
    ]
    # Reread from the store alone: every value was saved whole.
    fresh = _graph(saver)
    assert fresh.get_state(cfg).values == {"log": ["a", "b", "ask:yes", "c"], "n": 2}


def test_exit_saves_a_failed_run_with_its_error(saver, driver):
    graph = _graph(saver, fail=True)
    cfg = thread("t")
    with pytest.raises(ValueError, match="boom"):
        run(graph, {"log": []}, cfg, driver=driver, durability="exit")
    assert _history(graph, cfg) == [({"log": ["a", "b"], "n": 1}, ("ask",), 2)]
    assert graph.get_state(cfg).tasks[0].error is not None


def test_unknown_durability_is_refused():
    with pytest.raises(ValueError, match="'sync' or 'exit'"):
        _graph(None).invoke({"log": []}, durability="later")



def test_exit_saves_where_the_recursion_limit_stopped_the_run(saver, driver):
    from lockstep import GraphRecursionError

    b = StateGraph(S)
    b.add_node("loop", lambda s: {"n": s["n"] + 1})
    b.add_edge(START, "loop")
    b.add_edge("loop", "loop")
    graph = b.compile(checkpointer=saver)
    cfg = {**thread("t"), "recursion_limit": 5}
    with pytest.raises(GraphRecursionError):
        run(graph, {"n": 0, "log": []}, cfg, driver=driver, durability="exit")
    assert _history(graph, thread("t")) == [({"n": 5, "log": []}, ("loop",), 5)]
