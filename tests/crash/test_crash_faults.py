"""Faults inside a run: a node that raises, a node that ends the server process, a
store that fails a write (disk full, a database locked by another connection).

Each run fails cleanly: the error (or, for a dead process, the run's record after
the restart) names the cause, the thread stays at its last good checkpoint, and
once the fault is gone a run with no input finishes the work, running again only
nodes whose writes were not saved (graphs/crashy.py counts every execution).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import grpc
import pytest
from server_process import ServerProcess
from wire import TIMEOUT, end_status, run_request, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(90)
RS = enums_pb2
GRAPH_FILE = Path(__file__).resolve().parent / "graphs" / "crashy.py"
SPECS = (
    f"crashy={GRAPH_FILE}:graph",
    f"crashy_async={GRAPH_FILE}:async_graph",
    f"crashy_store={GRAPH_FILE}:store_graph",
    f"crashy_nested={GRAPH_FILE}:nested_graph",
)
NAP = 0.05
FINAL = {
    "trail": ["a", "b1", "b2", "b3", "c", "d"],
    "va": 1,
    "vb1": 2,
    "vb2": 3,
    "vb3": 5,
    "vc": 10,
    "vd": 101,
}


class Faults:
    """The fault file the test graphs read; `clear()` takes the fault away."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, line: str) -> None:
        self.path.write_text(line + "\n")

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@pytest.fixture
def faults(tmp_path, monkeypatch) -> Faults:
    path = tmp_path / "faults"
    monkeypatch.setenv("LOCKSTEP_TEST_FAULTS", str(path))  # the server inherits it
    return Faults(path)


@pytest.fixture
def server(tmp_path, faults):
    started: list[ServerProcess] = []

    def start(store: str | None = None, *extra_args: str) -> ServerProcess:
        proc = ServerProcess(
            tmp_path, store=store, graphs=SPECS, name=f"server{len(started)}", extra_args=extra_args
        ).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def ran(tmp_path: Path) -> Counter:
    log = tmp_path / "counts.log"
    text = log.read_text() if log.exists() else ""
    return Counter(line.split()[1] for line in text.splitlines() if line)


def start_input(tmp_path: Path, thread_id: str) -> dict:
    return {"tag": thread_id, "log": str(tmp_path / "counts.log"), "nap": NAP}


def run(server, thread_id, graph, inp, **fields):
    req = run_request(thread_id, graph, inp, **fields)
    return [r.event for r in server.runs.StreamRun(req, timeout=TIMEOUT)]


def history(server, thread_id):
    req = threads_service_pb2.GetStateHistoryRequest(thread_id=thread_id, page_size=100)
    return list(server.threads.GetStateHistory(req, timeout=TIMEOUT).states)


def head_step(server, thread_id) -> int:
    """The step of the thread's newest checkpoint; -2 while the run has not made the thread yet."""
    try:
        states = history(server, thread_id)
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return -2
    return states[0].metadata.step if states else -2


def thread_status(server, thread_id):
    req = threads_service_pb2.GetThreadRequest(thread_id=thread_id)
    return server.threads.GetThread(req, timeout=TIMEOUT).thread.status


def the_run(server, thread_id):
    req = runs_service_pb2.ListRunsRequest(thread_id=thread_id)
    return server.runs.ListRuns(req, timeout=TIMEOUT).runs[0]


def assert_head(server, thread_id, step, next_, done=()):
    """The thread's newest checkpoint is `step`, waiting for `next_`; the tasks in
    `done` finished in the failed step and their writes were saved."""
    head = history(server, thread_id)[0]
    assert head.metadata.step == step and list(head.next) == list(next_)
    finished = {t.name for t in head.tasks if t.HasField("result")}
    assert finished == set(done)


def resume_to_the_end(server, thread_id, graph):
    events = run(server, thread_id, graph, None)
    assert end_status(events) == RS.RUN_STATUS_SUCCESS, events[-2:]
    got = values(events)[-1]
    assert {k: v for k, v in got.items() if k in FINAL} == FINAL
    assert thread_status(server, thread_id) == RS.THREAD_STATUS_IDLE


@pytest.mark.parametrize("graph", ["crashy", "crashy_async"])
def test_a_node_raises(server, faults, tmp_path, graph):
    srv = server()
    faults.set("t b2 raise")
    events = run(srv, "t", graph, start_input(tmp_path, "t"))
    assert end_status(events) == RS.RUN_STATUS_ERROR
    [error] = [e.error for e in events if e.HasField("error")]
    assert error.node == "b2" and error.error_type == "RuntimeError"
    assert "b2 was told to fail" in error.message
    assert the_run(srv, "t").error == error
    assert thread_status(srv, "t") == RS.THREAD_STATUS_ERROR
    # Its branch siblings finished: their writes are kept, pending on step 1.
    assert_head(srv, "t", 1, ["b1", "b2", "b3"], done=["b1", "b3"])
    faults.clear()
    resume_to_the_end(srv, "t", graph)
    assert ran(tmp_path) == Counter(dict.fromkeys(FINAL_NODES, 1))


FINAL_NODES = ("a", "b1", "b2", "b3", "c", "d")


