"""A replica that stalls past its lease loses its run to another and writes nothing
more: the run ends once, on the replica that took it over, and the thread keeps one
chain of checkpoints (the stalled replica's late writes are refused)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from server_process import ServerProcess
from wire import TIMEOUT, get_state, history, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2 as RS
from lockstep_api.v1 import runs_service_pb2

pytestmark = pytest.mark.timeout(120)
LEASE = 1.0


def test_a_stalled_replica_is_fenced_off(tmp_path, tid):
    store = f"sqlite:///{tmp_path / 'lockstep.db'}"
    args = ("--replica", "--lease-seconds", str(LEASE))
    a = ServerProcess(tmp_path, store=store, name="a", extra_args=args)
    b = ServerProcess(tmp_path, store=store, name="b", extra_args=args)
    try:
        a.start()
        b.start()
        t = tid()
        req = runs_service_pb2.CreateRunRequest(
            thread_id=t,
            graph_id="slow",
            input=convert.to_struct({"seconds": 6}),
            stream_modes=[RS.STREAM_MODE_VALUES],
        )
        run = a.runs.CreateRun(req, timeout=TIMEOUT).run
        deadline = time.monotonic() + 10
        while list(get_state(b, t).next) != ["nap"]:
            assert time.monotonic() < deadline, "the run did not reach nap"
            time.sleep(0.02)
        try:
            for _attempt in range(5):
                # a stalls inside nap, its lease lapses. (Stopped while it held the
                # file's write lock for a moment, it would hold up b too: then it is
                # let go on for a moment and stopped again.)
                os.kill(a.proc.pid, signal.SIGSTOP)
                deadline = time.monotonic() + 4 * LEASE
                while "taken over" not in b.log() and time.monotonic() < deadline:
                    time.sleep(0.05)
                if "taken over" in b.log():
                    break
                os.kill(a.proc.pid, signal.SIGCONT)
                time.sleep(0.1)
            assert "taken over" in b.log(), b.log()
        finally:
            os.kill(a.proc.pid, signal.SIGCONT)  # a wakes up and finishes its nap late
        joined = [
            r.event
            for r in b.runs.JoinRun(
                runs_service_pb2.JoinRunRequest(run_id=run.run_id), timeout=TIMEOUT
            )
        ]
        assert joined[-1].end.status == RS.RUN_STATUS_SUCCESS
        assert [e.WhichOneof("event") for e in joined].count("end") == 1
        assert values(joined)[-1]["n"] == 3
        deadline = time.monotonic() + 10
        while "lease" not in a.log().lower():
            assert time.monotonic() < deadline, a.log()
            time.sleep(0.05)
        time.sleep(LEASE)  # whatever a still had to say, it has said
        states = history(a, t)
        for newer, older in zip(states, states[1:], strict=False):
            assert newer.parent_checkpoint.checkpoint_id == older.checkpoint.checkpoint_id
            assert newer.metadata.step == older.metadata.step + 1
        assert [convert.from_struct(s.values).get("n") for s in reversed(states)] == [
            None, None, 1, 2, 3,
        ]  # fmt: skip
        listed = b.runs.ListRuns(
            runs_service_pb2.ListRunsRequest(thread_id=t), timeout=TIMEOUT
        ).runs
        assert [(r.run_id, r.status) for r in listed] == [(run.run_id, RS.RUN_STATUS_SUCCESS)]
    finally:
        if a.proc is not None and a.proc.poll() is None:
            os.kill(a.proc.pid, signal.SIGCONT)
        a.stop()
        b.stop()
