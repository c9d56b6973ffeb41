"""The other example graphs over the wire, graph introspection, and a client that walks away."""

from __future__ import annotations

import time

import grpc
import pytest
from wire import TIMEOUT, end_status, get_state, kinds, run_request, stream, values

from lockstep_api import convert
from lockstep_api.v1 import (
    enums_pb2,
    graphs_service_pb2,
    runs_service_pb2,
    threads_service_pb2,
)

pytestmark = pytest.mark.timeout(60)


def test_list_and_get_graphs(server):
    listed = server.graphs_stub.ListGraphs(graphs_service_pb2.ListGraphsRequest(), timeout=TIMEOUT)
    ids = [g.graph_id for g in listed.graphs]
    assert ids == sorted(ids)
    assert {"dynamic_breakpoints", "approval", "breakpoints", "map_reduce", "slow"} <= set(ids)
    seed = next(g for g in listed.graphs if g.graph_id == "dynamic_breakpoints")
    assert seed.description.startswith("The seed graph")


def test_get_graph(server):
    graph = server.graphs_stub.GetGraph(
        graphs_service_pb2.GetGraphRequest(graph_id="dynamic_breakpoints"), timeout=TIMEOUT
    ).graph
    assert [n.name for n in graph.nodes] == ["step_1", "step_2", "step_3"]
    edges = {(e.source, e.target) for e in graph.edges}
    assert {("__start__", "step_1"), ("step_3", "__end__")} <= edges
    assert "step_1" in graph.mermaid
    bp = server.graphs_stub.GetGraph(
        graphs_service_pb2.GetGraphRequest(graph_id="breakpoints"), timeout=TIMEOUT
    ).graph
    assert list(bp.interrupt_before) == ["publish"]
    mr = server.graphs_stub.GetGraph(
        graphs_service_pb2.GetGraphRequest(graph_id="map_reduce"), timeout=TIMEOUT
    ).graph
    reducers = {k.name: k.reducer for k in mr.state_keys}
    assert reducers["squares"] and not reducers["numbers"]


def test_get_graph_xray_draws_subgraphs_in_place_of_their_nodes(server):
    def get(xray: int):
        req = graphs_service_pb2.GetGraphRequest(graph_id="nested", xray=xray)
        return server.graphs_stub.GetGraph(req, timeout=TIMEOUT).graph

    flat, deep = get(0), get(-1)
    assert [n.name for n in flat.nodes] == ["draft", "approval", "act"]
    assert [n.name for n in deep.nodes] == ["draft", "act", "approval:check", "approval:ask"]
    assert ("draft", "approval:check") in {(e.source, e.target) for e in deep.edges}
    assert "subgraph approval" in deep.mermaid and "subgraph" not in flat.mermaid
    assert get(1) == deep
    with pytest.raises(grpc.RpcError) as err:
        get(-2)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "xray must be -1" in err.value.details()


def test_approval_interrupt_and_command_resume(server, tid):
    t = tid()
    events = stream(server, t, "approval", {"request": "  buy a boat "})
    assert kinds(events)[-2:] == ["interrupt", "end"]
    intr = events[-2].interrupt
    assert intr.node == "review" and intr.id
    assert convert.from_value(intr.value) == {
        "question": "Approve this request?",
        "request": "buy a boat",
    }
    req = run_request(t, "approval")
    req.command.resume.bool_value = True
    events = stream_req(server, req)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(events)[-1] == {"request": "buy a boat", "approved": True, "outcome": "done"}

    # resume_by_id, on another thread, with a "no".
    t2 = tid("no")
    intr2 = stream(server, t2, "approval", {"request": "x"})[-2].interrupt
    req = run_request(t2, "approval")
    req.command.resume_by_id[intr2.id].bool_value = False
    assert values(stream_req(server, req))[-1]["outcome"] == "rejected"


def stream_req(server, req):
    return [r.event for r in server.runs.StreamRun(req, timeout=TIMEOUT)]


