"""Request building: commands, stream modes and configs become protos before any call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lockstep_api.convert import from_struct, from_value
from lockstep_api.v1 import enums_pb2, runs_service_pb2
from lockstep_client._requests import command_to_proto, run_config, run_request, stream_modes

IID_A = "a" * 32
IID_B = "0123456789abcdef" * 2


@dataclass
class Command:
    update: Any = None
    goto: Any = ()
    resume: Any = None
    graph: str | None = None


@dataclass
class Send:
    node: str
    arg: Any


def test_resume_single_value():
    msg = command_to_proto({"resume": {"approved": True}})
    assert from_value(msg.resume) == {"approved": True} and not msg.resume_by_id
    assert from_value(command_to_proto(Command(resume=0)).resume) == 0


def test_no_resume_when_none():
    msg = command_to_proto(Command(update={"a": 1}))
    assert not msg.HasField("resume") and from_struct(msg.update) == {"a": 1}


def test_resume_keyed_by_interrupt_ids_goes_by_id():
    msg = command_to_proto(Command(resume={IID_A: "yes", IID_B: 2}))
    assert not msg.HasField("resume")
    assert {k: from_value(v) for k, v in msg.resume_by_id.items()} == {IID_A: "yes", IID_B: 2}


def test_explicit_resume_by_id():
    msg = command_to_proto({"resume_by_id": {"custom-id": 1}})
    assert from_value(msg.resume_by_id["custom-id"]) == 1
    with pytest.raises(ValueError, match="not both"):
        command_to_proto({"resume": 1, "resume_by_id": {"x": 2}})


def test_update_pairs_and_goto():
    msg = command_to_proto({"update": [("a", 1), ("b", [2])], "goto": "step_3"})
    assert from_struct(msg.update) == {"a": 1, "b": [2]} and list(msg.goto) == ["step_3"]
    assert list(command_to_proto(Command(goto=["x", "y"])).goto) == ["x", "y"]


def test_refused_commands():
    with pytest.raises(TypeError, match="goto"):
        command_to_proto(Command(goto=[Send("n", {})]))
    with pytest.raises(ValueError, match="graph"):
        command_to_proto(Command(graph="__parent__"))
    with pytest.raises(ValueError, match="unknown key"):
        command_to_proto({"resum": 1})
    with pytest.raises(TypeError, match="expected a dict or a Command"):
        command_to_proto(42)
    with pytest.raises(ValueError, match=r"command.resume: NaN"):
        command_to_proto({"resume": float("nan")})


def test_stream_modes():
    assert stream_modes("values") == ["values"]
    assert stream_modes(["updates", "values", "updates"]) == ["updates", "values"]
    with pytest.raises(ValueError):
        stream_modes([])


def test_run_config_keeps_only_json_and_drops_request_fields():
    assert run_config(None) is None
    assert run_config({"configurable": {"thread_id": "1", "checkpoint_id": "c"}}) is None
    assert run_config({"recursion_limit": 3, "tags": ["a"], "callbacks": object()}) == {
        "recursion_limit": 3,
        "tags": ["a"],
    }


def test_run_request_fields():
    req = run_request(
        runs_service_pb2.CreateRunRequest,
        thread_id=None,
        graph_id="g",
        input={},
        stream_mode=["updates"],
        interrupt_after="step_1",
        multitask_strategy="enqueue",
        metadata={"who": "me"},
    )
    assert req.thread_id == "" and req.HasField("input") and from_struct(req.input) == {}
    assert list(req.stream_modes) == [enums_pb2.STREAM_MODE_UPDATES]
    assert list(req.interrupt_after) == ["step_1"]
    assert req.multitask_strategy == enums_pb2.MULTITASK_STRATEGY_ENQUEUE
    assert not req.HasField("checkpoint_id") and not req.HasField("command")
    with pytest.raises(ValueError, match="multitask_strategy"):
        run_request(
            runs_service_pb2.StreamRunRequest,
            thread_id="t",
            graph_id="g",
            multitask_strategy="later",
        )
    assert run_request(
        runs_service_pb2.WaitRunRequest, thread_id="t", graph_id="g", durability="sync"
    ).durability == enums_pb2.DURABILITY_SYNC
    assert run_request(runs_service_pb2.WaitRunRequest, thread_id="t", graph_id="g").durability == 0
    with pytest.raises(ValueError, match="durability"):
        run_request(runs_service_pb2.StreamRunRequest, thread_id="t", graph_id="g", durability="later")
    req = run_request(
        runs_service_pb2.StreamRunRequest,
        thread_id="t",
        graph_id="g",
        context={"user": "Ann"},
        subgraphs=True,
        checkpoint_ns="child:1",
    )
    assert (req.subgraphs, req.checkpoint_ns) == (True, "child:1")
    assert from_struct(req.context) == {"user": "Ann"}
    with pytest.raises(TypeError, match="context"):
        run_request(runs_service_pb2.StreamRunRequest, thread_id="t", graph_id="g", context=3)
