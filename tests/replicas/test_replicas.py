"""Three `lockstep serve --replica` processes on one SQLite file act as one server:
any of them answers for any thread, a thread has one active run across all three,
the multitask strategies hold across them, and runs are joined and cancelled from
any of them.

The `slow` graph is first -> nap -> last, each adding 1 to `n`; nap sleeps
`seconds`. Runs that never interleave leave one chain of checkpoints whose steps
rise by one.
"""

from __future__ import annotations

import time

import grpc
import pytest
from server_process import ServerProcess
from wire import TIMEOUT, end_status, get_state, history, refusal, run_request, stream, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2 as RS
from lockstep_api.v1 import runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(120)
NAP = 1.0


@pytest.fixture(scope="module")
def trio(tmp_path_factory):
    """Three replicas on one SQLite file."""
    workdir = tmp_path_factory.mktemp("replicas")
    store = f"sqlite:///{workdir / 'lockstep.db'}"
    servers = [
        ServerProcess(workdir, store=store, name=f"replica{i}", extra_args=("--replica",))
        for i in range(3)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def create(server, thread_id, inp, strategy=0, graph="slow"):
    req = runs_service_pb2.CreateRunRequest(
        thread_id=thread_id,
        graph_id=graph,
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


def state_of(server, thread_id):
    return convert.from_struct(get_state(server, thread_id).values)


def start_slow(server, thread_id, tag="A", watcher=None):
    """A background run on `server` that is inside `nap` when this returns (as
    `watcher`, another replica, sees the thread)."""
    run = create(server, thread_id, {"input": tag, "seconds": NAP})
    watcher = watcher or server
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        snap = get_state(watcher, thread_id)
        if convert.from_struct(snap.values).get("n") is not None and list(snap.next) == ["nap"]:
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


def test_a_run_started_on_one_is_read_on_another_and_resumed_on_a_third(trio, tid):
    a, b, c = trio
    t = tid()
    events = stream(a, t, "dynamic_breakpoints", {"input": "hello world"})
    assert end_status(events) == RS.RUN_STATUS_INTERRUPTED
    snap = get_state(b, t)
    assert list(snap.next) == ["step_2"]
    assert convert.from_struct(snap.values) == {"input": "hello world"}
    thread = b.threads.GetThread(
        threads_service_pb2.GetThreadRequest(thread_id=t), timeout=TIMEOUT
    ).thread
    assert thread.status == RS.THREAD_STATUS_INTERRUPTED
    update_req = threads_service_pb2.UpdateStateRequest(thread_id=t)
    update_req.values.CopyFrom(convert.to_struct({"input": "foo"}))
    b.threads.UpdateState(update_req, timeout=TIMEOUT)
    resumed = stream(c, t, "dynamic_breakpoints", None)
    assert end_status(resumed) == RS.RUN_STATUS_SUCCESS
    assert values(resumed)[-1] == {"input": "foo"}
    for server in trio:
        assert state_of(server, t) == {"input": "foo"}
        assert list(get_state(server, t).next) == []


def test_reject_holds_across_replicas(trio, tid):
    a, b, c = trio
    t = tid()
    first = start_slow(a, t, watcher=b)
    refused = refusal(b.runs.StreamRun, run_request(t, "slow", {"seconds": 0}))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.reason == "THREAD_BUSY"
    update_req = threads_service_pb2.UpdateStateRequest(thread_id=t)
    update_req.values.CopyFrom(convert.to_struct({"n": 100}))
    edit = refusal(c.threads.UpdateState, update_req)
    assert edit.reason == "THREAD_BUSY"
    # Joined from a replica that does not run it: every event, to the end.
    joined = join(c, first.run_id)
    assert end_status(joined) == RS.RUN_STATUS_SUCCESS
    assert [v.get("n") for v in values(joined)] == [None, 1, 2, 3]
    assert state_of(b, t)["n"] == 3
    # Free again, on every replica.
    assert end_status(stream(c, t, "slow", {"seconds": 0})) == RS.RUN_STATUS_SUCCESS


def test_enqueue_across_replicas_runs_in_order(trio, tid):
    a, b, c = trio
    t = tid()
    first = start_slow(a, t, watcher=b)
    second = create(b, t, {"input": "B", "seconds": 0.1}, RS.MULTITASK_STRATEGY_ENQUEUE)
    third = create(c, t, {"input": "C", "seconds": 0.1}, RS.MULTITASK_STRATEGY_ENQUEUE)
    assert second.status == third.status == RS.RUN_STATUS_PENDING
    c_events = join(a, third.run_id)  # joined on a third replica than the one queuing it
    assert end_status(c_events) == RS.RUN_STATUS_SUCCESS
    assert [v["n"] for v in values(c_events)] == [6, 7, 8, 9]
    for run in (first, second):
        assert end_status(join(c, run.run_id)) == RS.RUN_STATUS_SUCCESS
    states = history(b, t)
    assert_one_chain(states)
    inputs = [convert.from_struct(s.values).get("input") for s in reversed(states)]
    assert inputs == [None] + ["A"] * 5 + ["B"] * 5 + ["C"] * 4
    assert ns(states) == [None, None, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6, 7, 8, 9]


def test_interrupt_across_replicas(trio, tid):
    a, b, c = trio
    t = tid()
    first = start_slow(a, t, watcher=b)
    b_events = stream(
        b,
        t,
        "slow",
        {"input": "B", "seconds": 0},
        multitask_strategy=RS.MULTITASK_STRATEGY_INTERRUPT,
    )
    a_events = join(c, first.run_id)
    assert end_status(a_events) == RS.RUN_STATUS_CANCELLED
    a_run = run_of(c, t, first.run_id)
    assert a_run.status == RS.RUN_STATUS_CANCELLED
    assert (
        convert.from_struct(a_run.metadata)["lockstep_interrupted_by"]
        == b_events[0].metadata.run_id
    )
    assert end_status(b_events) == RS.RUN_STATUS_SUCCESS
    assert [v["n"] for v in values(b_events)] == [2, 3, 4, 5]
    states = history(c, t)
    assert_one_chain(states)
    assert ns(states) == [None, None, 1, 2, 2, 2, 3, 4, 5]


def test_rollback_across_replicas(trio, tid):
    a, b, c = trio
    t = tid()
    assert end_status(stream(c, t, "slow", {"seconds": 0})) == RS.RUN_STATUS_SUCCESS
    before = history(c, t)
    first = start_slow(a, t, watcher=b)
    b_events = stream(
        b,
        t,
        "slow",
        {"input": "B", "seconds": 0},
        multitask_strategy=RS.MULTITASK_STRATEGY_ROLLBACK,
    )
    assert end_status(join(c, first.run_id)) == RS.RUN_STATUS_CANCELLED
    a_run = run_of(b, t, first.run_id)
    assert (
        convert.from_struct(a_run.metadata)["lockstep_rolled_back_by"]
        == b_events[0].metadata.run_id
    )
    assert end_status(b_events) == RS.RUN_STATUS_SUCCESS
    assert [v["n"] for v in values(b_events)] == [3, 4, 5, 6]
    states = history(a, t)
    assert_one_chain(states)
    assert ns(states) == [None, None, 1, 2, 3, 3, 3, 4, 5, 6]
    assert [s.checkpoint.checkpoint_id for s in states[-len(before) :]] == [
        s.checkpoint.checkpoint_id for s in before
    ]


def test_cancel_from_another_replica(trio, tid):
    a, b, c = trio
    t = tid()
    first = start_slow(a, t, watcher=b)
    queued = create(a, t, {"input": "Q", "seconds": 0}, RS.MULTITASK_STRATEGY_ENQUEUE)
    # A queued run, cancelled on another replica than the one holding it.
    c.runs.CancelRun(runs_service_pb2.CancelRunRequest(run_id=queued.run_id), timeout=TIMEOUT)
    assert end_status(join(b, queued.run_id)) == RS.RUN_STATUS_CANCELLED
    # The active run, cancelled elsewhere, waiting for its end.
    reply = b.runs.CancelRun(
        runs_service_pb2.CancelRunRequest(run_id=first.run_id, wait=True), timeout=TIMEOUT
    )
    assert reply.run.status == RS.RUN_STATUS_CANCELLED
    assert end_status(join(c, first.run_id)) == RS.RUN_STATUS_CANCELLED
    assert run_of(a, t, first.run_id).status == RS.RUN_STATUS_CANCELLED
    # A cancelled run's end goes out at once; its sync node may still finish its
    # step, so the next run queues behind it rather than expect the thread free.
    after = stream(c, t, "slow", {"seconds": 0}, multitask_strategy=RS.MULTITASK_STRATEGY_ENQUEUE)
    assert end_status(after) == RS.RUN_STATUS_SUCCESS
    assert values(after)[0]["n"] == 2  # first and nap ran; `last` never did


def test_threads_of_a_tenant_stay_its_own_on_every_replica(tmp_path, tid):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("alice-token alice\nbob-token bob\n")
    store = f"sqlite:///{tmp_path / 'lockstep.db'}"
    servers = [
        ServerProcess(
            tmp_path,
            store=store,
            name=f"tenant{i}",
            extra_args=("--replica", "--auth-tokens", str(tokens)),
        )
        for i in range(2)
    ]
    try:
        for server in servers:
            server.start()
        a, b = servers
        alice = (("authorization", "Bearer alice-token"),)
        bob = (("authorization", "Bearer bob-token"),)
        t = tid()
        req = run_request(t, "slow", {"seconds": 0})
        events = [r.event for r in a.runs.StreamRun(req, timeout=TIMEOUT, metadata=alice)]
        assert end_status(events) == RS.RUN_STATUS_SUCCESS
        get = threads_service_pb2.GetStateRequest(thread_id=t)
        assert (
            convert.from_struct(
                b.threads.GetState(get, timeout=TIMEOUT, metadata=alice).state.values
            )["n"]
            == 3
        )
        with pytest.raises(grpc.RpcError) as caught:
            b.threads.GetState(get, timeout=TIMEOUT, metadata=bob)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        listed = b.threads.ListThreads(
            threads_service_pb2.ListThreadsRequest(), timeout=TIMEOUT, metadata=bob
        )
        assert t not in [th.thread_id for th in listed.threads]
        run_id = events[0].metadata.run_id
        with pytest.raises(grpc.RpcError) as caught:
            list(
                b.runs.JoinRun(
                    runs_service_pb2.JoinRunRequest(run_id=run_id), timeout=TIMEOUT, metadata=bob
                )
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        for server in servers:
            server.stop()
