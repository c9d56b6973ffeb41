"""Streaming behaviour of Lockstep's own: the one list of stream modes, refusals,
namespaces. (What LangGraph also does is compared in scenarios/test_streaming_scenarios.py.)"""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest
from support import DRIVERS, run, thread

from lockstep import START, StateGraph
from lockstep.checkpoint import MemorySaver
from lockstep.pregel.events import emit_event
from lockstep.pregel.streaming import (
    STREAM_MODES,
    namespace_tuple,
    stream_modes,
    task_namespace,
)
from lockstep.types import StreamMode


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


def chain(**compile_kw):
    graph = StateGraph(S)
    graph.add_node("a", lambda s: {"log": ["a"]})
    graph.add_edge(START, "a")
    return graph.compile(**compile_kw)


def test_the_mode_list_is_the_public_literal():
    assert STREAM_MODES == StreamMode.__args__
    assert {"values", "updates", "checkpoints", "tasks", "debug", "custom"} <= set(STREAM_MODES)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("mode", ["everything", ["values", "nope"], []])
def test_an_unknown_or_empty_mode_is_refused_before_the_run(driver, mode):
    app = chain(checkpointer=MemorySaver())
    with pytest.raises(ValueError, match="stream_mode") as err:
        run(app, {"log": []}, thread("t"), driver=driver, stream_mode=mode)
    if mode:
        assert "'checkpoints'" in str(err.value)  # the choices are named
    assert app.get_state(thread("t")).values == {}  # nothing ran


def test_stream_modes_keeps_order_and_accepts_a_tuple():
    assert stream_modes(("tasks", "values")) == ["tasks", "values"]
    assert stream_modes("custom") == ["custom"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_subgraph_namespace_at_the_root_is_refused(driver):
    app = chain(checkpointer=MemorySaver())
    cfg = {"configurable": {"thread_id": "t", "checkpoint_ns": "child:1"}}
    with pytest.raises(ValueError, match="checkpoint_ns 'child:1'"):
        run(app, {"log": []}, cfg, driver=driver)


def test_namespaces_are_built_as_langgraph_builds_them():
    ns = task_namespace("", "outer", "t1")
    assert ns == "outer:t1"
    nested = task_namespace(ns, "inner", "t2")
    assert nested == "outer:t1|inner:t2"
    assert namespace_tuple(nested) == ("outer:t1", "inner:t2")
    assert namespace_tuple("") == ()


@pytest.mark.parametrize("driver", DRIVERS)
def test_checkpoint_configs_carry_the_runs_namespace(driver):
    app = chain(checkpointer=MemorySaver())
    out = run(app, {"log": []}, thread("t"), driver=driver, stream_mode="checkpoints")
    assert [c["config"]["configurable"]["checkpoint_ns"] for c in out] == ["", "", ""]
    assert app.get_state(thread("t")).config["configurable"]["checkpoint_ns"] == ""


@pytest.mark.parametrize("driver", DRIVERS)
def test_invoke_values_path_is_untouched_by_subgraphs(driver):
    app = chain()
    assert run(app, {"log": []}, None, driver=driver, stream_mode="values", subgraphs=True) == [
        ((), {"log": []}),
        ((), {"log": ["a"]}),
    ]
    assert app.invoke({"log": []}) == {"log": ["a"]}


def collect_events(app, input, **kw):
    async def go():
        return [e async for e in app.astream_events(input, **kw)]

    return asyncio.run(go())


def test_astream_events_refuses_other_versions():
    with pytest.raises(ValueError, match="version='v2'"):
        collect_events(chain(), {"log": []}, version="v1")


@pytest.mark.parametrize("is_async", [False, True])
def test_a_node_adds_its_own_event_under_its_run(is_async):
    def sync_node(state):
        emit_event({"event": "on_custom_event", "name": "progress", "run_id": "r1", "data": {"n": 1}})
        return {"log": ["a"]}

    async def async_node(state):
        sync_node(state)
        return {"log": ["a"]}

    graph = StateGraph(S)
    graph.add_node("a", async_node if is_async else sync_node)
    graph.add_edge(START, "a")
    events = collect_events(graph.compile(), {"log": []}, version="v2")
    kinds = [(e["event"], e["name"]) for e in events]
    assert kinds.index(("on_chain_start", "a")) < kinds.index(("on_custom_event", "progress"))
    assert kinds.index(("on_custom_event", "progress")) < kinds.index(("on_chain_end", "a"))
    mine = next(e for e in events if e["event"] == "on_custom_event")
    node = next(e for e in events if e["name"] == "a")
    graph_run = events[0]
    assert mine["parent_ids"] == [graph_run["run_id"], node["run_id"]]
    assert mine["metadata"]["langgraph_node"] == "a"
    assert mine["tags"] == ["graph:step:1"]


def test_a_graph_a_node_invokes_leaves_astream_events_of_the_outer_run_whole():
    """The inner graph is a run of its own: it does not take over the outer run's
    events (a sync graph once lost every node event after the call)."""
    inner = StateGraph(S)
    inner.add_node("i", lambda s: {"log": ["i"]})
    inner.add_edge(START, "i")
    inner = inner.compile()
    graph = StateGraph(S)
    graph.add_node("o", lambda s: {"log": inner.invoke({"log": []})["log"]})
    graph.add_node("p", lambda s: {"log": ["p"]})
    graph.add_edge(START, "o")
    graph.add_edge("o", "p")
    graph = graph.compile()

    async def main() -> list[tuple[str, str]]:
        return [(e["event"], e["name"]) async for e in graph.astream_events({"log": []}, version="v2")]

    nodes = [(kind, name) for kind, name in asyncio.run(main()) if name in ("o", "p")]
    assert nodes == [
        ("on_chain_start", "o"), ("on_chain_stream", "o"), ("on_chain_end", "o"),
        ("on_chain_start", "p"), ("on_chain_stream", "p"), ("on_chain_end", "p"),
    ]


def test_emit_event_outside_astream_events_reaches_no_one_and_outside_a_node_raises():
    def node(state):
        emit_event({"event": "on_custom_event", "name": "x", "run_id": "r", "data": {}})
        return {"log": ["a"]}

    graph = StateGraph(S)
    graph.add_node("a", node)
    graph.add_edge(START, "a")
    assert graph.compile().invoke({"log": []}) == {"log": ["a"]}
    with pytest.raises(RuntimeError, match="inside a running node"):
        emit_event({"event": "on_custom_event", "name": "x", "run_id": "r", "data": {}})


def test_astream_events_include_and_exclude_filters():
    app = chain()
    names = {e["name"] for e in collect_events(app, {"log": []}, include_types=["chain"], exclude_names=["a"])}
    assert names == {"LangGraph"}
    assert collect_events(app, {"log": []}, include_tags=["nothing"]) == []
    tagged = collect_events(app, {"log": []}, config={"tags": ["t"]}, include_tags=["graph:step:1"])
    assert {e["name"] for e in tagged} == {"a"}


def test_astream_events_passes_astreams_keywords_and_refuses_unknown_ones():
    app = chain(checkpointer=MemorySaver())
    cfg = thread("k")
    ends = [
        e["data"]["output"]
        for e in collect_events(app, {"log": []}, config=cfg, interrupt_before=["a"])
        if e["event"] == "on_chain_end"
    ]
    assert ends == [{"log": []}]  # paused before a
    with pytest.raises(TypeError, match="bogus"):
        collect_events(app, {"log": []}, config=cfg, bogus=1)
