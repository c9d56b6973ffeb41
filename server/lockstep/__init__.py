"""Lockstep: LangGraph's human-in-the-loop graph semantics, served over gRPC."""

from lockstep.constants import END, START
from lockstep.errors import GraphRecursionError, InvalidUpdateError
from lockstep.graph import StateGraph
from lockstep.types import (
    Command,
    Interrupt,
    NodeInterrupt,
    PregelTask,
    RetryPolicy,
    Send,
    StateSnapshot,
    get_stream_writer,
    interrupt,
)

__all__ = [
    "END",
    "START",
    "Command",
    "GraphRecursionError",
    "Interrupt",
    "InvalidUpdateError",
    "NodeInterrupt",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateGraph",
    "StateSnapshot",
    "get_stream_writer",
    "interrupt",
]
