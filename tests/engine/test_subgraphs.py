"""Subgraphs as a host drives them (a run handle), and what Lockstep's differential
scenarios do not show: where a subgraph's checkpoints are kept, that they go with
their thread, and the refusals."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest

from lockstep import START, Command, StateGraph, interrupt
from lockstep.checkpoint import MemorySaver, SqliteSaver
from lockstep.examples.nested import graph as nested_example


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


def _saver(kind: str, tmp_path):
    return MemorySaver() if kind == "memory" else SqliteSaver(str(tmp_path / "subgraphs.db"))


def _asking(name: str = "sub"):
    def ask(state: S) -> S:
        return {"log": [f"{name}:{interrupt(name + '?')}"]}

    b = StateGraph(S)
    b.add_node("ask", ask)
    b.add_edge(START, "ask")
    return b.compile()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_nested_example_pauses_inside_and_a_host_resumes_it(kind, tmp_path):
    graph = nested_example.copy({"checkpointer": _saver(kind, tmp_path)})
    cfg = {"configurable": {"thread_id": "n1"}}

    async def go():
        handle = graph.start_run({"request": " a boat "}, cfg, stream_mode=["updates"], subgraphs=True)
        first = [event async for event in handle]
        await handle.stopped()
        paused = (handle.next, handle.interrupts)
        nested = await graph.aget_state(cfg, subgraphs=True)
        again = graph.start_run(Command(resume=True), cfg, stream_mode=["updates"], subgraphs=True)
        second = [event async for event in again]
        await again.stopped()
        return first, paused, nested, second, again.final

    first, (nxt, interrupts), nested, second, final = asyncio.run(go())
    namespaces = [ns for ns, _, _ in first]
    assert namespaces[0] == () and namespaces[-1] == ()
    inner = {ns for ns in namespaces if ns}
    assert len(inner) == 1
    (ns,) = inner
    assert ns[0].startswith("approval:")
    assert ("updates", {"check": {"checked": True}}) in [(m, c) for n, m, c in first if n == ns]
    assert nxt == ("approval",)
    assert [i.value["question"] for i in interrupts] == ["Approve this request?"]
    task = nested.tasks[0]
    assert task.state.next == ("ask",) and task.state.values["checked"] is True
    assert task.state.config["configurable"]["checkpoint_ns"] == ns[0]
    # The resume ran only the subgraph's node that had not finished, then the parent's.
    assert [(n, list(c)) for n, m, c in second] == [(ns, ["ask"]), ((), ["approval"]), ((), ["act"])]
    assert final.values["outcome"] == "done" and final.next == ()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_subgraph_checkpoints_stay_on_the_thread_and_go_with_it(kind, tmp_path):
    saver = _saver(kind, tmp_path)
    b = StateGraph(S)
    b.add_node("sub", _asking())
    b.add_edge(START, "sub")
    graph = b.compile(checkpointer=saver)
    for thread in ("t1", "t2"):
        graph.invoke({"log": []}, {"configurable": {"thread_id": thread}})
    assert sorted(saver.list_threads()) == ["t1", "t2"]  # subgraphs' keys are not threads
    sub_config = graph.get_state({"configurable": {"thread_id": "t1"}}).tasks[0].state
    assert len(list(graph.get_state_history(sub_config))) == 2  # its input, then its step
    saver.delete_thread("t1")
    assert list(graph.get_state_history(sub_config)) == []
    other = graph.get_state({"configurable": {"thread_id": "t2"}}, subgraphs=True)
    assert other.tasks[0].state.next == ("ask",)  # the other thread's subgraph is kept


def test_a_namespace_that_names_no_subgraph_is_refused():
    b = StateGraph(S)
    b.add_node("plain", lambda s: {"log": ["x"]})
    b.add_edge(START, "plain")
    graph = b.compile(checkpointer=MemorySaver())
    bad = {"configurable": {"thread_id": "t", "checkpoint_ns": "plain:0"}}
    with pytest.raises(ValueError, match="runs a subgraph"):
        graph.get_state(bad)
    with pytest.raises(ValueError, match="runs a subgraph"):
        graph.update_state(bad, {"log": ["y"]})


def test_checkpointer_true_is_for_subgraphs_only():
    b = StateGraph(S)
    b.add_node("plain", lambda s: {"log": ["x"]})
    b.add_edge(START, "plain")
    graph = b.compile(checkpointer=True)
    with pytest.raises(RuntimeError, match="checkpointer=True"):
        graph.invoke({"log": []})


def test_command_parent_at_the_top_is_refused():
    b = StateGraph(S)
    b.add_node("up", lambda s: Command(graph=Command.PARENT, goto="up"))
    b.add_edge(START, "up")
    with pytest.raises(ValueError, match="parent graph"):
        b.compile().invoke({"log": []})
