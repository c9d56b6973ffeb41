"""`lockstep serve --workers N`: N processes on one port and one store, one server."""

from __future__ import annotations

import os
import re
import signal
import time

import grpc
import pytest
from server_process import ServerProcess
from wire import TIMEOUT, end_status, get_state, run_request

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2 as RS
from lockstep_api.v1 import runs_service_pb2_grpc, threads_service_pb2

pytestmark = pytest.mark.timeout(180)
_PIDS = re.compile(r"\d+ workers sharing the port\): pids ([\d ]+)")
_STATS = re.compile(r"lockstep: stats .*runs_kept=(\d+) pid=(\d+)")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_two_workers_serve_one_port_and_spread_calls(tmp_path, tid):
    server = ServerProcess(tmp_path, extra_args=("--workers", "2"), name="workers")
    with server:
        pids = [int(p) for p in _PIDS.search(server.log()).group(1).split()]
        assert len(pids) == 2 and server.proc.pid not in pids
        threads = []
        # Separate connections (the kernel spreads connections, not calls).
        for i in range(16):
            channel = grpc.insecure_channel(
                server.address, options=[("grpc.use_local_subchannel_pool", 1)]
            )
            try:
                t = tid(str(i))
                req = run_request(t, "slow", {"seconds": 0})
                stub = runs_service_pb2_grpc.RunsStub(channel)
                events = [r.event for r in stub.StreamRun(req, timeout=TIMEOUT)]
                assert end_status(events) == RS.RUN_STATUS_SUCCESS
                threads.append(t)
            finally:
                channel.close()
        # One server: any worker reads any thread.
        for t in threads:
            assert convert.from_struct(get_state(server, t).values)["n"] == 3
        listed = server.threads.ListThreads(
            threads_service_pb2.ListThreadsRequest(page_size=100), timeout=TIMEOUT
        )
        assert set(threads) <= {th.thread_id for th in listed.threads}
        # Both workers ran some of the runs: SIGUSR1 to the parent reaches each.
        mark = server.log_mark()
        os.kill(server.proc.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        kept: dict[int, int] = {}
        while len(kept) < 2:
            assert time.monotonic() < deadline, server.log_since(mark)
            kept = {int(pid): int(n) for n, pid in _STATS.findall(server.log_since(mark))}
            time.sleep(0.05)
        assert set(kept) == set(pids)
        assert all(n > 0 for n in kept.values()), kept
        assert server.terminate() == 0  # a clean shutdown of the parent...
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids):  # ...stops every worker
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.05)


def test_workers_need_a_shared_store(tmp_path):
    server = ServerProcess(tmp_path, store="memory://", extra_args=("--workers", "2"))
    with pytest.raises(RuntimeError, match="--workers needs a store the workers share"):
        server.start()
