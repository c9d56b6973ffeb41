"""The seed scenario (SCENARIO.md, steps 1-7) over the wire, through the raw stubs."""

from __future__ import annotations

import pytest
from wire import (
    UPDATES,
    end_status,
    get_state,
    history,
    kinds,
    stream,
    update_state,
    updates,
    values,
)

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2

pytestmark = pytest.mark.timeout(60)

GRAPH = "dynamic_breakpoints"
LONG = "Received input that is longer than 5 characters: hello world"
S = enums_pb2


def test_seed_scenario_over_raw_stubs(server, tid):
    t1, t2, t3, t4 = tid("1"), tid("2"), tid("3"), tid("4")

    # 1. a short input runs to the end: four value events, nothing next.
    mark = server.log_mark()
    events = stream(server, t1, GRAPH, {"input": "hello"})
    assert kinds(events) == ["metadata", "values", "values", "values", "values", "end"]
    assert events[0].metadata.thread_id == t1 and events[0].metadata.graph_id == GRAPH
    assert values(events) == [{"input": "hello"}] * 4
    assert end_status(events) == S.RUN_STATUS_SUCCESS
    state = get_state(server, t1)
    assert list(state.next) == [] and list(state.tasks) == []
    assert convert.from_struct(state.values) == {"input": "hello"}
    printed = server.log_since(mark)
    assert printed.count("---Step 1---") == 1
    assert (
        printed.index("---Step 1---")
        < printed.index("---Step 2---")
        < printed.index("---Step 3---")
    )

    # 2. a long input stops at step_2 with an explicit interrupt event.
    mark = server.log_mark()
    events = stream(server, t2, GRAPH, {"input": "hello world"})
    assert kinds(events) == ["metadata", "values", "values", "interrupt", "end"]
    assert values(events) == [{"input": "hello world"}] * 2
    intr = events[3].interrupt
    assert convert.from_value(intr.value) == LONG
    assert intr.node == "step_2" and intr.when == S.INTERRUPT_WHEN_DURING
    assert end_status(events) == S.RUN_STATUS_INTERRUPTED
    printed = server.log_since(mark)
    assert "---Step 1---" in printed and "---Step 2---" not in printed

    def assert_waiting_at_step_2(snap, value="hello world"):
        assert list(snap.next) == ["step_2"]
        assert convert.from_struct(snap.values) == {"input": value}
        assert [t.name for t in snap.tasks] == ["step_2"]
        task = snap.tasks[0]
        assert task.error == ""
        assert len(task.interrupts) == 1
        assert convert.from_value(task.interrupts[0].value) == LONG
        assert task.interrupts[0].when == S.INTERRUPT_WHEN_DURING
        assert [convert.from_value(i.value) for i in snap.interrupts] == [LONG]

    before = get_state(server, t2)
    assert_waiting_at_step_2(before)

    # 3. resuming with no input raises again; nothing lost, nothing duplicated.
    # (Like LangGraph, a resume first streams the values it resumes from.)
    events = stream(server, t2, GRAPH, None)
    assert kinds(events) == ["metadata", "values", "interrupt", "end"]
    assert values(events) == [{"input": "hello world"}]
    assert events[2].interrupt.id == before.interrupts[0].id
    assert end_status(events) == S.RUN_STATUS_INTERRUPTED
    again = get_state(server, t2)
    assert_waiting_at_step_2(again)
    assert again.checkpoint.checkpoint_id == before.checkpoint.checkpoint_id

    # 4. update as the last node that ran (step_1): next stays step_2; resume finishes.
    ref = update_state(server, t2, {"input": "foo"})
    assert ref.thread_id == t2 and ref.checkpoint_id
    snap = get_state(server, t2)
    assert list(snap.next) == ["step_2"]
    assert convert.from_struct(snap.values) == {"input": "foo"}
    assert snap.checkpoint.checkpoint_id == ref.checkpoint_id
    mark = server.log_mark()
    events = stream(server, t2, GRAPH, None)
    assert kinds(events) == ["metadata", "values", "values", "values", "end"]
    assert values(events) == [{"input": "foo"}] * 3
    assert end_status(events) == S.RUN_STATUS_SUCCESS
    printed = server.log_since(mark)
    assert "---Step 1---" not in printed
    assert printed.index("---Step 2---") < printed.index("---Step 3---")
    final = get_state(server, t2)
    assert convert.from_struct(final.values) == {"input": "foo"} and list(final.next) == []

    # 5. update as step_2 itself skips it: only step_3 runs.
    events = stream(server, t3, GRAPH, {"input": "hello world"})
    assert kinds(events)[-2:] == ["interrupt", "end"]
    update_state(server, t3, None, as_node="step_2")
    assert list(get_state(server, t3).next) == ["step_3"]
    mark = server.log_mark()
    events = stream(server, t3, GRAPH, None)
    assert values(events) == [{"input": "hello world"}] * 2
    assert end_status(events) == S.RUN_STATUS_SUCCESS
    printed = server.log_since(mark)
    assert "---Step 3---" in printed and "---Step 2---" not in printed
    assert list(get_state(server, t3).next) == []

    # 6. thread 2's history, newest first, exactly as LangGraph gives it.
    rows = [
        (
            tuple(s.next),
            convert.from_struct(s.values),
            s.metadata.source,
            s.metadata.step,
        )
        for s in history(server, t2)
    ]
    assert rows == [
        ((), {"input": "foo"}, S.CHECKPOINT_SOURCE_LOOP, 4),
        (("step_3",), {"input": "foo"}, S.CHECKPOINT_SOURCE_LOOP, 3),
        (("step_2",), {"input": "foo"}, S.CHECKPOINT_SOURCE_UPDATE, 2),
        (("step_2",), {"input": "hello world"}, S.CHECKPOINT_SOURCE_LOOP, 1),
        (("step_1",), {"input": "hello world"}, S.CHECKPOINT_SOURCE_LOOP, 0),
        (("__start__",), {}, S.CHECKPOINT_SOURCE_INPUT, -1),
    ]
    # Each snapshot's parent is the next (older) one.
    states = history(server, t2)
    for newer, older in zip(states, states[1:], strict=False):
        assert newer.parent_checkpoint.checkpoint_id == older.checkpoint.checkpoint_id
    assert not states[-1].HasField("parent_checkpoint")

    # 7. updates mode on a fresh thread: step_1's update, then the interrupt.
    events = stream(server, t4, GRAPH, {"input": "hello world"}, modes=(UPDATES,))
    assert kinds(events) == ["metadata", "updates", "interrupt", "end"]
    assert updates(events) == [{"step_1": {"input": "hello world"}}]
    assert convert.from_value(events[2].interrupt.value) == LONG


def test_history_pages_with_page_token(server, tid):
    t = tid()
    stream(server, t, GRAPH, {"input": "hello"})
    everything = history(server, t)
    assert len(everything) == 5  # input, step_1, step_2, step_3, ... end
    from lockstep_api.v1 import threads_service_pb2

    seen, token = [], ""
    while True:
        page = server.threads.GetStateHistory(
            threads_service_pb2.GetStateHistoryRequest(thread_id=t, page_size=2, page_token=token)
        )
        assert len(page.states) <= 2
        seen += [s.checkpoint.checkpoint_id for s in page.states]
        token = page.next_page_token
        if not token:
            break
    assert seen == [s.checkpoint.checkpoint_id for s in everything]


def test_get_state_at_a_checkpoint(server, tid):
    t = tid()
    stream(server, t, GRAPH, {"input": "hello world"})
    update_state(server, t, {"input": "foo"})
    states = history(server, t)
    old = states[1]  # the interrupted loop checkpoint, before the update
    snap = get_state(server, t, checkpoint_id=old.checkpoint.checkpoint_id)
    assert convert.from_struct(snap.values) == {"input": "hello world"}
    assert list(snap.next) == ["step_2"]
