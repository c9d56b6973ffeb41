"""Run records outlive the server process: ListRuns after a restart, and a run the
server was killed in is listed as not finished (ERROR, ServerStopped), its thread
not left busy."""

from __future__ import annotations

import time

import pytest
from server_process import ALL_GRAPH_SPECS
from wire import TIMEOUT, end_status, get_state, stream, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(90)
RS = enums_pb2
SPECS = tuple(s for s in ALL_GRAPH_SPECS if s.startswith(("slow=", "flaky=", "counter=")))


def list_runs(server, **fields):
    req = runs_service_pb2.ListRunsRequest(**fields)
    return list(server.runs.ListRuns(req, timeout=TIMEOUT).runs)


def thread_status(server, thread_id):
    req = threads_service_pb2.GetThreadRequest(thread_id=thread_id)
    return server.threads.GetThread(req, timeout=TIMEOUT).thread.status


def test_runs_are_listed_after_a_restart(spawn_server, tid):
    first = spawn_server(graphs=SPECS)
    ok, bad = tid("ok"), tid("bad")
    assert end_status(stream(first, ok, "counter", {"count": 1})) == RS.RUN_STATUS_SUCCESS
    assert end_status(stream(first, bad, "flaky", {"input": "bad"})) == RS.RUN_STATUS_ERROR
    before = {r.run_id: r for r in list_runs(first)}
    assert first.terminate() == 0

    second = spawn_server(graphs=SPECS, store=first.store)
    after = list_runs(second)
    assert {r.run_id: r for r in after} == before
    assert [r.thread_id for r in after] == [bad, ok]  # newest first
    failed = list_runs(second, thread_id=bad)[0]
    assert failed.status == RS.RUN_STATUS_ERROR
    assert failed.error.node == "check" and "refuses the input" in failed.error.message
    assert [r.thread_id for r in list_runs(second, status=RS.RUN_STATUS_SUCCESS)] == [ok]
    # A finished run of the earlier process can still be joined: its outcome, at once.
    joined = [
        r.event
        for r in second.runs.JoinRun(
            runs_service_pb2.JoinRunRequest(run_id=failed.run_id), timeout=TIMEOUT
        )
    ]
    assert [e.WhichOneof("event") for e in joined] == ["metadata", "error", "end"]
    assert end_status(joined) == RS.RUN_STATUS_ERROR
    # Deleting the thread forgets its runs.
    second.threads.DeleteThread(
        threads_service_pb2.DeleteThreadRequest(thread_id=bad), timeout=TIMEOUT
    )
    assert list_runs(second, thread_id=bad) == []


def test_a_run_killed_with_the_server_is_listed_as_not_finished(spawn_server, tid):
    first = spawn_server(graphs=SPECS)
    t = tid()
    run = first.runs.CreateRun(
        runs_service_pb2.CreateRunRequest(
            thread_id=t, graph_id="slow", input=convert.to_struct({"seconds": 5.0})
        ),
        timeout=TIMEOUT,
    ).run
    deadline = time.monotonic() + 10
    while list(get_state(first, t).next) != ["nap"]:
        assert time.monotonic() < deadline, "the run did not reach nap"
        time.sleep(0.02)
    assert thread_status(first, t) == RS.THREAD_STATUS_BUSY
    first.proc.kill()  # SIGKILL: no drain, no goodbye
    first.proc.wait(10)
    first.close_channel()

    second = spawn_server(graphs=SPECS, store=first.store)
    [listed] = list_runs(second, thread_id=t)
    assert listed.run_id == run.run_id
    assert listed.status == RS.RUN_STATUS_ERROR
    assert listed.error.error_type == "ServerStopped"
    assert listed.error.code == 14 and "resume" in listed.error.message
    assert thread_status(second, t) == RS.THREAD_STATUS_ERROR  # not busy: nothing runs there
    snap = get_state(second, t)
    assert list(snap.next) == ["nap"] and convert.from_struct(snap.values) == {
        "seconds": 5.0,
        "n": 1,
    }
    # Resuming with no input finishes the work.
    second.threads.UpdateState(
        threads_service_pb2.UpdateStateRequest(
            thread_id=t, values=convert.to_struct({"seconds": 0.0})
        ),
        timeout=TIMEOUT,
    )
    events = stream(second, t, "slow", None)
    assert end_status(events) == RS.RUN_STATUS_SUCCESS
    assert values(events)[-1] == {"seconds": 0.0, "n": 3}
    assert thread_status(second, t) == RS.THREAD_STATUS_IDLE
    statuses = [r.status for r in list_runs(second, thread_id=t)]
    assert statuses == [RS.RUN_STATUS_SUCCESS, RS.RUN_STATUS_ERROR]


def test_memory_store_lists_runs(spawn_server, tid):
    server = spawn_server(graphs=SPECS, store="memory://")
    t = tid()
    assert end_status(stream(server, t, "counter", {"count": 0})) == RS.RUN_STATUS_SUCCESS
    [run] = list_runs(server, thread_id=t)
    assert run.status == RS.RUN_STATUS_SUCCESS and run.graph_id == "counter"
