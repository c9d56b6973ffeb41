"""SIGTERM with a run in flight: a clean exit, and the thread intact after a restart."""

from __future__ import annotations

import threading

import pytest
from server_process import ALL_GRAPH_SPECS
from wire import TIMEOUT, end_status, get_state, history, kinds, run_request, stream, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2

pytestmark = pytest.mark.timeout(90)

SPECS = tuple(s for s in ALL_GRAPH_SPECS if s.startswith(("slow=", "dynamic_breakpoints=")))


def start_slow_run(server, thread_id: str, seconds: float):
    """Stream a slow run in a client thread; return once its nap node is running."""
    events: list = []
    napping = threading.Event()
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            call = server.runs.StreamRun(
                run_request(thread_id, "slow", {"seconds": seconds}), timeout=TIMEOUT
            )
            for response in call:
                events.append(response.event)
                if len(events) >= 3:
                    napping.set()
        except BaseException as exc:  # the stream may break as the server goes
            errors.append(exc)
        finally:
            napping.set()

    worker = threading.Thread(target=follow, daemon=True)
    worker.start()
    assert napping.wait(TIMEOUT)
    assert kinds(events)[:3] == ["metadata", "values", "values"], (kinds(events), errors)
    return worker, events, errors


def test_sigterm_mid_run_short_grace_keeps_the_last_checkpoint(spawn_server, tid):
    """The run cannot finish within the grace: it is cancelled at a step edge."""
    first = spawn_server(graphs=SPECS, extra_args=("--grace", "0.2"))
    t = tid()
    seed = tid("seed")
    assert end_status(stream(first, seed, "dynamic_breakpoints", {"input": "hello"})) == (
        enums_pb2.RUN_STATUS_SUCCESS
    )
    worker, events, _ = start_slow_run(first, t, seconds=2.0)
    code = first.terminate()
    worker.join(TIMEOUT)
    assert code == 0, first.log()
    log = first.log()
    assert "shutting down" in log and "lockstep: stopped" in log
    assert "Traceback" not in log, log
    if events and events[-1].HasField("end"):
        assert events[-1].end.status == enums_pb2.RUN_STATUS_CANCELLED

    second = spawn_server(graphs=SPECS, store=first.store)
    snap = get_state(second, t)
    # The node running when the signal came finishes in its worker, its step
    # reaches its checkpoint (step 2), and the run stops there, before `last`.
    assert list(snap.next) == ["last"]
    assert convert.from_struct(snap.values) == {"seconds": 2.0, "n": 2}
    steps = [(s.metadata.step, tuple(s.next)) for s in history(second, t)]
    assert steps == [(2, ("last",)), (1, ("nap",)), (0, ("first",)), (-1, ("__start__",))]
    # Other threads are untouched.
    assert convert.from_struct(get_state(second, seed).values) == {"input": "hello"}
    # Resuming completes from there: `nap` does not run again.
    done = stream(second, t, "slow", None)
    assert end_status(done) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(done)[-1] == {"seconds": 2.0, "n": 3}
    assert list(get_state(second, t).next) == []


def test_sigterm_lets_an_in_flight_run_finish_within_the_grace(spawn_server, tid):
    first = spawn_server(graphs=SPECS)
    t = tid()
    worker, events, errors = start_slow_run(first, t, seconds=1.0)
    code = first.terminate()
    worker.join(TIMEOUT)
    assert code == 0, first.log()
    assert not errors, errors
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(events)[-1] == {"seconds": 1.0, "n": 3}

    second = spawn_server(graphs=SPECS, store=first.store)
    snap = get_state(second, t)
    assert list(snap.next) == [] and convert.from_struct(snap.values) == {"seconds": 1.0, "n": 3}
