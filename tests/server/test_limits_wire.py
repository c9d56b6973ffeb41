"""The server's limits, each met over the wire by a server started with small ones:
message size, state size, events per run, run time and Struct depth."""

from __future__ import annotations

import time

import grpc
import pytest
from server_process import HERE, ServerProcess
from wire import TIMEOUT, end_status, get_state, history, refusal, run_request

from lockstep.cli.args import parser
from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(120)

LOOPER = f"looper={HERE / 'graphs' / 'looper.py'}:graph"
COUNTER = f"counter={HERE / 'graphs' / 'counter.py'}:graph"
RS = enums_pb2


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> ServerProcess:
    """Messages of 64 KiB, states of 20 KiB, 12 events a run, runs of 1.5 s, depth 3."""
    limits = (
        "--max-message-bytes", "64K",
        "--max-state-bytes", "20K",
        "--max-run-events", "12",
        "--max-run-seconds", "1.5",
        "--max-struct-depth", "3",
    )  # fmt: skip
    proc = ServerProcess(
        tmp_path_factory.mktemp("limits"), graphs=(LOOPER, COUNTER), extra_args=limits, name="limits"
    )
    proc.start()
    yield proc
    proc.stop()


def run(server: ServerProcess, thread_id: str, data: dict | None, graph: str = "looper"):
    req = run_request(thread_id, graph, data)
    return [r.event for r in server.runs.StreamRun(req, timeout=TIMEOUT)]


def thread_bytes(server: ServerProcess, thread_id: str) -> tuple[bytes, ...]:
    return (
        get_state(server, thread_id).SerializeToString(deterministic=True),
        *(s.SerializeToString(deterministic=True) for s in history(server, thread_id, page_size=100)),
    )


def wait_for_status(server: ServerProcess, thread_id: str) -> int:
    """The thread's status once it is no longer busy (a stopped run holds it until its
    step has finished, after its stream has ended)."""
    req = threads_service_pb2.GetThreadRequest(thread_id=thread_id)
    deadline = time.monotonic() + 10
    while True:
        status = server.threads.GetThread(req, timeout=TIMEOUT).thread.status
        if status != RS.THREAD_STATUS_BUSY or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


# ---------------------------------------------------------------------------- message size


def test_a_request_over_the_message_limit_is_resource_exhausted(small, tid) -> None:
    req = run_request(tid(), "looper", {"rounds": 1, "pad": "x" * 70_000})
    with pytest.raises(grpc.RpcError) as err:
        list(small.runs.StreamRun(req, timeout=TIMEOUT))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "larger than max" in err.value.details(), err.value.details()


def test_a_listing_page_is_cut_to_fit_the_message_limit(small, tid) -> None:
    """A hundred threads with 800 bytes of metadata each do not fit 64 KiB: a page of
    100 comes back shorter, and its tokens lead through every thread exactly once."""
    batch = tid("batch")
    for n in range(100):
        meta = convert.to_struct({"batch": batch, "pad": "x" * 800})
        small.threads.CreateThread(
            threads_service_pb2.CreateThreadRequest(thread_id=tid(str(n)), metadata=meta), timeout=TIMEOUT
        )
    wanted = convert.to_struct({"batch": batch})
    seen, pages, token = [], [], ""
    while True:
        req = threads_service_pb2.ListThreadsRequest(page_size=100, metadata=wanted, page_token=token)
        reply = small.threads.ListThreads(req, timeout=TIMEOUT)
        pages.append(len(reply.threads))
        seen += [t.thread_id for t in reply.threads]
        token = reply.next_page_token
        if not token:
            break
    assert len(pages) > 1 and all(0 < n < 100 for n in pages[:-1]), pages
    assert sorted(seen) == sorted(tid(str(n)) for n in range(100))
    req = threads_service_pb2.ListThreadsRequest(page_size=10, metadata=wanted)
    assert len(small.threads.ListThreads(req, timeout=TIMEOUT).threads) == 10  # fits: as asked


