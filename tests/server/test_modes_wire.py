"""The engine's surface on the raw wire, as a client in any language sees it: the
messages, tasks and checkpoints modes, the run's context, namespaces on events,
output schemas on what WaitRun returns, and namespaced checkpoints refused clearly."""

from __future__ import annotations

import grpc
import pytest
from wire import TIMEOUT, end_status, get_state, history, kinds, refusal, run_request

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(60)

MESSAGES = enums_pb2.STREAM_MODE_MESSAGES
TASKS = enums_pb2.STREAM_MODE_TASKS
CHECKPOINTS = enums_pb2.STREAM_MODE_CHECKPOINTS
HI = {"messages": [{"role": "user", "content": "hi", "id": "m1"}]}


def chat_run(server, thread, modes, **fields):
    req = run_request(thread, "chat", HI, modes=modes, **fields)
    req.context.CopyFrom(convert.to_struct({"user": "Ann"}))
    return [r.event for r in server.runs.StreamRun(req, timeout=TIMEOUT)]


def test_message_chunks_are_json_objects_with_their_task_metadata(server, tid):
    events = chat_run(server, tid(), [MESSAGES])
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    chunks = [
        (convert.from_struct(e.messages.message), convert.from_struct(e.messages.metadata))
        for e in events
        if e.HasField("messages")
    ]
    assert set(kinds(events)) == {"metadata", "messages", "end"}
    tokens = [m for m, meta in chunks if meta["langgraph_node"] == "reply"]
    assert {m["type"] for m in tokens} == {"AIMessageChunk"}
    assert "".join(m["content"] for m in tokens) == "Hello Ann, how are you"  # the context
    assert len({m["id"] for m in tokens}) == 1 and tokens[0]["id"]
    call, meta = chunks[-2]
    assert call["type"] == "ai" and call["id"] == "ai-call"
    assert call["tool_calls"] == [
        {"name": "lookup", "args": {"q": "weather", "days": 2}, "id": "call_1", "type": "tool_call"}
    ]
    assert meta["langgraph_node"] == "call_tool" and meta["langgraph_step"] == 2
    assert meta["langgraph_checkpoint_ns"].startswith("call_tool:")
    tool, meta = chunks[-1]
    assert (tool["type"], tool["content"], tool["tool_call_id"], tool["name"]) == (
        "tool", "sunny", "call_1", "lookup"
    )
    for key in ("additional_kwargs", "response_metadata"):
        assert tool[key] == {}


def test_tasks_and_checkpoints_modes_and_flat_namespaces(server, tid):
    thread = tid()
    events = chat_run(server, thread, [TASKS, CHECKPOINTS], subgraphs=True)
    assert all(list(e.namespace) == [] for e in events)  # a flat graph: the root's
    tasks = [convert.from_struct(e.tasks) for e in events if e.HasField("tasks")]
    assert [(t["name"], "input" in t) for t in tasks] == [
        ("reply", True), ("reply", False), ("call_tool", True), ("call_tool", False),
        ("tool", True), ("tool", False),
    ]
    assert tasks[-1]["result"]["messages"][0]["content"] == "sunny"
    saved = [convert.from_struct(e.checkpoints) for e in events if e.HasField("checkpoints")]
    assert [c["metadata"]["step"] for c in saved] == [-1, 0, 1, 2, 3]
    assert [c["next"] for c in saved] == [["__start__"], ["reply"], ["call_tool"], ["tool"], []]
    last = get_state(server, thread).checkpoint
    assert saved[-1]["config"]["configurable"]["checkpoint_id"] == last.checkpoint_id


def test_wait_run_returns_what_invoke_returns_under_an_output_schema(server, tid):
    req = run_request(tid(), "ticket", {"title": "printer"})
    wait = runs_service_pb2.WaitRunRequest()
    wait.ParseFromString(req.SerializeToString())  # the same fields, numbered alike
    reply = server.runs.WaitRun(wait, timeout=TIMEOUT)
    assert reply.status == enums_pb2.RUN_STATUS_SUCCESS
    assert convert.from_struct(reply.values) == {"labels": ["triaged", "queue:desk"]}
    # the thread keeps the whole state
    assert convert.from_struct(get_state(server, reply.thread_id).values)["title"] == "printer"


def test_exit_durability_saves_only_where_the_run_ends(server, tid):
    thread = tid()
    events = chat_run(server, thread, [enums_pb2.STREAM_MODE_VALUES], durability=enums_pb2.DURABILITY_EXIT)
    assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
    steps = [s.metadata.step for s in history(server, thread)]
    assert steps == [3]


@pytest.mark.parametrize("call", ["GetState", "UpdateState", "GetStateHistory", "StreamRun"])
def test_an_unknown_namespace_is_not_found_and_changes_nothing(server, tid, call):
    thread = tid()
    chat_run(server, thread, [enums_pb2.STREAM_MODE_VALUES])
    before = [s.checkpoint.checkpoint_id for s in history(server, thread)]
    ns = "reply:0000"
    T = threads_service_pb2
    method, req = {
        "GetState": (server.threads.GetState, T.GetStateRequest(thread_id=thread, checkpoint_ns=ns)),
        "UpdateState": (
            server.threads.UpdateState,
            T.UpdateStateRequest(thread_id=thread, checkpoint_ns=ns, as_node="reply"),
        ),
        "GetStateHistory": (
            server.threads.GetStateHistory,
            T.GetStateHistoryRequest(thread_id=thread, checkpoint_ns=ns),
        ),
        "StreamRun": (
            server.runs.StreamRun,
            run_request(thread, "chat", None, checkpoint_ns=ns),
        ),
    }[call]
    err = refusal(method, req)
    assert err.code == grpc.StatusCode.NOT_FOUND and err.reason == "NAMESPACE_NOT_FOUND"
    assert repr(ns) in err.message
    assert [s.checkpoint.checkpoint_id for s in history(server, thread)] == before
