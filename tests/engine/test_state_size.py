"""A graph's max_state_bytes: a step or update past it is refused and not saved, and
measuring a growing reducer key costs what was written, not steps x state size."""

from __future__ import annotations

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


def _appender(limit: int | None):
    """One item per step until the list holds `n` (the input's note), then END."""

    def add(state: Log) -> dict:
        return {"items": [len(state["items"])]}

    def more(state: Log) -> str:
        return "add" if len(state["items"]) < int(state["note"]) else END

    builder = StateGraph(Log)
    builder.add_node("add", add)
    builder.add_edge(START, "add")
    builder.add_conditional_edges("add", more, ["add", END])
    graph = builder.compile(checkpointer=MemorySaver())
    graph.max_state_bytes = limit
    return graph


def _config(thread: str) -> dict:
    return {"configurable": {"thread_id": thread}, "recursion_limit": 10_000}


def test_a_step_past_the_limit_is_not_saved():
    graph = _appender(limit=400)
    config = _config("t")
    with pytest.raises(StateTooLargeError, match="over the limit of 400"):
        graph.invoke({"items": [], "note": "1000"}, config)
    state = graph.get_state(config)
    # The thread keeps the last state that fitted; the step that grew past it is gone.
    assert 0 < len(state.values["items"]) < 1000
    assert len(sizing.serde.dumps(state.values["items"])) <= 400
    assert state.values["items"] == list(range(len(state.values["items"])))


def test_an_update_past_the_limit_is_refused_and_the_thread_unchanged():
    graph = _appender(limit=400)
    config = _config("u")
    graph.invoke({"items": [], "note": "3"}, config)
    before = graph.get_state(config)
    with pytest.raises(StateTooLargeError):
        graph.update_state(config, {"note": "1" * 1000})
    after = graph.get_state(config)
    assert after.values == before.values and after.config == before.config


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
        _appender(limit=10**9).invoke({"items": [], "note": str(steps)}, _config(f"n{steps}"))
        return pickled["bytes"]

    small, large = measured(500), measured(1000)
    # Twice the steps, about twice the bytes measured (O(n)); re-measuring the whole
    # list every step would be about four times (O(n^2)).
    assert large / small < 2.6, (small, large)
