"""Helpers for talking to the server with the raw stubs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from lockstep_api import convert
from lockstep_api.v1 import (
    enums_pb2,
    message_pb2,
    runs_service_pb2,
    threads_service_pb2,
)

VALUES = enums_pb2.STREAM_MODE_VALUES
UPDATES = enums_pb2.STREAM_MODE_UPDATES
TIMEOUT = 30


def run_request(
    thread_id: str, graph_id: str, input: dict | None = None, modes=(VALUES,), **fields: Any
) -> runs_service_pb2.StreamRunRequest:
    req = runs_service_pb2.StreamRunRequest(
        thread_id=thread_id, graph_id=graph_id, stream_modes=list(modes), **fields
    )
    if input is not None:
        req.input.CopyFrom(convert.to_struct(input))
    return req


def stream(server, *args, **kwargs) -> list[message_pb2.RunEvent]:
    """Run to the end; every event in order."""
    req = run_request(*args, **kwargs)
    return [r.event for r in server.runs.StreamRun(req, timeout=TIMEOUT)]


def kinds(events) -> list[str]:
    return [e.WhichOneof("event") for e in events]


def values(events) -> list[dict]:
    return [convert.from_struct(e.values) for e in events if e.HasField("values")]


def updates(events) -> list[dict]:
    return [
        {e.updates.node: convert.from_struct(e.updates.values)}
        for e in events
        if e.HasField("updates")
    ]


def end_status(events) -> int:
    assert events[-1].HasField("end"), kinds(events)
    return events[-1].end.status


def get_state(server, thread_id: str, **fields) -> message_pb2.StateSnapshot:
    req = threads_service_pb2.GetStateRequest(thread_id=thread_id, **fields)
    return server.threads.GetState(req, timeout=TIMEOUT).state


def update_state(server, thread_id: str, values_: dict | None, as_node: str = "", **fields):
    req = threads_service_pb2.UpdateStateRequest(thread_id=thread_id, as_node=as_node, **fields)
    if values_ is not None:
        req.values.CopyFrom(convert.to_struct(values_))
    return server.threads.UpdateState(req, timeout=TIMEOUT).checkpoint


def history(server, thread_id: str, **fields) -> list[message_pb2.StateSnapshot]:
    req = threads_service_pb2.GetStateHistoryRequest(thread_id=thread_id, **fields)
    return list(server.threads.GetStateHistory(req, timeout=TIMEOUT).states)


@dataclass
class Refusal:
    code: grpc.StatusCode
    message: str
    reason: str
    domain: str


def refusal(call, *args, **kwargs) -> Refusal:
    """Make a call that must fail; its status code, message and ErrorInfo from the details."""
    try:
        result = call(*args, timeout=TIMEOUT, **kwargs)
        if hasattr(result, "__iter__") and not hasattr(result, "ListFields"):
            list(result)  # a server stream fails on reading
    except grpc.RpcError as err:
        status = rpc_status.from_call(err)
        assert status is not None, f"{err.code()} {err.details()!r} carries no google.rpc.Status"
        assert status.code == err.code().value[0]
        infos = []
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                infos.append(info)
        assert infos, f"{err.code()} {err.details()!r}: no ErrorInfo among the details"
        assert err.code() != grpc.StatusCode.INTERNAL, err.details()
        return Refusal(err.code(), err.details(), infos[0].reason, infos[0].domain)
    raise AssertionError(f"{call} succeeded, but it should have been refused")