def test_a_history_page_is_cut_to_fit_the_message_limit(small, tid) -> None:
    """Thirteen checkpoints of 12 KB states: a page of 100 would be 156 KB. The pages
    come back shorter and together hold the whole history, newest first."""
    thread = tid()
    run(small, thread, {"rounds": 1, "chunk": 12_000})
    run(small, thread, {"rounds": 10, "chunk": 0, "done": 0})
    ids, pages, token = [], [], ""
    while True:
        req = threads_service_pb2.GetStateHistoryRequest(thread_id=thread, page_size=100, page_token=token)
        reply = small.threads.GetStateHistory(req, timeout=TIMEOUT)
        pages.append(len(reply.states))
        ids += [s.checkpoint.checkpoint_id for s in reply.states]
        token = reply.next_page_token
        if not token:
            break
    assert len(pages) > 2 and all(n > 0 for n in pages), pages
    assert len(ids) == len(set(ids)) == 15 and ids == sorted(ids, reverse=True)
    assert [len(history(small, thread, page_size=3))] == [3]  # fits: as asked


def test_an_item_too_big_for_any_reply_is_named() -> None:
    """One state bigger than the message limit cannot be cut: the error says which limit to raise."""
    from lockstep.runs.errors import Code, RequestError
    from lockstep.service import messages

    items = [convert.to_struct({"pad": "x" * 70_000})]
    with pytest.raises(RequestError) as err:
        messages.fitting(items, 64 * 1024, "checkpoint's state")
    assert err.value.code == Code.RESOURCE_EXHAUSTED and err.value.reason == "REPLY_TOO_LARGE"
    assert "--max-message-bytes" in err.value.message and "65536" in err.value.message
    assert messages.fitting(items * 0, 64 * 1024, "state") == 0
    small = [convert.to_struct({"n": n}) for n in range(10)]
    assert messages.fitting(small, 1024, "thread") == 10  # a small limit keeps room for items


# ---------------------------------------------------------------------------- state size


def test_an_input_over_the_state_limit_is_refused_and_saves_nothing(small, tid) -> None:
    thread = tid()
    got = refusal(small.runs.StreamRun, run_request(thread, "looper", {"rounds": 1, "chunk": 1, "chunks": ["y" * 30_000]}))  # fmt: skip
    assert got.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert got.reason == "STATE_TOO_LARGE"
    assert "--max-state-bytes" in got.message and "20480" in got.message, got.message
    got = refusal(small.threads.GetThread, threads_service_pb2.GetThreadRequest(thread_id=thread))
    assert got.code == grpc.StatusCode.NOT_FOUND  # a refused run makes no thread
    run(small, thread, {"rounds": 1})  # nor any checkpoint: the id starts afresh
    assert [s.metadata.step for s in history(small, thread)] == [1, 0, -1]


def test_a_run_that_grows_past_the_state_limit_stops_before_saving_it(small, tid) -> None:
    """8 KB a step: the third step would make 24 KB; the thread keeps the second."""
    thread = tid()
    events = run(small, thread, {"rounds": 10, "chunk": 8000})
    assert end_status(events) == RS.RUN_STATUS_ERROR
    error = next(e.error for e in events if e.HasField("error"))
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], error
    assert "StateTooLargeError" in error.message and "--max-state-bytes" in error.message, error
    state = convert.from_struct(get_state(small, thread).values)
    assert state["done"] == 2 and len(state["chunks"]) == 2, state
    assert all(len(convert.from_struct(s.values).get("chunks", [])) <= 2 for s in history(small, thread))


def test_an_update_over_the_state_limit_leaves_the_thread_as_it_was(small, tid) -> None:
    thread = tid()
    run(small, thread, {"rounds": 1, "chunk": 10})
    before = thread_bytes(small, thread)
    req = threads_service_pb2.UpdateStateRequest(
        thread_id=thread, values=convert.to_struct({"chunks": ["z" * 25_000]})
    )
    got = refusal(small.threads.UpdateState, req)
    assert (got.code, got.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STATE_TOO_LARGE")
    assert thread_bytes(small, thread) == before


# ---------------------------------------------------------------------------- events per run


def test_a_run_past_the_event_limit_ends_with_an_error(small, tid) -> None:
    thread = tid()
    req = run_request(thread, "looper", {"rounds": 20}, modes=(RS.STREAM_MODE_VALUES, RS.STREAM_MODE_UPDATES))
    events = [r.event for r in small.runs.StreamRun(req, timeout=TIMEOUT)]
    assert end_status(events) == RS.RUN_STATUS_ERROR
    error = events[-2].error
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], events[-2]
    assert "--max-run-events" in error.message and error.error_type == "LimitExceeded"
    assert len(events) <= 12 + 2  # the limit, then the error and the end
    # Stopped at a step boundary: the thread goes on from its last step.
    state = convert.from_struct(get_state(small, thread).values)
    assert 0 < state["done"] < 20 and list(get_state(small, thread).next) == ["step"]


