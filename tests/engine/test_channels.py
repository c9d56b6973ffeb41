"""Channels: plain keys keep the last value (one writer per step), Annotated keys reduce."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import END, START, InvalidUpdateError, StateGraph
from lockstep.checkpoint import MemorySaver


class S(TypedDict):
    x: int
    y: str
    log: Annotated[list, operator.add]
    best: Annotated[int, max]


def node(update):
    def fn(state):
        return update

    return fn


def parallel(writers: dict) -> StateGraph:
    b = StateGraph(S)
    for name, update in writers.items():
        b.add_node(name, node(update))
        b.add_edge(START, name)
    return b


def test_two_writers_to_a_plain_key_in_one_step_name_both_nodes(driver):
    graph = parallel({"w1": {"x": 1}, "w2": {"x": 2}}).compile(checkpointer=MemorySaver())
    with pytest.raises(InvalidUpdateError) as info:
        run(graph, {"x": 0}, thread("t"), driver=driver)
    message = str(info.value)
    assert "'x'" in message and "'w1'" in message and "'w2'" in message


def test_one_writer_per_plain_key_in_one_step_is_fine():
    graph = parallel({"w1": {"x": 1}, "w2": {"y": "two"}}).compile()
    assert graph.invoke({"x": 0, "y": ""}) == {"x": 1, "y": "two", "log": [], "best": 0}


def test_a_plain_key_written_in_successive_steps_keeps_the_last():
    b = StateGraph(S)
    b.add_node("a", node({"x": 1}))
    b.add_node("b", node({"x": 2}))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    assert b.compile().invoke({"x": 0})["x"] == 2


def test_reducers_fold_every_write_of_a_step():
    graph = parallel(
        {"w1": {"log": ["w1"], "best": 5}, "w2": {"log": ["w2"], "best": 3}}
    ).compile()
    out = graph.invoke({"x": 0, "log": ["in"], "best": 4})
    assert out["log"] == ["in", "w1", "w2"]
    assert out["best"] == 5


def test_reducer_applies_to_the_input_of_each_run_on_a_thread():
    graph = parallel({"w1": {"log": ["w1"]}}).compile(checkpointer=MemorySaver())
    cfg = thread("t")
    graph.invoke({"log": ["first"]}, cfg)
    graph.invoke({"log": ["second"]}, cfg)
    assert graph.get_state(cfg).values["log"] == ["first", "w1", "second", "w1"]


def merge(left: dict, right: dict) -> dict:
    return {**left, **right}


class M(TypedDict):
    d: Annotated[dict, merge]


def test_custom_reducer_function():
    b = StateGraph(M)
    b.add_node("a", node({"d": {"a": 1}}))
    b.add_node("b", node({"d": {"b": 2, "z": 0}}))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    assert b.compile().invoke({"d": {"z": 9}}) == {"d": {"z": 0, "a": 1, "b": 2}}


def test_partial_updates_leave_other_keys_alone():
    b = StateGraph(S)
    b.add_node("a", node({"y": "set"}))
    b.add_edge(START, "a")
    assert b.compile().invoke({"x": 7}) == {"x": 7, "y": "set", "log": [], "best": 0}


def test_updates_mode_shows_what_each_node_returned():
    graph = parallel({"w1": {"log": ["w1"]}, "w2": None}).compile()
    assert list(graph.stream({"x": 0}, stream_mode="updates")) == [
        {"w1": {"log": ["w1"]}},
        {"w2": None},
    ]


def test_overwrite_survives_delta_storage(saver):
    """A reducer key stored as deltas between full copies reads back right across an
    Overwrite, in every checkpoint of the history, from either saver."""
    from lockstep.types import Overwrite

    class L(TypedDict):
        log: Annotated[list, operator.add]
        n: int

    b = StateGraph(L)
    b.add_node("add", lambda s: {"log": [s["n"]], "n": s["n"] + 1})
    b.add_node("reset", lambda s: {"log": Overwrite(["reset"]), "n": s["n"] + 1})
    b.add_edge(START, "add")
    b.add_conditional_edges(
        "add", lambda s: "reset" if s["n"] == 9 else ("add" if s["n"] < 20 else END)
    )
    b.add_edge("reset", "add")
    graph = b.compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "t"}}
    assert graph.invoke({"log": [], "n": 0}, cfg)["log"] == ["reset", *range(10, 20)]
    history = [s.values["log"] for s in graph.get_state_history(cfg)][::-1]
    assert history[11] == ["reset"]  # input, __start__, nine adds, the reset
    assert history[12] == ["reset", 10]
    assert history[10] == list(range(9))


def test_two_overwrites_in_a_step_are_refused_and_dict_forms_count():
    from lockstep.graph.channels import Reducer
    from lockstep.types import Overwrite

    channel = Reducer("log", operator.add).fresh()
    channel.update([("a", [1]), ("b", {"__overwrite__": [2]}), ("c", [3])])
    assert channel.get() == [2]
    channel.update([("a", {"value": [4], "type": "__overwrite__"})])
    assert channel.get() == [4]
    with pytest.raises(InvalidUpdateError, match="only one Overwrite"):
        channel.update([("a", Overwrite([5])), ("b", Overwrite([6]))])
