"""State API: get_state, update_state (as_node), get_state_history (limit, before),
checkpoint_id to read, replay and fork; the async twins."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest
from support import thread

from lockstep import START, InvalidUpdateError, StateGraph
from lockstep.errors import GraphError


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def abc(saver, calls=None):
    def node(n):
        def fn(state):
            if calls is not None:
                calls.append(n)
            return {"log": [n]}

        return fn

    b = StateGraph(S)
    for n in "abc":
        b.add_node(n, node(n))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "c")
    return b.compile(checkpointer=saver)


def fan(saver):
    b = StateGraph(S)
    b.add_node("p", lambda s: {"log": ["p"]})
    b.add_node("q", lambda s: {"log": ["q"]})
    b.add_edge(START, "p")
    b.add_edge(START, "q")
    return b.compile(checkpointer=saver)


def test_get_state_of_an_unknown_thread_is_empty(saver):
    state = abc(saver).get_state(thread("nobody"))
    assert state.values == {} and state.next == () and state.tasks == ()
    assert state.metadata is None and state.created_at is None and state.parent_config is None


def test_get_state_without_checkpointer_is_an_error():
    b = StateGraph(S)
    b.add_node("a", lambda s: None)
    b.add_edge(START, "a")
    with pytest.raises(ValueError, match="checkpointer"):
        b.compile().get_state(thread("t"))


def test_update_state_goes_through_reducers_and_saves_an_update_checkpoint(saver):
    graph = abc(saver)
    cfg = thread("u")
    graph.invoke({"x": 1}, cfg)
    before = graph.get_state(cfg)
    new_cfg = graph.update_state(cfg, {"x": 5, "log": ["manual"]})
    state = graph.get_state(cfg)
    assert state.config == new_cfg
    assert state.parent_config == before.config
    assert state.values == {"x": 5, "log": ["a", "b", "c", "manual"]}
    assert state.metadata == {"source": "update", "step": 4, "parents": {}}
    assert state.next == ()  # as if 'c' (the last to run) wrote it: nothing follows c


def test_update_state_as_node_recomputes_next(saver):
    calls = []
    graph = abc(saver, calls)
    cfg = thread("u")
    graph.invoke({"x": 1}, cfg, interrupt_before=["b"])
    assert graph.get_state(cfg).next == ("b",)
    graph.update_state(cfg, {"log": ["fake b"]}, as_node="b")  # skips b
    assert graph.get_state(cfg).next == ("c",)
    graph.invoke(None, cfg)
    assert calls == ["a", "c"]
    assert graph.get_state(cfg).values["log"] == ["a", "fake b", "c"]


def test_update_state_as_start_reruns_from_the_top(saver):
    graph = abc(saver)
    cfg = thread("u")
    graph.invoke({"x": 1}, cfg)
    graph.update_state(cfg, {"x": 7}, as_node=START)
    assert graph.get_state(cfg).next == ("a",)


def test_update_state_with_ambiguous_last_writer_is_a_clear_error(saver):
    graph = fan(saver)
    cfg = thread("u")
    graph.invoke({"x": 1}, cfg)
    with pytest.raises(InvalidUpdateError, match="ambiguous.*'p'.*'q'.*as_node"):
        graph.update_state(cfg, {"x": 2})
    graph.update_state(cfg, {"x": 2}, as_node="q")
    assert graph.get_state(cfg).values["x"] == 2


def test_update_state_as_unknown_node_is_a_clear_error(saver):
    graph = abc(saver)
    cfg = thread("u")
    graph.invoke({"x": 1}, cfg)
    with pytest.raises(InvalidUpdateError, match="'zzz' is not a node"):
        graph.update_state(cfg, {"x": 2}, as_node="zzz")
    assert issubclass(InvalidUpdateError, GraphError)


def test_update_state_on_a_fresh_thread_acts_as_input(saver):
    graph = abc(saver)
    cfg = thread("fresh")
    graph.update_state(cfg, {"x": 3})
    state = graph.get_state(cfg)
    assert state.values == {"x": 3, "log": []}
    assert state.next == ("a",)
    assert state.metadata == {"source": "update", "step": 0, "parents": {}}  # as LangGraph
    graph.invoke(None, cfg)
    assert graph.get_state(cfg).values["log"] == ["a", "b", "c"]


def test_history_limit_and_before(saver):
    graph = abc(saver)
    cfg = thread("h")
    graph.invoke({"x": 1}, cfg)
    full = list(graph.get_state_history(cfg))
    steps = [h.metadata["step"] for h in full]
    assert steps == [3, 2, 1, 0, -1]
    assert [h.metadata["step"] for h in graph.get_state_history(cfg, limit=2)] == [3, 2]
    before = full[1].config
    assert [h.metadata["step"] for h in graph.get_state_history(cfg, before=before)] == [1, 0, -1]
    assert [h.metadata["step"] for h in graph.get_state_history(cfg, before=before, limit=1)] == [1]
    assert list(graph.get_state_history(cfg, limit=0)) == []
    assert list(graph.get_state_history(thread("nobody"))) == []


def test_checkpoint_id_reads_that_checkpoint(saver):
    graph = abc(saver)
    cfg = thread("t")
    graph.invoke({"x": 1}, cfg)
    old = list(graph.get_state_history(cfg))[2]  # after a, before b
    state = graph.get_state(old.config)
    assert state == old
    assert state.values == {"x": 1, "log": ["a"]} and state.next == ("b",)


def test_replay_from_a_checkpoint_reruns_what_followed(saver):
    calls = []
    graph = abc(saver, calls)
    cfg = thread("t")
    graph.invoke({"x": 1}, cfg)
    old = list(graph.get_state_history(cfg))[2]
    calls.clear()
    chunks = list(graph.stream(None, old.config, stream_mode="updates"))
    assert chunks == [{"b": {"log": ["b"]}}, {"c": {"log": ["c"]}}]
    assert calls == ["b", "c"]
    history = list(graph.get_state_history(cfg))
    # As LangGraph: a fork checkpoint copies the old one, then the replayed steps follow.
    assert [(h.metadata["step"], h.metadata["source"]) for h in history[:3]] == [
        (4, "loop"),
        (3, "loop"),
        (2, "fork"),
    ]
    assert graph.get_state(cfg).values["log"] == ["a", "b", "c"]
    assert graph.get_state(old.config) == old  # the old checkpoint is untouched


def test_fork_by_updating_an_old_checkpoint(saver):
    graph = abc(saver)
    cfg = thread("t")
    graph.invoke({"x": 1}, cfg)
    old = list(graph.get_state_history(cfg))[2]
    fork_cfg = graph.update_state(old.config, {"x": 99})
    fork = graph.get_state(fork_cfg)
    assert fork.parent_config == old.config
    assert fork.metadata["source"] == "update"
    assert fork.values == {"x": 99, "log": ["a"]} and fork.next == ("b",)
    graph.invoke(None, fork_cfg)
    assert graph.get_state(cfg).values == {"x": 99, "log": ["a", "b", "c"]}
    assert graph.get_state(old.config).values == {"x": 1, "log": ["a"]}


def test_unknown_checkpoint_id_reads_as_empty(saver):
    graph = abc(saver)
    cfg = thread("t")
    graph.invoke({"x": 1}, cfg)
    missing = {"configurable": {"thread_id": "t", "checkpoint_id": "0" * 36}}
    assert graph.get_state(missing).values == {}


def test_async_twins(saver):
    graph = abc(saver)
    cfg = thread("a")

    async def main():
        await graph.ainvoke({"x": 1}, cfg, interrupt_before=["c"])
        state = await graph.aget_state(cfg)
        assert state == graph.get_state(cfg)
        assert state.next == ("c",)
        new_cfg = await graph.aupdate_state(cfg, {"log": ["fake c"]}, as_node="c")
        assert (await graph.aget_state(cfg)).config == new_cfg
        history = [h async for h in graph.aget_state_history(cfg)]
        assert history == list(graph.get_state_history(cfg))
        assert [h.metadata["source"] for h in history[:1]] == ["update"]
        limited = [h async for h in graph.aget_state_history(cfg, limit=2, before=history[0].config)]
        assert limited == history[1:3]
        return await graph.aget_state(cfg)

    final = asyncio.run(main())
    assert final.values["log"] == ["a", "b", "fake c"]
    assert final.next == ()
