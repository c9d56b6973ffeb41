"""Every refusal is a status code a client can act on, with google.rpc.Status details."""

from __future__ import annotations

import threading

import grpc
import pytest
from wire import (
    TIMEOUT,
    end_status,
    get_state,
    kinds,
    refusal,
    run_request,
    stream,
    update_state,
    values,
)

from lockstep_api import convert
from lockstep_api.v1 import (
    enums_pb2,
    graphs_service_pb2,
    runs_service_pb2,
    threads_service_pb2,
)

pytestmark = pytest.mark.timeout(60)

NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT
BUSY_CODES = (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED)
T = threads_service_pb2
R = runs_service_pb2


@pytest.fixture
def interrupted(server, tid):
    """A seed-graph thread stopped at step_2."""
    t = tid("seed")
    events = stream(server, t, "dynamic_breakpoints", {"input": "hello world"})
    assert end_status(events) == enums_pb2.RUN_STATUS_INTERRUPTED
    return t


# ------------------------------------------------------------------- NOT_FOUND


def test_unknown_graph(server, tid):
    err = refusal(server.runs.StreamRun, run_request(tid(), "no_such_graph", {"input": "x"}))
    assert err.code == NOT_FOUND and err.reason == "GRAPH_NOT_FOUND"
    assert "no_such_graph" in err.message
    err = refusal(server.graphs_stub.GetGraph, graphs_service_pb2.GetGraphRequest(graph_id="nope"))
    assert err.code == NOT_FOUND and err.reason == "GRAPH_NOT_FOUND"
    err = refusal(server.runs.WaitRun, R.WaitRunRequest(thread_id=tid(), graph_id="nope"))
    assert err.code == NOT_FOUND


@pytest.mark.parametrize(
    "method,request_",
    [
        ("GetState", T.GetStateRequest),
        ("UpdateState", T.UpdateStateRequest),
        ("GetStateHistory", T.GetStateHistoryRequest),
        ("DeleteThread", T.DeleteThreadRequest),
        ("GetThread", T.GetThreadRequest),
    ],
)
def test_unknown_thread(server, tid, method, request_):
    missing = tid("missing")
    err = refusal(getattr(server.threads, method), request_(thread_id=missing))
    assert err.code == NOT_FOUND, err
    assert err.reason == "THREAD_NOT_FOUND"
    assert missing in err.message
    assert err.domain


def test_unknown_checkpoint(server, interrupted):
    bogus = "1ef00000-0000-6000-8000-000000000000"
    for call, req in [
        (server.threads.GetState, T.GetStateRequest(thread_id=interrupted, checkpoint_id=bogus)),
        (
            server.threads.UpdateState,
            T.UpdateStateRequest(thread_id=interrupted, checkpoint_id=bogus),
        ),
        (
            server.threads.GetStateHistory,
            T.GetStateHistoryRequest(thread_id=interrupted, before=bogus),
        ),
        (
            server.runs.StreamRun,
            R.StreamRunRequest(
                thread_id=interrupted, graph_id="dynamic_breakpoints", checkpoint_id=bogus
            ),
        ),
    ]:
        err = refusal(call, req)
        assert err.code == NOT_FOUND, (call, err)
        assert err.reason == "CHECKPOINT_NOT_FOUND"
        assert bogus in err.message


def test_unknown_run(server):
    err = refusal(server.runs.JoinRun, R.JoinRunRequest(run_id="no-such-run"))
    assert err.code == NOT_FOUND and err.reason == "RUN_NOT_FOUND"
    err = refusal(server.runs.CancelRun, R.CancelRunRequest(run_id="no-such-run"))
    assert err.code == NOT_FOUND and err.reason == "RUN_NOT_FOUND"


# ------------------------------------------------------------- INVALID_ARGUMENT


def test_unknown_as_node(server, interrupted):
    err = refusal(
        server.threads.UpdateState,
        T.UpdateStateRequest(thread_id=interrupted, as_node="step_9"),
    )
    assert err.code == INVALID and "step_9" in err.message
    # Nothing was written.
    assert list(get_state(server, interrupted).next) == ["step_2"]


def test_nan_in_input_is_not_a_json_value(server, tid):
    req = run_request(tid(), "dynamic_breakpoints", {"input": "hello"})
    req.input.fields["score"].number_value = float("nan")
    err = refusal(server.runs.StreamRun, req)
    assert err.code == INVALID, err
    assert "NaN" in err.message


def test_infinity_in_update_is_refused(server, interrupted):
    req = T.UpdateStateRequest(thread_id=interrupted)
    req.values.fields["input"].number_value = float("inf")
    err = refusal(server.threads.UpdateState, req)
    assert err.code == INVALID, err
    assert list(get_state(server, interrupted).next) == ["step_2"]


def test_unknown_stream_mode(server, tid):
    err = refusal(
        server.runs.StreamRun, run_request(tid(), "dynamic_breakpoints", {"input": "x"}, modes=[42])
    )
    assert err.code == INVALID and err.reason == "UNKNOWN_STREAM_MODE"


def test_unknown_durability(server, tid):
    thread = tid()
    req = run_request(thread, "dynamic_breakpoints", {"input": "x"}, durability=7)
    err = refusal(server.runs.StreamRun, req)
    assert err.code == INVALID and err.reason == "UNKNOWN_DURABILITY"
    assert "SYNC, ASYNC or EXIT" in err.message
    # Refused before anything was made: no thread, no run.
    err = refusal(server.threads.GetThread, T.GetThreadRequest(thread_id=thread))
    assert err.code == NOT_FOUND


