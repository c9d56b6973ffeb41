"""What the in-process and the RemoteGraph transcripts are compared as (`norm`)."""

from __future__ import annotations

import re
from typing import Any

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def norm(value: Any) -> Any:
    """What a user compares: generated ids (checkpoints, tasks, a model's message ids)
    replaced, sequences as lists; interrupts, snapshots and tasks (the engine's or the
    SDK's) as their fields; messages as their fields, whose `type` names their class
    ("AIMessageChunk", "tool"...), as RemoteGraph, like LangGraph's, gives the ones in
    values as dicts."""
    kind = type(value).__name__
    if kind == "Interrupt":
        return ("Interrupt", norm(value.value))
    if kind == "StateSnapshot":
        return (
            "StateSnapshot", norm(value.values), list(value.next), norm(value.config),
            norm(value.tasks), norm(value.interrupts), value.metadata["source"],
            value.metadata["step"],
        )  # fmt: skip
    if kind == "PregelTask":
        return ("PregelTask", value.name, norm(value.interrupts), norm(value.state), norm(value.result))
    if hasattr(value, "model_dump"):  # a langchain-core message
        return norm(value.model_dump())
    if isinstance(value, str):
        return _UUID.sub("<id>", value)
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    return value
