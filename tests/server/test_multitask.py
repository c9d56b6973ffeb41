"""Two runs on one thread: reject, enqueue, interrupt, rollback (over the wire, real server).

The `slow` graph is first -> nap -> last, each adding 1 to `n`; nap sleeps `seconds`.
A run that takes the thread over never interleaves with the one before it: the
thread's history stays one chain whose steps rise by one, and `n` counts every
node that ran.
"""

from __future__ import annotations

import time

import grpc
import pytest
from wire import TIMEOUT, end_status, get_state, history, refusal, run_request, stream, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2

pytestmark = pytest.mark.timeout(60)
RS = enums_pb2
NAP = 0.8


def create(server, thread_id, inp, strategy=0):
    req = runs_service_pb2.CreateRunRequest(
        thread_id=thread_id,
        graph_id="slow",
        input=convert.to_struct(inp),
        stream_modes=[RS.STREAM_MODE_VALUES],
        multitask_strategy=strategy,
    )
    return server.runs.CreateRun(req, timeout=TIMEOUT).run


def join(server, run_id):
    req = runs_service_pb2.JoinRunRequest(run_id=run_id)
    return [r.event for r in server.runs.JoinRun(req, timeout=TIMEOUT)]


def run_of(server, thread_id, run_id):
    reply = server.runs.ListRuns(
        runs_service_pb2.ListRunsRequest(thread_id=thread_id), timeout=TIMEOUT
    )
    return next(r for r in reply.runs if r.run_id == run_id)


def start_slow(server, thread_id, tag="A"):
    """A background run that is inside `nap` when this returns."""
    run = create(server, thread_id, {"input": tag, "seconds": NAP})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait for the checkpoint after `first`
        if convert.from_struct(get_state(server, thread_id).values).get("n") is not None:
            if get_state(server, thread_id).next == ["nap"]:
                return run
        time.sleep(0.02)
    raise AssertionError("the slow run did not reach nap")


def assert_one_chain(states):
    """Newest first: each state's parent is the next one, and steps fall by one."""
    for newer, older in zip(states, states[1:], strict=False):
        assert newer.parent_checkpoint.checkpoint_id == older.checkpoint.checkpoint_id
        assert newer.metadata.step == older.metadata.step + 1
    assert not states[-1].parent_checkpoint.checkpoint_id


def ns(states):
    return [convert.from_struct(s.values).get("n") for s in reversed(states)]


def test_reject_is_the_default(server, tid):
    t = tid()
    a = start_slow(server, t)
    for strategy in (RS.MULTITASK_STRATEGY_UNSPECIFIED, RS.MULTITASK_STRATEGY_REJECT):
        refused = refusal(
            server.runs.StreamRun,
            run_request(t, "slow", {"seconds": 0}, multitask_strategy=strategy),
        )
        assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
        assert refused.reason == "THREAD_BUSY"
    assert end_status(join(server, a.run_id)) == RS.RUN_STATUS_SUCCESS
    assert convert.from_struct(get_state(server, t).values)["n"] == 3


def test_enqueue_runs_in_order_after_the_active_run(server, tid):
    t = tid()
    a = start_slow(server, t)
    b = create(server, t, {"input": "B", "seconds": 0.1}, RS.MULTITASK_STRATEGY_ENQUEUE)
    c = create(server, t, {"input": "C", "seconds": 0.1}, RS.MULTITASK_STRATEGY_ENQUEUE)
    assert b.status == c.status == RS.RUN_STATUS_PENDING  # accepted at once
    assert run_of(server, t, a.run_id).status == RS.RUN_STATUS_RUNNING
    # A stream on a queued run waits for it, then sees all of it.
    c_events = join(server, c.run_id)
    assert end_status(c_events) == RS.RUN_STATUS_SUCCESS
    assert [v["n"] for v in values(c_events)] == [6, 7, 8, 9]  # C's input, then first, nap, last
    for run, status in ((a, RS.RUN_STATUS_SUCCESS), (b, RS.RUN_STATUS_SUCCESS)):
        assert end_status(join(server, run.run_id)) == status
    states = history(server, t)
    assert_one_chain(states)
    # Each run's input checkpoint holds its tag: A, then B, then C.
    inputs = [convert.from_struct(s.values).get("input") for s in reversed(states)]
    assert inputs == [None] + ["A"] * 5 + ["B"] * 5 + ["C"] * 4
    # A: input, start, first, nap, last; then B and C each: input, start, first, nap, last.
    assert ns(states) == [None, None, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6, 7, 8, 9]
    assert get_state(server, t).metadata.step == len(states) - 2