# ---------------------------------------------------------------------------- run time


def test_a_run_past_the_time_limit_times_out_at_a_step_boundary_and_resumes(small, tid) -> None:
    thread = tid()
    started = time.monotonic()
    events = run(small, thread, {"rounds": 6, "pause": 0.5})
    assert time.monotonic() - started < 5
    assert end_status(events) == RS.RUN_STATUS_TIMEOUT
    error = events[-2].error
    assert error.code == grpc.StatusCode.DEADLINE_EXCEEDED.value[0], events[-2]
    assert "--max-run-seconds" in error.message, error.message
    state = get_state(small, thread)
    done = convert.from_struct(state.values)["done"]
    assert 1 <= done < 6 and list(state.next) == ["step"]
    assert wait_for_status(small, thread) == RS.THREAD_STATUS_ERROR
    runs = small.runs.ListRuns(runs_service_pb2.ListRunsRequest(thread_id=thread), timeout=TIMEOUT).runs
    assert runs[0].status == RS.RUN_STATUS_TIMEOUT
    # Resumable: each run gets its own 1.5 s and goes on from where the last stopped.
    for _ in range(4):
        wait_for_status(small, thread)  # the stopped step finishes after the stream ends
        events = run(small, thread, None)
        if end_status(events) == RS.RUN_STATUS_SUCCESS:
            break
    assert end_status(events) == RS.RUN_STATUS_SUCCESS
    assert convert.from_struct(get_state(small, thread).values)["done"] == 6


def test_a_run_past_its_recursion_limit_is_resource_exhausted(small, tid) -> None:
    """The caller's own step budget (config.recursion_limit): a limit, not a server failure."""
    req = run_request(tid(), "looper", {"rounds": 10})
    req.config.CopyFrom(convert.to_struct({"recursion_limit": 3}))
    events = [r.event for r in small.runs.StreamRun(req, timeout=TIMEOUT)]
    assert end_status(events) == RS.RUN_STATUS_ERROR
    error = events[-2].error
    assert (error.code, error.error_type) == (grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], "GraphRecursionError")
    req.config.CopyFrom(convert.to_struct({"recursion_limit": -1}))
    got = refusal(small.runs.StreamRun, req)
    assert (got.code, got.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "BAD_CONFIG")
    assert "recursion_limit must be a positive whole number, got -1" in got.message


# ---------------------------------------------------------------------------- struct depth


def test_values_nested_deeper_than_the_limit_are_invalid(small, tid) -> None:
    ok = {"rounds": 1, "meta": {"a": {"b": 1}}}  # three levels: the input, meta, a
    assert end_status(run(small, tid("ok"), ok)) == RS.RUN_STATUS_SUCCESS
    too_deep = {"rounds": 1, "meta": {"a": {"b": {"c": 1}}}}
    got = refusal(small.runs.StreamRun, run_request(tid("deep"), "looper", too_deep))
    assert (got.code, got.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "TOO_DEEP")
    assert got.message.startswith("input['meta']['a']['b']: nested more than 3 levels"), got.message
    req = threads_service_pb2.CreateThreadRequest(metadata=convert.to_struct({"x": [[[1]]]}))
    got = refusal(small.threads.CreateThread, req)
    assert got.message.startswith("metadata['x'][0][0]: nested more than 3"), got.message


# ---------------------------------------------------------------------------- the flags


def test_serve_flags_take_sizes_and_refuse_nonsense(capsys) -> None:
    args = parser().parse_args(["serve", "--max-message-bytes", "4MiB", "--max-state-bytes", "512k"])
    assert (args.max_message_bytes, args.max_state_bytes) == (4 * 1024 * 1024, 512 * 1024)
    assert parser().parse_args(["serve"]).max_run_seconds == 3600
    for flag, value in (
        ("--max-state-bytes", "0"),
        ("--max-state-bytes", "4GB"),
        ("--max-run-seconds", "-1"),
        ("--max-run-seconds", "nan"),
        ("--max-run-events", "many"),
        ("--max-struct-depth", "0"),
    ):
        with pytest.raises(SystemExit):
            parser().parse_args(["serve", flag, value])
