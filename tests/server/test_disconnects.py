"""Client deadlines and dropped streams follow `on_disconnect`; nothing leaks.

A deadline that passes is a disconnect like any other: with the default
(`cancel`) the run stops at its next step boundary and is listed CANCELLED;
with `continue` it finishes in the background. After a thousand streams that
were dropped, cancelled or timed out, the server's asyncio tasks, OS threads,
live runs and memory are back where they were (SIGUSR1 makes the server print
its counts; its memory is VmRSS in /proc/PID/status).
"""

from __future__ import annotations

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from server_process import ALL_GRAPH_SPECS
from wire import TIMEOUT, end_status, get_state, run_request, stream

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(120)
RS = enums_pb2
SPECS = tuple(s for s in ALL_GRAPH_SPECS if s.startswith(("slow=", "counter=")))


def wait_idle(server, thread_id):
    """Until the run on the thread has let it go (its worker finished its step)."""
    deadline = time.monotonic() + 10
    while True:
        thread = server.threads.GetThread(
            threads_service_pb2.GetThreadRequest(thread_id=thread_id), timeout=TIMEOUT
        ).thread
        if thread.status != RS.THREAD_STATUS_BUSY:
            return thread
        assert time.monotonic() < deadline, "the thread stayed busy"
        time.sleep(0.05)


def statuses(server, thread_id):
    req = runs_service_pb2.ListRunsRequest(thread_id=thread_id)
    return [r.status for r in server.runs.ListRuns(req, timeout=TIMEOUT).runs]


def test_a_deadline_cancels_the_run_at_a_step_boundary(server, tid):
    t = tid()
    call = server.runs.StreamRun(run_request(t, "slow", {"seconds": 1.0}), timeout=0.5)
    with pytest.raises(grpc.RpcError) as late:
        list(call)
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_idle(server, t)
    assert statuses(server, t) == [RS.RUN_STATUS_CANCELLED]
    # The nap it was in finished and was saved; `last` did not run.
    snap = get_state(server, t)
    assert list(snap.next) == ["last"] and convert.from_struct(snap.values)["n"] == 2
    assert end_status(stream(server, t, "slow", None)) == RS.RUN_STATUS_SUCCESS


def test_a_deadline_on_wait_run_cancels_it_too(server, tid):
    t = tid()
    req = runs_service_pb2.WaitRunRequest(
        thread_id=t, graph_id="slow", input=convert.to_struct({"seconds": 1.0})
    )
    with pytest.raises(grpc.RpcError) as late:
        server.runs.WaitRun(req, timeout=0.5)
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_idle(server, t)
    assert statuses(server, t) == [RS.RUN_STATUS_CANCELLED]


def test_a_deadline_with_on_disconnect_continue_lets_the_run_finish(server, tid):
    t = tid()
    req = run_request(t, "slow", {"seconds": 0.8}, on_disconnect=RS.ON_DISCONNECT_CONTINUE)
    call = server.runs.StreamRun(req, timeout=0.4)
    run_id = ""
    with pytest.raises(grpc.RpcError) as late:
        for response in call:
            run_id = run_id or response.event.metadata.run_id
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    joined = [
        r.event
        for r in server.runs.JoinRun(
            runs_service_pb2.JoinRunRequest(run_id=run_id), timeout=TIMEOUT
        )
    ]
    assert end_status(joined) == RS.RUN_STATUS_SUCCESS
    assert convert.from_struct(get_state(server, t).values)["n"] == 3


# ---------------------------------------------------------------------------- leaks

_STATS = re.compile(r"lockstep: stats (.*)")


def counts(server) -> dict[str, int]:
    """The server's own counts (SIGUSR1) and its resident memory in kB."""
    mark = server.log_mark()
    os.kill(server.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not (found := _STATS.search(server.log_since(mark))):
        assert time.monotonic() < deadline, "no stats line after SIGUSR1"
        time.sleep(0.02)
    out = {k: int(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
    with open(f"/proc/{server.proc.pid}/status") as status:
        rss = next(line for line in status if line.startswith("VmRSS:"))
    out["rss_kb"] = int(rss.split()[1])
    return out


def settled(server) -> dict[str, int]:
    """Counts once no run holds a thread any more."""
    deadline = time.monotonic() + 30
    while (now := counts(server))["runs_active"]:
        assert time.monotonic() < deadline, now
        time.sleep(0.1)
    time.sleep(0.3)  # the last streams' handlers finish
    return counts(server)


def churn(server, prefix: str, n: int) -> None:
    """n runs on distinct threads, each ended early: dropped by the client, cancelled
    with CancelRun, or cut by a deadline."""

    def one(i: int) -> None:
        req = run_request(f"{prefix}-{i}", "slow", {"seconds": 0.01})
        kind = i % 3
        try:
            if kind == 0:  # the client walks away after the first event
                call = server.runs.StreamRun(req, timeout=TIMEOUT)
                next(call)
                call.cancel()
            elif kind == 1:  # CancelRun, then read the stream to its end
                call = server.runs.StreamRun(req, timeout=TIMEOUT)
                run_id = next(call).event.metadata.run_id
                server.runs.CancelRun(
                    runs_service_pb2.CancelRunRequest(run_id=run_id), timeout=TIMEOUT
                )
                list(call)
            else:  # a deadline shorter than the run
                list(server.runs.StreamRun(req, timeout=0.03))
        except grpc.RpcError as err:
            assert err.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED), err

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def test_a_thousand_broken_streams_leak_nothing(spawn_server):
    server = spawn_server(graphs=SPECS)
    # Warm up past the 1,000 finished runs the server keeps for JoinRun, so that
    # worker pools, SQLite's page caches and that window are at their working size.
    churn(server, "warm", 1200)
    before = settled(server)
    churn(server, "churn", 1000)
    after = settled(server)
    print(f"before {before}\nafter  {after}")
    assert after["tasks"] <= before["tasks"], (before, after)
    assert after["runs_active"] == after["runs_queued"] == 0
    assert after["runs_kept"] <= 1000
    # The run pool keeps idle workers up to the most runs seen at once (at most 64);
    # a leak would keep one per stream.
    assert after["threads"] <= before["threads"] + 8, (before, after)
    # What stays: each new thread's record (every stream here made a thread), well
    # under a kB; a leaked run (its task, its events, its engine) is ten times that.
    per_stream = (after["rss_kb"] - before["rss_kb"]) / 1000
    print(f"{per_stream:.2f} kB kept per stream")
    assert per_stream < 4, (before, after)
