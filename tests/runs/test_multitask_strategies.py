"""The multitask strategies in the run layer itself, without a server: what a second
run on a busy thread does to it, in plain data (statuses, events, typed refusals)."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest

from lockstep import START, StateGraph
from lockstep.registry import HostedGraph
from lockstep.runs.errors import Code, ThreadBusy
from lockstep.runs.hosting import Hosting
from lockstep.runs.manager import RunManager
from lockstep.runs.model import EndEvent, Multitask, RunRequest, RunStatus, ValuesEvent
from lockstep.stores import open_store


class State(TypedDict):
    log: Annotated[list, operator.add]


def _manager(gate: asyncio.Event) -> tuple[RunManager, object]:
    async def wait(state: State) -> dict:
        await gate.wait()
        return {"log": ["waited"]}

    builder = StateGraph(State)
    builder.add_node("wait", wait)
    builder.add_edge(START, "wait")
    store = open_store("memory://")
    hosted = HostedGraph("gated", builder.compile(checkpointer=store.saver))
    return RunManager(Hosting({"gated": hosted}, store)), store


async def _ended(run) -> list:
    return [event async for event in run.follow()]


def test_strategies_on_a_busy_thread():
    async def main() -> None:
        gate = asyncio.Event()
        manager, store = _manager(gate)
        request = RunRequest(thread_id="t", graph_id="gated", input={"log": ["in"]})
        first = await manager.start(request)

        with pytest.raises(ThreadBusy) as busy:  # REJECT, the default
            await manager.start(request)
        assert busy.value.code == Code.FAILED_PRECONDITION and busy.value.reason == "THREAD_BUSY"

        request.multitask = Multitask.ENQUEUE
        queued = await manager.start(request)
        assert queued.status == RunStatus.PENDING

        request.multitask = Multitask.INTERRUPT  # the queued run is cancelled, the active one stopped
        last = await manager.start(request)
        assert (await _ended(queued))[-1] == EndEvent(RunStatus.CANCELLED)
        assert first.metadata["lockstep_interrupted_by"] == last.run_id
        await _ended(first)
        assert first.status == RunStatus.CANCELLED

        gate.set()
        events = await _ended(last)
        assert last.status == RunStatus.SUCCESS and isinstance(events[-1], EndEvent)
        assert [e.values for e in events if isinstance(e, ValuesEvent)][-1]["log"][-1] == "waited"
        assert "t" not in manager.active and store.threads.get("t").status == "idle"

    asyncio.run(main())
