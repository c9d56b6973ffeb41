"""Values keep their types; a slow sync node stalls no other thread; background runs."""

from __future__ import annotations

import threading
import time

import pytest
from wire import TIMEOUT, end_status, get_state, history, kinds, run_request, stream, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(60)


def assert_exact(actual, expected):
    """Equal, and every number of the same Python type (1 == 1.0 would hide a float)."""
    assert actual == expected
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, dict):
        for k in expected:
            assert_exact(actual[k], expected[k])
    elif isinstance(expected, list):
        for a, e in zip(actual, expected, strict=True):
            assert_exact(a, e)


def test_ints_round_trip_as_ints(server, tid):
    t = tid()
    events = stream(server, t, "counter", {"count": 3})
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    got = values(events)
    assert_exact(got[0], {"count": 3, "seen": []})  # a list reducer starts empty, as in LangGraph
    assert_exact(got[1], {"count": 4, "seen": [3], "ratio": 1.75})
    assert_exact(got[2], {"count": 8, "seen": [3, 4], "ratio": 1.75})
    snap = get_state(server, t)
    assert_exact(convert.from_struct(snap.values), {"count": 8, "seen": [3, 4], "ratio": 1.75})
    assert isinstance(snap.metadata.step, int)
    # An int written by UpdateState comes back as an int too, and the reducer adds to the list.
    req = threads_service_pb2.UpdateStateRequest(
        thread_id=t, values=convert.to_struct({"count": 2**40, "seen": [-7]}), as_node="double"
    )
    server.threads.UpdateState(req, timeout=TIMEOUT)
    assert_exact(
        convert.from_struct(get_state(server, t).values),
        {"count": 2**40, "seen": [3, 4, -7], "ratio": 1.75},
    )
    # Through the history too.
    assert_exact(convert.from_struct(history(server, t)[-2].values), {"count": 3, "seen": []})


def test_wait_run_returns_final_values(server, tid):
    reply = server.runs.WaitRun(
        runs_service_pb2.WaitRunRequest(
            thread_id=tid(), graph_id="counter", input=convert.to_struct({"count": 0})
        ),
        timeout=TIMEOUT,
    )
    assert reply.status == enums_pb2.RUN_STATUS_SUCCESS
    assert_exact(convert.from_struct(reply.values), {"count": 2, "seen": [0, 1], "ratio": 0.25})
    assert reply.checkpoint.checkpoint_id


def test_slow_sync_node_does_not_stall_another_thread(server, tid):
    finished: list[str] = []
    lock = threading.Lock()
    slow_events: list = []
    started = threading.Event()

    def slow_run() -> None:
        call = server.runs.StreamRun(
            run_request(tid("slow"), "slow", {"seconds": 1.5}), timeout=TIMEOUT
        )
        for response in call:
            slow_events.append(response.event)
            if len(slow_events) >= 3:  # metadata, input values, values after `first`: nap runs now
                started.set()
        with lock:
            finished.append("slow")

    worker = threading.Thread(target=slow_run)
    worker.start()
    try:
        assert started.wait(TIMEOUT), kinds(slow_events)
        fast = stream(server, tid("fast"), "dynamic_breakpoints", {"input": "hi"})
        with lock:
            finished.append("fast")
            slow_done_first = "slow" in finished[:1]
        assert end_status(fast) == enums_pb2.RUN_STATUS_SUCCESS
        assert not slow_done_first, "the fast run waited for the slow node"
    finally:
        worker.join(TIMEOUT)
    assert finished == ["fast", "slow"]
    assert end_status(slow_events) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(slow_events)[-1]["n"] == 3


