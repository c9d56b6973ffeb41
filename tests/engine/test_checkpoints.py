"""Checkpoints: one after the input and one per step, with step/source/parents metadata,
sortable ids, a parent and created_at; pending writes make a resume re-run only what
did not finish."""

from __future__ import annotations

import datetime
import operator
import threading
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import START, StateGraph


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def abc(saver):
    b = StateGraph(S)
    for n in "abc":
        b.add_node(n, lambda s, n=n: {"log": [n]})
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "c")
    return b.compile(checkpointer=saver)


def test_one_checkpoint_after_the_input_and_after_every_step(saver, driver):
    graph = abc(saver)
    cfg = thread("c")
    run(graph, {"x": 1}, cfg, driver=driver)
    history = list(graph.get_state_history(cfg))
    assert [(h.metadata["step"], h.metadata["source"]) for h in history] == [
        (3, "loop"),
        (2, "loop"),
        (1, "loop"),
        (0, "loop"),
        (-1, "input"),
    ]
    assert all(h.metadata["parents"] == {} for h in history)
    assert [h.next for h in history] == [(), ("c",), ("b",), ("a",), ("__start__",)]


def test_ids_sort_by_creation_and_parents_chain(saver):
    graph = abc(saver)
    cfg = thread("c")
    graph.invoke({"x": 1}, cfg)
    graph.invoke({"x": 2}, cfg)  # a second run on the thread continues the chain
    history = list(graph.get_state_history(cfg))
    assert len(history) == 10
    ids = [h.config["configurable"]["checkpoint_id"] for h in history]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == len(ids)
    for newer, older in zip(history, history[1:], strict=False):
        assert newer.parent_config == older.config
        assert newer.created_at >= older.created_at
    assert history[-1].parent_config is None
    assert history[4].metadata == {"source": "input", "step": 4, "parents": {}}
    for h in history:
        assert h.config["configurable"]["thread_id"] == "c"
        stamp = datetime.datetime.fromisoformat(h.created_at)
        assert stamp.tzinfo is not None


def test_ids_stay_sorted_across_threads_made_concurrently(saver):
    graph = abc(saver)
    threads = [threading.Thread(target=graph.invoke, args=({"x": i}, thread(f"t{i}"))) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        ids = [h.config["configurable"]["checkpoint_id"] for h in graph.get_state_history(thread(f"t{i}"))]
        assert ids == sorted(ids, reverse=True) and len(ids) == 5


def test_get_state_reads_the_latest_checkpoint(saver):
    graph = abc(saver)
    cfg = thread("c")
    graph.invoke({"x": 1}, cfg)
    state = graph.get_state(cfg)
    head = next(iter(graph.get_state_history(cfg)))
    assert state == head
    assert state.created_at and state.parent_config
    assert state.metadata == {"source": "loop", "step": 3, "parents": {}}


def test_pending_writes_rerun_only_the_task_that_did_not_finish(saver, driver):
    """In one step 'fine' finishes and 'broken' raises: a resume runs 'broken' alone and
    'fine's writes (kept as pending writes) are applied once."""
    calls = {"fine": 0, "broken": 0}
    broken = {"on": True}

    def fine(state):
        calls["fine"] += 1
        return {"log": ["fine"]}

    def fragile(state):
        calls["broken"] += 1
        if broken["on"]:
            raise RuntimeError("down")
        return {"log": ["broken"]}

    b = StateGraph(S)
    b.add_node("fine", fine)
    b.add_node("broken", fragile)
    b.add_edge(START, "fine")
    b.add_edge(START, "broken")
    graph = b.compile(checkpointer=saver)
    cfg = thread("p")
    with pytest.raises(RuntimeError):
        run(graph, {"x": 0}, cfg, driver=driver)
    assert calls == {"fine": 1, "broken": 1}
    broken["on"] = False
    run(graph, None, cfg, driver=driver)
    assert calls == {"fine": 1, "broken": 2}
    assert graph.get_state(cfg).values["log"] == ["broken", "fine"]  # by name, each once


def test_pending_writes_survive_an_interrupt_in_the_same_step(saver, driver):
    from lockstep import Command, interrupt

    calls = {"fine": 0, "ask": 0}

    def fine(state):
        calls["fine"] += 1
        return {"log": ["fine"]}

    def ask(state):
        calls["ask"] += 1
        return {"log": [interrupt("?")]}

    b = StateGraph(S)
    b.add_node("fine", fine)
    b.add_node("ask", ask)
    b.add_edge(START, "fine")
    b.add_edge(START, "ask")
    graph = b.compile(checkpointer=saver)
    cfg = thread("p")
    run(graph, {"x": 0}, cfg, driver=driver)
    run(graph, Command(resume="!"), cfg, driver=driver)
    assert calls == {"fine": 1, "ask": 2}
    assert graph.get_state(cfg).values["log"] == ["!", "fine"]


def test_a_new_input_drops_unfinished_tasks(saver):
    b = StateGraph(S)
    b.add_node("stop", lambda s: {"log": ["stop"]})
    b.add_node("later", lambda s: {"log": ["later"]})
    b.add_edge(START, "stop")
    b.add_edge("stop", "later")
    graph = b.compile(checkpointer=saver, interrupt_before=["later"])
    cfg = thread("n")
    graph.invoke({"x": 1}, cfg)
    assert graph.get_state(cfg).next == ("later",)
    graph.invoke({"x": 2}, cfg)  # a fresh input: starts again from START
    state = graph.get_state(cfg)
    assert state.values == {"x": 2, "log": ["stop", "stop"]}
    assert state.next == ("later",)
