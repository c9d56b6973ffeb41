"""State schemas: what Lockstep pins beside the scenarios compared with LangGraph
(tests/engine/scenarios/test_schemas_scenarios.py): its own refusals, the deliberate
differences, and that schemas cost a plain TypedDict graph nothing."""

from __future__ import annotations

import operator
import subprocess
import sys
import textwrap
from typing import Annotated, TypedDict

import pytest
from pydantic import BaseModel, ValidationError
from support import thread

from lockstep import START, StateGraph
from lockstep.checkpoint import MemorySaver


class State(TypedDict, total=False):
    topic: str
    answer: str


class In(TypedDict):
    topic: str


class Out(TypedDict):
    answer: str


def answer(state: State) -> State:
    return {"answer": state["topic"].upper()}


def one_node(builder: StateGraph) -> StateGraph:
    builder.add_node("respond", answer)
    builder.add_edge(START, "respond")
    return builder


def test_unknown_keyword_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="output_schemas"):
        StateGraph(State, output_schemas=Out)


def test_a_plain_graph_reads_the_state_once_per_step_and_returns_it_whole():
    """The per-step path keeps its fast case: no node has its own reader, invoke's
    output is the state as streamed."""
    app = one_node(StateGraph(State)).compile()
    assert app.node_readers == {} and app.output_keys is None
    narrowed = one_node(StateGraph(State, output_schema=Out)).compile()
    assert narrowed.output_keys == {"answer"}


def test_pydantic_is_not_imported_for_a_graph_without_it():
    code = textwrap.dedent(
        """
        import sys
        from typing import TypedDict
        from lockstep import START, StateGraph

        class S(TypedDict):
            x: int

        b = StateGraph(S)
        b.add_node("inc", lambda s: {"x": s["x"] + 1})
        b.add_edge(START, "inc")
        assert b.compile().invoke({"x": 1}) == {"x": 2}
        print("pydantic" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class Ticket(BaseModel):
    title: str
    priority: int = 3


def _ticket_graph() -> StateGraph:
    builder = StateGraph(Ticket)
    builder.add_node("bump", lambda s: {"priority": "urgent" if s.priority > 2 else 1})
    builder.add_node("file", lambda s: {"title": s.title + " (filed)"})
    builder.add_edge(START, "bump")
    builder.add_edge("bump", "file")
    return builder


def test_get_state_reads_a_thread_whose_next_node_cannot_read_it():
    """Deliberate difference: LangGraph's get_state builds the next tasks' inputs and
    so raises the same ValidationError the run did; Lockstep shows the thread, so it
    can be read and repaired with update_state."""
    app = _ticket_graph().compile(checkpointer=MemorySaver())
    cfg = thread("bad")
    with pytest.raises(ValidationError):
        app.invoke({"title": "printer"}, cfg)
    snap = app.get_state(cfg)
    assert snap.values == {"title": "printer", "priority": "urgent"}
    assert snap.next == ("file",)
    app.update_state(cfg, {"priority": 5})
    assert app.invoke(None, cfg) == {"title": "printer (filed)", "priority": 5}


def test_a_steps_events_are_streamed_when_the_next_step_cannot_read_the_state(driver):
    """Deliberate difference: LangGraph streams a step's events while the next step
    runs, so when that step cannot start (its input fails validation) they are lost;
    Lockstep streams them as the step ends, then raises."""
    app = _ticket_graph().compile()
    seen = []

    async def consume():
        async for chunk in app.astream({"title": "printer"}):
            seen.append(chunk)

    with pytest.raises(ValidationError):
        if driver == "stream":
            seen.extend(app.stream({"title": "printer"}))
        else:
            import asyncio

            asyncio.run(consume())
    assert seen == [{"bump": {"priority": "urgent"}}]


class Tags(TypedDict):
    tags: Annotated[list, operator.add]


class TagsReplaced(TypedDict):
    tags: Annotated[list, lambda old, new: new]


def test_conflicting_reducers_name_the_key_and_schema():
    with pytest.raises(ValueError, match=r"TagsReplaced declares state key 'tags'"):
        StateGraph(Tags, input_schema=TagsReplaced)