def test_two_slow_sync_nodes_overlap(server, tid):
    """B's sync nap starts while A's is still sleeping: sync nodes run off the event loop."""
    order: list[str] = []
    lock = threading.Lock()
    napping = {"a": threading.Event(), "b": threading.Event()}
    results: dict[str, list] = {}

    def go(name: str) -> None:
        events = []
        call = server.runs.StreamRun(
            run_request(tid(name), "slow", {"seconds": 1.0}), timeout=TIMEOUT
        )
        for response in call:
            events.append(response.event)
            if len(events) == 3:  # metadata, input, after `first`: the nap has begun
                with lock:
                    order.append(f"{name} napping")
                napping[name].set()
        with lock:
            order.append(f"{name} done")
        results[name] = events

    a = threading.Thread(target=go, args=("a",))
    a.start()
    assert napping["a"].wait(TIMEOUT)
    b = threading.Thread(target=go, args=("b",))
    b.start()
    a.join(TIMEOUT)
    b.join(TIMEOUT)
    assert all(end_status(r) == enums_pb2.RUN_STATUS_SUCCESS for r in results.values())
    assert order.index("b napping") < order.index("a done"), order


def test_background_run_join_cancel_list(server, tid):
    t = tid()
    created = server.runs.CreateRun(
        runs_service_pb2.CreateRunRequest(
            thread_id=t, graph_id="slow", input=convert.to_struct({"seconds": 0.3})
        ),
        timeout=TIMEOUT,
    ).run
    assert created.thread_id == t and created.run_id
    joined = [
        r.event
        for r in server.runs.JoinRun(
            runs_service_pb2.JoinRunRequest(run_id=created.run_id), timeout=TIMEOUT
        )
    ]
    assert end_status(joined) == enums_pb2.RUN_STATUS_SUCCESS
    listed = server.runs.ListRuns(
        runs_service_pb2.ListRunsRequest(thread_id=t), timeout=TIMEOUT
    ).runs
    assert [r.run_id for r in listed] == [created.run_id]
    assert listed[0].status == enums_pb2.RUN_STATUS_SUCCESS

    # Cancel a long one while its node sleeps; the thread keeps its last checkpoint.
    t2 = tid("cancel")
    run = server.runs.CreateRun(
        runs_service_pb2.CreateRunRequest(
            thread_id=t2, graph_id="slow", input=convert.to_struct({"seconds": 1.0})
        ),
        timeout=TIMEOUT,
    ).run
    time.sleep(0.3)
    cancelled = server.runs.CancelRun(
        runs_service_pb2.CancelRunRequest(run_id=run.run_id, wait=True), timeout=TIMEOUT
    ).run
    assert cancelled.status == enums_pb2.RUN_STATUS_CANCELLED
    # CancelRun with wait returns once the run has ended; the thread is held until
    # its worker reaches the step boundary: the nap it was in finishes and is saved,
    # `last` does not run.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        thread = server.threads.GetThread(
            threads_service_pb2.GetThreadRequest(thread_id=t2), timeout=TIMEOUT
        ).thread
        if thread.status != enums_pb2.THREAD_STATUS_BUSY:
            break
        time.sleep(0.05)
    snap = get_state(server, t2)
    assert list(snap.next) == ["last"]
    assert convert.from_struct(snap.values) == {"seconds": 1.0, "n": 2}
    # ... and resumes to the end.
    events = stream(server, t2, "slow", None)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(events)[-1]["n"] == 3


def test_resume_needs_no_graph_id_on_a_known_thread(server, tid):
    t = tid()
    first = stream(server, t, "dynamic_breakpoints", {"input": "hello world"})
    assert end_status(first) == enums_pb2.RUN_STATUS_INTERRUPTED
    server.threads.UpdateState(
        threads_service_pb2.UpdateStateRequest(thread_id=t, values=convert.to_struct({"input": "foo"})),
        timeout=TIMEOUT,
    )
    events = [
        r.event
        for r in server.runs.StreamRun(runs_service_pb2.StreamRunRequest(thread_id=t), timeout=TIMEOUT)
    ]
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert events[0].metadata.graph_id == "dynamic_breakpoints"
    assert values(events)[-1] == {"input": "foo"}