@pytest.mark.parametrize(
    "durability", [enums_pb2.DURABILITY_SYNC, enums_pb2.DURABILITY_ASYNC, enums_pb2.DURABILITY_EXIT]
)
def test_every_durability_runs_the_seed_graph_the_same(server, tid, durability):
    thread = tid()
    events = stream(server, thread, "dynamic_breakpoints", {"input": "hello"}, durability=durability)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert [v["input"] for v in values(events)] == ["hello"] * 4
    assert convert.from_struct(get_state(server, thread).values) == {"input": "hello"}


def test_unknown_interrupt_node(server, tid):
    for field in ("interrupt_before", "interrupt_after"):
        req = run_request(tid(), "dynamic_breakpoints", {"input": "x"}, **{field: ["step_9"]})
        err = refusal(server.runs.StreamRun, req)
        assert err.code == INVALID and err.reason == "UNKNOWN_NODE"
        assert "step_9" in err.message and field in err.message


@pytest.mark.parametrize("token", ["garbage!", "bm90LWEtdG9rZW4=", "o:-3"])
def test_malformed_page_token(server, interrupted, token):
    for call, req in [
        (server.threads.ListThreads, T.ListThreadsRequest(page_token=token)),
        (
            server.threads.GetStateHistory,
            T.GetStateHistoryRequest(thread_id=interrupted, page_token=token),
        ),
        (server.runs.ListRuns, R.ListRunsRequest(page_token=token)),
    ]:
        err = refusal(call, req)
        assert err.code == INVALID, (call, err)
        assert "page_token" in err.message


def test_input_and_command_together(server, interrupted):
    req = run_request(interrupted, "dynamic_breakpoints", {"input": "x"})
    req.command.resume.string_value = "yes"
    err = refusal(server.runs.StreamRun, req)
    assert err.code == INVALID


def test_missing_ids(server):
    assert refusal(server.threads.GetState, T.GetStateRequest()).code == INVALID
    assert refusal(server.runs.StreamRun, R.StreamRunRequest(thread_id="x")).code == INVALID


# ------------------------------------------------- FAILED_PRECONDITION / ABORTED


def test_resume_of_a_thread_that_does_not_exist(server, tid):
    err = refusal(server.runs.StreamRun, run_request(tid("ghost"), "dynamic_breakpoints", None))
    assert err.code in (*BUSY_CODES, NOT_FOUND), err
    assert err.reason == "NOTHING_TO_RESUME"


def test_second_run_on_a_busy_thread(server, tid):
    t = tid("busy")
    first = server.runs.StreamRun(run_request(t, "slow", {"seconds": 1.5}), timeout=TIMEOUT)
    started = next(first)  # the metadata event: the run is active now
    assert started.event.HasField("metadata")
    try:
        for call, req in [
            (server.runs.StreamRun, run_request(t, "slow", {"seconds": 0})),
            (server.runs.WaitRun, R.WaitRunRequest(thread_id=t, graph_id="slow")),
            (server.runs.CreateRun, R.CreateRunRequest(thread_id=t, graph_id="slow")),
            (server.threads.UpdateState, T.UpdateStateRequest(thread_id=t)),
            (server.threads.DeleteThread, T.DeleteThreadRequest(thread_id=t)),
        ]:
            err = refusal(call, req)
            assert err.code in BUSY_CODES, (call, err)
            assert err.reason == "THREAD_BUSY"
    finally:
        rest = [r.event for r in first]
    assert end_status(rest) == enums_pb2.RUN_STATUS_SUCCESS
    assert convert.from_struct(get_state(server, t).values)["n"] == 3  # only the first run ran


# ---------------------------------------------------------- a failing node


def test_failing_node_ends_the_run_and_the_thread_stays_resumable(server, tid):
    t = tid("flaky")
    events = stream(server, t, "flaky", {"input": "bad"})
    assert kinds(events) == ["metadata", "values", "values", "error", "end"]
    error = events[-2].error
    assert error.node == "check"
    assert error.error_type == "ValueError"
    assert "check refuses" in error.message
    assert error.code != grpc.StatusCode.INTERNAL.value[0]
    assert end_status(events) == enums_pb2.RUN_STATUS_ERROR

    state = get_state(server, t)
    assert list(state.next) == ["check"]
    assert "check refuses" in state.tasks[0].error
    thread = server.threads.GetThread(T.GetThreadRequest(thread_id=t), timeout=TIMEOUT).thread
    assert thread.status == enums_pb2.THREAD_STATUS_ERROR

    # Fix the cause, resume: it completes.
    update_state(server, t, {"input": "good"})
    assert list(get_state(server, t).next) == ["check"]
    events = stream(server, t, "flaky", None)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(events)[-1] == {"input": "good", "checked": True}
    final = get_state(server, t)
    assert list(final.next) == [] and list(final.tasks) == []
    thread = server.threads.GetThread(T.GetThreadRequest(thread_id=t), timeout=TIMEOUT).thread
    assert thread.status == enums_pb2.THREAD_STATUS_IDLE


def test_wait_run_reports_a_failing_node(server, tid):
    reply = server.runs.WaitRun(
        R.WaitRunRequest(
            thread_id=tid(), graph_id="flaky", input=convert.to_struct({"input": "bad"})
        ),
        timeout=TIMEOUT,
    )
    assert reply.status == enums_pb2.RUN_STATUS_ERROR
    assert reply.error.node == "check"


def test_errors_are_safe_under_concurrency(server, tid):
    """Many refusals at once, from several client threads: each gets its own status."""
    codes: list[grpc.StatusCode] = []
    lock = threading.Lock()

    def hammer(i: int) -> None:
        err = refusal(server.threads.GetState, T.GetStateRequest(thread_id=tid(f"none{i}")))
        with lock:
            codes.append(err.code)

    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(16)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(TIMEOUT)
    assert codes == [NOT_FOUND] * 16
