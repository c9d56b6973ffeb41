"""A run handle's `final`: the snapshot a run leaves, built from the run, equals what
aget_state then reads back from the store, however the run ended."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest

from lockstep import END, START, Command, NodeInterrupt, StateGraph, interrupt
from lockstep.checkpoint import MemorySaver, SqliteSaver
from lockstep.pregel import NodeError


class State(TypedDict, total=False):
    log: Annotated[list, operator.add]
    text: str


def _graph(saver, use_async: bool, **compile_kw):
    """a -> (b | c) -> d: b asks a question, c may refuse, d closes."""

    def a(state: State) -> State:
        return {"log": ["a"]}

    def b(state: State) -> State:
        answer = interrupt("b asks")
        return {"log": [f"b:{answer}"]}

    def c(state: State) -> State:
        if state.get("text") == "refuse":
            raise NodeInterrupt("c refuses")
        return {"log": ["c"]}

    async def d_async(state: State) -> State:
        return {"log": ["d"], "text": "done"}

    def d_sync(state: State) -> State:
        return {"log": ["d"], "text": "done"}

    builder = StateGraph(State)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_node("c", c)
    builder.add_node("d", d_async if use_async else d_sync)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("a", "c")
    builder.add_edge(["b", "c"], "d")
    builder.add_edge("d", END)
    return builder.compile(checkpointer=saver, **compile_kw)


def _same(built, read) -> None:
    assert built.values == read.values
    assert built.next == read.next
    assert built.config == read.config
    assert built.parent_config == read.parent_config
    assert built.metadata == read.metadata
    assert built.created_at == read.created_at
    assert built.tasks == read.tasks
    assert built.interrupts == read.interrupts


# (input, extra astream kwargs) for the runs made one after another on a thread
SCRIPT = [
    ({"text": "refuse"}, {}),  # b waits on interrupt(), c raises NodeInterrupt
    (None, {}),  # c refuses again, b still waits: no new checkpoint
    (Command(update={"text": "ok"}), {}),  # the update lands; c passes on the re-run
    (Command(resume="yes"), {"interrupt_before": ["d"]}),  # b answered; stop before d
    (None, {"interrupt_after": ["d"]}),  # d runs, then a stop after it
    (None, {}),  # nothing left to do
]
# c passes at once: the step pauses with c's writes saved, shown on top of the head
SCRIPT_FINISHED_WRITES = [({"text": "ok"}, {}), (Command(resume="no"), {})]


@pytest.mark.parametrize("script", [SCRIPT, SCRIPT_FINISHED_WRITES], ids=["long", "finished"])
@pytest.mark.parametrize("use_async", [False, True], ids=["sync-nodes", "async-node"])
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_final_snapshot_equals_the_store_read(tmp_path, store, use_async, script):
    saver = MemorySaver() if store == "memory" else SqliteSaver(str(tmp_path / "t.db"))
    graph = _graph(saver, use_async)
    config = {"configurable": {"thread_id": "t"}}

    async def main() -> None:
        head = None
        for run_input, extra in script:
            run = graph.start_run(run_input, config, **extra)
            async for _ in run:
                pass
            built, read = run.final, await graph.aget_state(config)
            if built is None:  # only a run that saved no checkpoint gives none
                assert read.config == head
            else:
                _same(built, read)
                assert run.next == read.next
                assert run.interrupts == read.interrupts
            head = read.config
        assert read.values["text"] == "done" and read.next == ()

    asyncio.run(main())


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-node", "async-node"])
def test_a_failed_node_is_a_node_error_and_leaves_no_final(use_async):
    """A host learns which node failed from NodeError; invoke raises the node's own
    exception, as LangGraph does."""
    def boom(state: State) -> State:
        raise ValueError("boom")

    async def aboom(state: State) -> State:
        raise ValueError("boom")

    builder = StateGraph(State)
    builder.add_node("boom", aboom if use_async else boom)
    builder.add_edge(START, "boom")
    builder.add_edge("boom", END)
    graph = builder.compile(checkpointer=MemorySaver())

    async def main() -> None:
        run = graph.start_run({"text": "x"}, {"configurable": {"thread_id": "f"}})
        with pytest.raises(NodeError) as caught:
            async for _ in run:
                pass
        assert caught.value.node == "boom"
        assert type(caught.value.cause) is ValueError and str(caught.value.cause) == "boom"
        assert not hasattr(caught.value.cause, "lockstep_node")
        await asyncio.wait_for(run.stopped(), 5)
        assert run.final is None and run.interrupts == () and run.next == ()
        with pytest.raises(ValueError, match="boom"):  # not a NodeError: LangGraph's own
            async for _ in graph.astream({"text": "x"}, {"configurable": {"thread_id": "g"}}):
                pass

    asyncio.run(main())
    with pytest.raises(ValueError, match="boom") as caught:
        graph.invoke({"text": "x"}, {"configurable": {"thread_id": "h"}})
    assert type(caught.value) is ValueError


@pytest.mark.parametrize("script", [SCRIPT, SCRIPT_FINISHED_WRITES], ids=["long", "finished"])
def test_invoke_returns_the_last_values_chunk_of_the_same_run_streamed(script):
    """invoke reads the state only for the chunk it returns: it must be the one
    stream(stream_mode="values") ends with, however the run ends."""
    invoked = _graph(MemorySaver(), use_async=False)
    streamed = _graph(MemorySaver(), use_async=False)
    config = {"configurable": {"thread_id": "t"}}
    for run_input, extra in script:
        got = invoked.invoke(run_input, config, **extra)
        chunks = list(streamed.stream(run_input, config, stream_mode="values", **extra))
        # As LangGraph: invoke's last chunk lists every interrupt the run streamed
        # (each interrupted task's own values chunk names its own).
        stopped = [i for c in chunks if "__interrupt__" in c for i in c["__interrupt__"]]
        last = chunks[-1] if chunks else None
        if stopped:
            last = {**last, "__interrupt__": stopped}
        # Interrupt ids differ between the two threads (they come from checkpoint ids).
        assert _no_ids(got) == _no_ids(last)
        assert invoked.get_state(config).values == streamed.get_state(config).values


def _no_ids(chunk):
    if not chunk or "__interrupt__" not in chunk:
        return chunk
    return {**chunk, "__interrupt__": [i.value for i in chunk["__interrupt__"]]}
