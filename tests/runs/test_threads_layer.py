"""Threads in the run layer itself, without a server: made, listed, edited, read back,
paged through and deleted as plain data, each refusal a typed error with its reason,
and another tenant's threads out of sight."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest

from lockstep import END, START, StateGraph
from lockstep.registry import HostedGraph
from lockstep.runs.errors import AlreadyExists, Code, InvalidArgument, NotFound, ThreadBusy
from lockstep.runs.hosting import TENANT, Hosting
from lockstep.runs.manager import RunManager
from lockstep.runs.model import RunRequest, RunStatus, ThreadStatus
from lockstep.runs.threads import IfExists, Threads
from lockstep.stores import open_store


class State(TypedDict):
    log: Annotated[list, operator.add]


def _threads(gate: asyncio.Event | None = None) -> Threads:
    async def step(state: State) -> dict:
        if gate is not None:
            await gate.wait()
        return {"log": ["step"]}

    builder = StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    store = open_store("memory://")
    hosted = HostedGraph("g", builder.compile(checkpointer=store.saver))
    hosting = Hosting({"g": hosted}, store)
    return Threads(hosting, RunManager(hosting))


async def _run(threads: Threads, thread_id: str, value: str):
    run = await threads.runs.start(RunRequest(thread_id=thread_id, graph_id="g", input={"log": [value]}))
    return [event async for event in run.follow()]


def test_create_get_and_the_if_exists_rules():
    async def main() -> None:
        threads = _threads()
        made = threads.create("t1", "g", metadata={"owner": "ann"})
        assert (made.thread_id, made.graph_id, made.status) == ("t1", "g", ThreadStatus.IDLE)
        assert made.metadata == {"owner": "ann"} and made.state is None

        with pytest.raises(AlreadyExists) as exists:
            threads.create("t1", "g")
        assert exists.value.reason == "THREAD_EXISTS" and exists.value.code == Code.ALREADY_EXISTS
        again = threads.create("t1", "g", metadata={"owner": "bob"}, if_exists=IfExists.DO_NOTHING)
        assert again.metadata == {"owner": "ann"}  # the thread there was, unchanged

        with pytest.raises(NotFound) as missing:
            threads.create("t2", "nope")
        assert missing.value.reason == "GRAPH_NOT_FOUND"
        with pytest.raises(NotFound):
            await threads.get("t2")  # the refused create wrote nothing

        await _run(threads, "t1", "a")
        got = await threads.get("t1")
        assert got.status == ThreadStatus.IDLE
        assert got.state.values == {"log": ["a", "step"]}

    asyncio.run(main())


def test_another_tenants_thread_is_out_of_sight():
    async def main() -> None:
        threads = _threads()
        token = TENANT.set("other")
        try:
            threads.create("theirs", "g")
        finally:
            TENANT.reset(token)
        with pytest.raises(AlreadyExists) as taken:
            threads.create("theirs", "g", if_exists=IfExists.DO_NOTHING)
        assert taken.value.reason == "THREAD_ID_TAKEN"
        with pytest.raises(NotFound):
            await threads.get("theirs")
        with pytest.raises(NotFound):
            await threads.delete("theirs")
        assert threads.list() == []

    asyncio.run(main())


def test_list_by_graph_status_and_metadata():
    async def main() -> None:
        threads = _threads()
        threads.create("a", "g", metadata={"team": "x", "n": 1})
        threads.create("b", "g", metadata={"team": "y"})
        threads.create("c", metadata={"team": "x"})
        await _run(threads, "b", "in")
        assert {t.thread_id for t in threads.list()} == {"a", "b", "c"}
        assert {t.thread_id for t in threads.list(graph_id="g")} == {"a", "b"}
        assert [t.thread_id for t in threads.list(metadata={"team": "x", "n": 1})] == ["a"]
        assert {t.thread_id for t in threads.list(status=ThreadStatus.IDLE)} == {"a", "b", "c"}
        assert threads.list(status=ThreadStatus.BUSY) == []

    asyncio.run(main())


def test_update_state_then_read_it_and_page_through_history():
    async def main() -> None:
        threads = _threads()
        threads.create("t", "g")
        await _run(threads, "t", "a")
        config = await threads.update_state("t", {"log": ["edit"]}, as_node="step")
        head = await threads.state("t")
        assert head.values == {"log": ["a", "step", "edit"]}
        assert head.config["configurable"]["checkpoint_id"] == config["configurable"]["checkpoint_id"]
        assert head.metadata["source"] == "update"

        everything = await threads.history("t", limit=100)
        assert everything[0].config == head.config and len(everything) == 4  # input, loop, step, update
        first = await threads.history("t", limit=2)
        rest = await threads.history(
            "t", limit=100, before=first[-1].config["configurable"]["checkpoint_id"]
        )
        assert [s.config for s in first + rest] == [s.config for s in everything]
        older = everything[2].config["configurable"]["checkpoint_id"]
        assert (await threads.state("t", older)).values == everything[2].values
        updates = await threads.history("t", limit=100, filter={"source": "update"})
        assert [s.config for s in updates] == [head.config]

        with pytest.raises(NotFound) as missing:
            await threads.state("t", "no-such-checkpoint")
        assert missing.value.reason == "CHECKPOINT_NOT_FOUND"

    asyncio.run(main())


def test_update_state_needs_a_graph_and_an_idle_thread():
    async def main() -> None:
        gate = asyncio.Event()
        threads = _threads(gate)
        threads.create("bare")
        with pytest.raises(InvalidArgument) as no_graph:
            await threads.update_state("bare", {"log": ["x"]})
        assert no_graph.value.reason == "GRAPH_REQUIRED"
        empty = await threads.state("bare")
        assert (empty.values, empty.next) == ({}, ())
        assert await threads.history("bare", limit=10) == []

        # Given a graph, a thread that had none takes it on.
        await threads.update_state("bare", {"log": ["x"]}, as_node="step", graph_id="g")
        assert (await threads.get("bare")).graph_id == "g"

        run = await threads.runs.start(RunRequest(thread_id="busy", graph_id="g", input={"log": []}))
        with pytest.raises(ThreadBusy):
            await threads.update_state("busy", {"log": ["x"]}, as_node="step")
        with pytest.raises(ThreadBusy):
            await threads.delete("busy")
        gate.set()
        assert [e async for e in run.follow()][-1].status == RunStatus.SUCCESS

    asyncio.run(main())


def test_delete_forgets_the_thread_its_checkpoints_and_its_runs():
    async def main() -> None:
        threads = _threads()
        await _run(threads, "t", "a")
        assert [r.thread_id for r in threads.runs.list("t")] == ["t"]
        await threads.delete("t")
        with pytest.raises(NotFound):
            await threads.get("t")
        assert threads.runs.list() == []
        saver = threads.hosting.store.saver
        assert saver.get_tuple(threads.hosting.config("t")) is None

    asyncio.run(main())