def test_a_node_ends_the_process(server, faults, tmp_path):
    """With durability sync (here the server's default for runs that do not say),
    the step before the crash was saved before c began: only c, which was
    running, runs again."""
    first = server(None, "--durability", "sync")
    faults.set("t c exit")
    with pytest.raises(grpc.RpcError) as lost:
        run(first, "t", "crashy", start_input(tmp_path, "t"))
    assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
    assert first.proc.wait(10) == 3
    first.close_channel()
    faults.clear()

    second = server(store=first.store)
    stopped = the_run(second, "t")
    assert stopped.status == RS.RUN_STATUS_ERROR
    assert stopped.error.error_type == "ServerStopped"
    assert thread_status(second, "t") == RS.THREAD_STATUS_ERROR
    assert_head(second, "t", 2, ["c"])
    resume_to_the_end(second, "t", "crashy")
    assert ran(tmp_path) == Counter(dict.fromkeys(FINAL_NODES, 1))


def test_a_node_ends_the_process_with_async_durability(server, faults, tmp_path):
    """With durability ASYNC (the default) the step before c may still have been
    in the store's queue: the thread then goes on from the step before it, and
    that step's nodes run again. Every event the client saw is still saved."""
    first = server()
    faults.set("t c exit")
    seen: list = []
    req = run_request("t", "crashy", start_input(tmp_path, "t"), durability=RS.DURABILITY_ASYNC)
    with pytest.raises(grpc.RpcError) as lost:
        for resp in first.runs.StreamRun(req, timeout=TIMEOUT):
            seen.append(resp.event)
    assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
    assert first.proc.wait(10) == 3
    first.close_channel()
    faults.clear()

    second = server(store=first.store)
    assert the_run(second, "t").error.error_type == "ServerStopped"
    saved = [convert.from_struct(state.values) for state in history(second, "t")]
    for shown in values(seen):
        assert shown in saved, f"an event the client saw was lost: {shown}"
    head = history(second, "t")[0]
    if head.metadata.step == 2:
        assert list(head.next) == ["c"]
    else:  # the b's step was lost, but not the writes of the b's that had finished
        assert head.metadata.step == 1 and list(head.next) == ["b1", "b2", "b3"]
    kept = {t.name for t in head.tasks if t.HasField("result")}
    resume_to_the_end(second, "t", "crashy")
    rerun = {"b1", "b2", "b3"} - kept if head.metadata.step == 1 else set()
    # Nodes whose writes were saved never run again; the others ran twice.
    assert ran(tmp_path) == Counter({n: 2 if n in rerun else 1 for n in FINAL_NODES})


def test_the_store_is_full(server, faults, tmp_path):
    srv = server()
    faults.set("t store full 3")  # the checkpoint after c
    events = run(srv, "t", "crashy_store", start_input(tmp_path, "t"))
    assert end_status(events) == RS.RUN_STATUS_ERROR
    [error] = [e.error for e in events if e.HasField("error")]
    assert "database or disk is full" in error.message and error.error_type == "OperationalError"
    assert thread_status(srv, "t") == RS.THREAD_STATUS_ERROR
    assert_head(srv, "t", 2, ["c"])  # c's write was not saved
    faults.clear()
    resume_to_the_end(srv, "t", "crashy_store")
    assert ran(tmp_path) == Counter({"a": 1, "b1": 1, "b2": 1, "b3": 1, "c": 2, "d": 1})


def test_the_database_is_locked(server, faults, tmp_path):
    srv = server()
    faults.set("t store locked 3")
    events: list = []
    worker = threading.Thread(
        target=lambda: events.extend(run(srv, "t", "crashy_store", start_input(tmp_path, "t")))
    )
    worker.start()
    deadline = time.monotonic() + 10
    while head_step(srv, "t") < 2:
        assert time.monotonic() < deadline, "the run did not reach c"
        time.sleep(0.01)
    # Another process takes the write lock while c runs, and holds it past c's save.
    other = sqlite3.connect(srv.store.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    time.sleep(NAP + 0.6)
    other.execute("ROLLBACK")
    other.close()
    worker.join(TIMEOUT)
    assert end_status(events) == RS.RUN_STATUS_ERROR
    [error] = [e.error for e in events if e.HasField("error")]
    assert "database is locked" in error.message
    assert thread_status(srv, "t") == RS.THREAD_STATUS_ERROR
    assert_head(srv, "t", 2, ["c"])
    faults.clear()
    resume_to_the_end(srv, "t", "crashy_store")
    assert ran(tmp_path) == Counter({"a": 1, "b1": 1, "b2": 1, "b3": 1, "c": 2, "d": 1})


def test_the_process_ends_inside_a_subgraph(server, faults, tmp_path):
    """The server dies while a subgraph runs (its third node ends the process). Its
    first two nodes' steps were saved on the thread under the subgraph's namespace:
    the resume runs the parent's subgraph task again, and the subgraph continues
    from its own checkpoint, so only the node that was running runs again."""
    first = server(None, "--durability", "sync")
    faults.set("t s3 exit")
    with pytest.raises(grpc.RpcError) as lost:
        run(first, "t", "crashy_nested", start_input(tmp_path, "t"))
    assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
    assert first.proc.wait(10) == 3
    first.close_channel()
    faults.clear()
    assert ran(tmp_path) == Counter({"a": 1, "s1": 1, "s2": 1})

    second = server(store=first.store)
    assert the_run(second, "t").error.error_type == "ServerStopped"
    assert_head(second, "t", 1, ["sub"])
    events = run(second, "t", "crashy_nested", None)
    assert end_status(events) == RS.RUN_STATUS_SUCCESS, events[-2:]
    assert values(events)[-1]["trail"] == ["a", "a", "s1", "s2", "s3"]  # sub returns its state
    assert ran(tmp_path) == Counter({"a": 1, "s1": 1, "s2": 1, "s3": 1})
