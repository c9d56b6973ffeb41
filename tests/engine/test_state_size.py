"""A host's max_state_bytes (a run option, and update_for_host's): a step or update
past it is refused and not saved, and measuring a growing reducer key costs what was
written, not steps x state size."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest

from lockstep import END, START, StateGraph
from lockstep.checkpoint import MemorySaver
from lockstep.errors import StateTooLargeError
from lockstep.pregel import sizing


class Log(TypedDict):
    items: Annotated[list, operator.add]
    note: str


def _appender():
    """One item per step until the list holds `n` (the input's note), then END."""

    def add(state: Log) -> dict:
        return {"items": [len(state["items"])]}

    def more(state: Log) -> str:
        return "add" if len(state["items"]) < int(state["note"]) else END

    builder = StateGraph(Log)
    builder.add_node("add", add)
    builder.add_edge(START, "add")
    builder.add_conditional_edges("add", more, ["add", END])
    return builder.compile(checkpointer=MemorySaver())


def _run(graph, input, config, limit: int) -> None:
    """Run as a host does, with a state-size limit."""

    async def main() -> None:
        async for _ in graph.start_run(input, config, max_state_bytes=limit):
            pass

    asyncio.run(main())


def _config(thread: str) -> dict:
    return {"configurable": {"thread_id": thread}, "recursion_limit": 10_000}


def test_a_step_past_the_limit_is_not_saved():
    graph = _appender()
    config = _config("t")
    with pytest.raises(StateTooLargeError, match="over the limit of 400"):
        _run(graph, {"items": [], "note": "1000"}, config, limit=400)
    state = graph.get_state(config)
    # The thread keeps the last state that fitted; the step that grew past it is gone.
    assert 0 < len(state.values["items"]) < 1000
    assert len(sizing.serde.dumps(state.values["items"])) <= 400
    assert state.values["items"] == list(range(len(state.values["items"])))


def test_an_update_past_the_limit_is_refused_and_the_thread_unchanged():
    graph = _appender()
    config = _config("u")
    _run(graph, {"items": [], "note": "3"}, config, limit=400)
    before = graph.get_state(config)
    with pytest.raises(StateTooLargeError):
        asyncio.run(graph.update_for_host(config, {"note": "1" * 1000}, max_state_bytes=400))
    after = graph.get_state(config)
    assert after.values == before.values and after.config == before.config
    # The limit is the host's, not the graph's: the graph's own users have none.
    graph.update_state(config, {"note": "1" * 1000})
    assert graph.get_state(config).values["note"] == "1" * 1000


def test_measuring_a_growing_list_costs_what_was_written(monkeypatch):
    pickled = {"bytes": 0}
    dumps = sizing.serde.dumps

    def counting(value):
        data = dumps(value)
        pickled["bytes"] += len(data)
        return data

    monkeypatch.setattr(sizing.serde, "dumps", counting)

    def measured(steps: int) -> int:
        pickled["bytes"] = 0
        _run(_appender(), {"items": [], "note": str(steps)}, _config(f"n{steps}"), limit=10**9)
        return pickled["bytes"]

    small, large = measured(500), measured(1000)
    # Twice the steps, about twice the bytes measured (O(n)); re-measuring the whole
    # list every step would be about four times (O(n^2)).
    assert large / small < 2.6, (small, large)
