"""A fake Lockstep server (canned responses) and event builders for the SDK unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from lockstep_api.convert import to_struct, to_value
from lockstep_api.v1 import (
    enums_pb2,
    graphs_service_pb2,
    graphs_service_pb2_grpc,
    message_pb2,
    runs_service_pb2,
    runs_service_pb2_grpc,
    threads_service_pb2,
    threads_service_pb2_grpc,
)

THREAD = "t-1"


def ref(checkpoint_id: str, thread_id: str = THREAD) -> message_pb2.CheckpointRef:
    return message_pb2.CheckpointRef(thread_id=thread_id, checkpoint_id=checkpoint_id)


def ev(**kwargs: Any) -> message_pb2.RunEvent:
    """A RunEvent from python values: ev(values={...}), ev(updates=("node", {...} | None)), ..."""
    if "values" in kwargs:
        return message_pb2.RunEvent(values=to_struct(kwargs["values"]))
    if "updates" in kwargs:
        node, values = kwargs["updates"]
        upd = message_pb2.NodeUpdate(node=node)
        if values is not None:
            upd.values.CopyFrom(to_struct(values))
        return message_pb2.RunEvent(updates=upd)
    if "interrupt" in kwargs:
        value, iid, node, when = kwargs["interrupt"]
        intr = message_pb2.Interrupt(id=iid, node=node, when=when)
        if value is not None:
            intr.value.CopyFrom(to_value(value))
        return message_pb2.RunEvent(interrupt=intr)
    if "custom" in kwargs:
        return message_pb2.RunEvent(custom=to_value(kwargs["custom"]))
    if "debug" in kwargs:
        return message_pb2.RunEvent(debug=to_struct(kwargs["debug"]))
    if "error" in kwargs:
        message, node = kwargs["error"]
        return message_pb2.RunEvent(
            error=message_pb2.RunError(message=message, node=node, code=2, error_type="ValueError")
        )
    if "end" in kwargs:
        return message_pb2.RunEvent(
            end=message_pb2.RunEnd(status=kwargs["end"], checkpoint=ref("cp-end"))
        )
    raise AssertionError(kwargs)


def metadata_event() -> message_pb2.RunEvent:
    return message_pb2.RunEvent(
        metadata=message_pb2.RunMetadata(run_id="run-1", thread_id=THREAD, graph_id="g")
    )


def snapshot(
    values: dict, next: tuple[str, ...], checkpoint_id: str, step: int, source: int
) -> message_pb2.StateSnapshot:
    snap = message_pb2.StateSnapshot(
        values=to_struct(values),
        next=list(next),
        checkpoint=ref(checkpoint_id),
        metadata=message_pb2.CheckpointMetadata(source=source, step=step),
    )
    snap.created_at.FromJsonString("2024-05-06T07:08:09.123456Z")
    return snap


class Fake(
    runs_service_pb2_grpc.RunsServicer,
    threads_service_pb2_grpc.ThreadsServicer,
    graphs_service_pb2_grpc.GraphsServicer,
):
    """Records each request (and its metadata) and answers from `events`, `history`, ..."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.metadata: list[dict[str, str]] = []
        self.events: list[message_pb2.RunEvent] = []
        self.history: list[message_pb2.StateSnapshot] = []
        self.state: message_pb2.StateSnapshot | None = None
        self.abort: tuple[grpc.StatusCode, str] | None = None

    def _seen(self, request: Any, context: grpc.ServicerContext) -> None:
        self.requests.append(request)
        self.metadata.append(dict(context.invocation_metadata()))
        if self.abort:
            context.abort(*self.abort)

    # Runs
    def StreamRun(self, request, context) -> Iterator[runs_service_pb2.StreamRunResponse]:
        self._seen(request, context)
        for event in [metadata_event(), *self.events]:
            yield runs_service_pb2.StreamRunResponse(event=event)

    def WaitRun(self, request, context):
        self._seen(request, context)
        return runs_service_pb2.WaitRunResponse(
            run_id="run-1",
            thread_id=THREAD,
            status=enums_pb2.RUN_STATUS_ERROR,
            values=to_struct({"n": 1}),
            error=message_pb2.RunError(
                message="boom", node="step_2", code=2, error_type="ValueError"
            ),
        )

    def ListRuns(self, request, context):
        self._seen(request, context)
        start = int(request.page_token or 0)
        runs = [
            message_pb2.Run(run_id=f"r{i}", status=enums_pb2.RUN_STATUS_SUCCESS) for i in range(5)
        ]
        page = runs[start : start + request.page_size]
        nxt = str(start + request.page_size) if start + request.page_size < len(runs) else ""
        return runs_service_pb2.ListRunsResponse(runs=page, next_page_token=nxt)

    # Threads
    def GetState(self, request, context):
        self._seen(request, context)
        return threads_service_pb2.GetStateResponse(state=self.state)

    def UpdateState(self, request, context):
        self._seen(request, context)
        return threads_service_pb2.UpdateStateResponse(checkpoint=ref("cp-new", request.thread_id))

    def GetStateHistory(self, request, context):
        self._seen(request, context)
        states = self.history
        if request.HasField("before"):
            ids = [s.checkpoint.checkpoint_id for s in states]
            states = states[ids.index(request.before) + 1 :]
        start = int(request.page_token or 0)
        size = request.page_size or 100
        page = states[start : start + size]
        nxt = str(start + size) if start + size < len(states) else ""
        return threads_service_pb2.GetStateHistoryResponse(states=page, next_page_token=nxt)

    def GetThread(self, request, context):
        self._seen(request, context)
        context.abort(grpc.StatusCode.NOT_FOUND, f"thread {request.thread_id!r} not found")

    # Graphs
    def ListGraphs(self, request, context):
        self._seen(request, context)
        return graphs_service_pb2.ListGraphsResponse(
            graphs=[message_pb2.GraphSummary(graph_id="g", description="seed")]
        )
