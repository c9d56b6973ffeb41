"""A run's config reaches its nodes: the client's configurable values beside the
thread the request names (which the client cannot override)."""

from __future__ import annotations

import grpc
from wire import refusal, run_request, stream

from lockstep_api import convert
from lockstep_client import Client


def test_configurable_values_reach_the_nodes(server, tid):
    thread = tid()
    config = convert.to_struct(
        {"configurable": {"user": "ada", "thread_id": "elsewhere", "checkpoint_id": "nope"}}
    )
    events = stream(server, thread, "configured", {}, config=config)
    values = [convert.from_struct(e.values) for e in events if e.HasField("values")]
    assert values[-1] == {"who": "ada", "thread": thread}


def test_configurable_must_be_an_object(server, tid):
    config = convert.to_struct({"configurable": ["user"]})
    got = refusal(server.runs.StreamRun, run_request(tid(), "configured", {}, config=config))
    assert got.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "configurable" in got.message


def test_a_remote_graph_passes_configurable_values_as_langgraph_code_does(server, tid):
    thread = tid()
    with Client(server.address, timeout=30) as client:
        graph = client.graph("configured")
        out = graph.invoke({}, {"configurable": {"thread_id": thread, "user": "grace"}})
    assert out == {"who": "grace", "thread": thread}
