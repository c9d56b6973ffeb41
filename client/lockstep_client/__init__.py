"""Lockstep's Python SDK: talk to a Lockstep server over gRPC, LangGraph-style.

    from lockstep_client import Client
    client = Client("127.0.0.1:50051")
    graph = client.graph("dynamic_breakpoints")
    for chunk in graph.stream({"input": "hello"}, {"configurable": {"thread_id": "1"}}):
        print(chunk)

Depends on grpcio, protobuf and the wire package `lockstep_api` (the generated stubs, Struct
conversion) only.
"""

from lockstep_client.aio import AsyncClient
from lockstep_client.client import Client
from lockstep_client.errors import (
    AbortedError,
    AlreadyExistsError,
    CallCancelledError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    LockstepError,
    NotFoundError,
    PermissionDeniedError,
    Reason,
    ResourceExhaustedError,
    RunFailedError,
    ThreadBusyError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
)
from lockstep_client.remote import AsyncRemoteGraph, RemoteGraph
from lockstep_client.types import (
    Edge,
    GraphInfo,
    GraphNode,
    Interrupt,
    PregelTask,
    Run,
    RunEnd,
    RunError,
    RunResult,
    StateKey,
    StateSnapshot,
    StreamPart,
    Thread,
    ThreadPage,
)

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "AsyncClient",
    "AsyncRemoteGraph",
    "CallCancelledError",
    "Client",
    "DeadlineExceededError",
    "Edge",
    "FailedPreconditionError",
    "GraphInfo",
    "GraphNode",
    "InternalError",
    "Interrupt",
    "InvalidArgumentError",
    "LockstepError",
    "NotFoundError",
    "PermissionDeniedError",
    "PregelTask",
    "Reason",
    "RemoteGraph",
    "ResourceExhaustedError",
    "Run",
    "RunEnd",
    "RunError",
    "RunFailedError",
    "RunResult",
    "StateKey",
    "StateSnapshot",
    "StreamPart",
    "Thread",
    "ThreadPage",
    "ThreadBusyError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
]