def test_enqueued_run_can_be_cancelled_before_it_starts(server, tid):
    t = tid()
    a = start_slow(server, t)
    b = create(server, t, {"seconds": 0}, RS.MULTITASK_STRATEGY_ENQUEUE)
    cancelled = server.runs.CancelRun(
        runs_service_pb2.CancelRunRequest(run_id=b.run_id), timeout=TIMEOUT
    )
    assert cancelled.run.status == RS.RUN_STATUS_CANCELLED
    assert end_status(join(server, a.run_id)) == RS.RUN_STATUS_SUCCESS
    assert end_status(join(server, b.run_id)) == RS.RUN_STATUS_CANCELLED
    assert convert.from_struct(get_state(server, t).values)["n"] == 3  # B never ran


def test_interrupt_stops_the_first_run_and_continues_from_its_checkpoint(server, tid):
    t = tid()
    a = start_slow(server, t)
    b_events = stream(
        server,
        t,
        "slow",
        {"input": "B", "seconds": 0},
        multitask_strategy=RS.MULTITASK_STRATEGY_INTERRUPT,
    )
    a_events = join(server, a.run_id)
    # A stopped after the step it was in (nap finished and was saved), before `last`;
    # B waited for that step, so nothing of the two runs overlaps.
    assert end_status(a_events) == RS.RUN_STATUS_CANCELLED
    # (its values after nap are not streamed: the run was stopped first)
    assert [v.get("n") for v in values(a_events)] == [None, 1]
    a_run = run_of(server, t, a.run_id)
    assert a_run.status == RS.RUN_STATUS_CANCELLED
    assert (
        convert.from_struct(a_run.metadata)["lockstep_interrupted_by"]
        == b_events[0].metadata.run_id
    )
    assert end_status(b_events) == RS.RUN_STATUS_SUCCESS
    # B started from A's last checkpoint (n == 2: first and nap ran), so n is 5.
    assert [v["n"] for v in values(b_events)] == [2, 3, 4, 5]
    states = history(server, t)
    assert_one_chain(states)
    assert ns(states) == [None, None, 1, 2, 2, 2, 3, 4, 5]
    assert convert.from_struct(get_state(server, t).values) == {"input": "B", "seconds": 0, "n": 5}


def test_rollback_undoes_the_first_run(server, tid):
    t = tid()
    first = stream(server, t, "slow", {"seconds": 0})
    assert end_status(first) == RS.RUN_STATUS_SUCCESS
    before = history(server, t)
    a = start_slow(server, t)
    b_events = stream(
        server,
        t,
        "slow",
        {"input": "B", "seconds": 0},
        multitask_strategy=RS.MULTITASK_STRATEGY_ROLLBACK,
    )
    a_events = join(server, a.run_id)
    assert end_status(a_events) == RS.RUN_STATUS_CANCELLED
    a_run = run_of(server, t, a.run_id)
    assert (
        convert.from_struct(a_run.metadata)["lockstep_rolled_back_by"]
        == b_events[0].metadata.run_id
    )
    assert end_status(b_events) == RS.RUN_STATUS_SUCCESS
    # B started where A started (n == 3), as if A had never run.
    assert [v["n"] for v in values(b_events)] == [3, 4, 5, 6]
    states = history(server, t)
    assert_one_chain(states)
    assert ns(states) == [None, None, 1, 2, 3, 3, 3, 4, 5, 6]
    assert [s.checkpoint.checkpoint_id for s in states[-len(before) :]] == [
        s.checkpoint.checkpoint_id for s in before
    ]
    assert [convert.from_struct(s.values) for s in states[-len(before) :]] == [
        convert.from_struct(s.values) for s in before
    ]
    assert all(convert.from_struct(s.values).get("input") != "A" for s in states)
    assert convert.from_struct(get_state(server, t).values) == {"input": "B", "seconds": 0, "n": 6}


def test_rollback_of_a_thread_s_first_run_empties_it(server, tid):
    t = tid()
    a = start_slow(server, t)
    b_events = stream(
        server,
        t,
        "slow",
        {"input": "B", "seconds": 0},
        multitask_strategy=RS.MULTITASK_STRATEGY_ROLLBACK,
    )
    assert end_status(join(server, a.run_id)) == RS.RUN_STATUS_CANCELLED
    assert end_status(b_events) == RS.RUN_STATUS_SUCCESS
    states = history(server, t)
    assert_one_chain(states)
    assert ns(states) == [None, None, 1, 2, 3]