def test_static_breakpoint(server, tid):
    t = tid()
    events = stream(server, t, "breakpoints", {"text": "draft"})
    assert kinds(events)[-2:] == ["interrupt", "end"]
    assert events[-2].interrupt.node == "publish"
    assert events[-2].interrupt.when == enums_pb2.INTERRUPT_WHEN_BEFORE
    assert end_status(events) == enums_pb2.RUN_STATUS_INTERRUPTED
    assert list(get_state(server, t).next) == ["publish"]
    events = stream(server, t, "breakpoints", None)
    assert values(events)[-1] == {"text": "draft (edited)", "published": True}
    # A per-run breakpoint on a graph without one.
    t2 = tid("dyn")
    events = stream(server, t2, "dynamic_breakpoints", {"input": "hi"}, interrupt_after=["step_1"])
    assert events[-2].interrupt.node == "step_1"
    assert events[-2].interrupt.when == enums_pb2.INTERRUPT_WHEN_AFTER
    assert list(get_state(server, t2).next) == ["step_2"]


def test_map_reduce_with_send(server, tid):
    events = stream(server, tid(), "map_reduce", {"numbers": [1, 2, 3, 4]})
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    final = values(events)[-1]
    assert sorted(final["squares"]) == [1, 4, 9, 16] and final["total"] == 30
    assert type(final["total"]) is int


def test_replay_from_an_earlier_checkpoint(server, tid):
    """checkpoint_id on a run forks from that checkpoint; the old branch stays in history."""
    t = tid()
    stream(server, t, "dynamic_breakpoints", {"input": "hello world"})
    ref = server.threads.UpdateState(
        threads_service_pb2.UpdateStateRequest(
            thread_id=t, values=convert.to_struct({"input": "abc"})
        ),
        timeout=TIMEOUT,
    ).checkpoint
    events = stream(server, t, "dynamic_breakpoints", None, checkpoint_id=ref.checkpoint_id)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    assert values(events)[-1] == {"input": "abc"}


def test_a_client_that_walks_away_cancels_its_run(server, tid):
    t = tid()
    call = server.runs.StreamRun(run_request(t, "slow", {"seconds": 1.0}), timeout=TIMEOUT)
    seen = [next(call).event for _ in range(3)]  # metadata, input, after `first`: nap runs
    assert kinds(seen) == ["metadata", "values", "values"]
    call.cancel()
    # The thread is free again soon, at its last checkpoint.
    deadline = time.monotonic() + 10
    while True:
        thread = server.threads.GetThread(
            threads_service_pb2.GetThreadRequest(thread_id=t), timeout=TIMEOUT
        ).thread
        if thread.status != enums_pb2.THREAD_STATUS_BUSY or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert thread.status != enums_pb2.THREAD_STATUS_BUSY
    runs = server.runs.ListRuns(runs_service_pb2.ListRunsRequest(thread_id=t), timeout=TIMEOUT)
    assert [r.status for r in runs.runs] == [enums_pb2.RUN_STATUS_CANCELLED]
    # Stopped at a step boundary: the step in flight (the nap) finished and was saved.
    assert list(get_state(server, t).next) == ["last"]
    events = stream(server, t, "slow", None)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS


def test_on_disconnect_continue_keeps_running(server, tid):
    t = tid()
    req = run_request(t, "slow", {"seconds": 0.5})
    req.on_disconnect = enums_pb2.ON_DISCONNECT_CONTINUE
    call = server.runs.StreamRun(req, timeout=TIMEOUT)
    run_id = next(call).event.metadata.run_id
    call.cancel()
    with pytest.raises(grpc.RpcError):
        list(call)
    joined = [
        r.event
        for r in server.runs.JoinRun(
            runs_service_pb2.JoinRunRequest(run_id=run_id), timeout=TIMEOUT
        )
    ]
    assert end_status(joined) == enums_pb2.RUN_STATUS_SUCCESS
    assert convert.from_struct(get_state(server, t).values)["n"] == 3
