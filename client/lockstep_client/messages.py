"""Chat messages from the wire: LangChain messages, when langchain-core is installed.

The server sends a message as LangGraph's server does, the message's own fields as a
JSON object (`{"type": "AIMessageChunk", "content": ..., "id": ..., "tool_calls":
...}`). `message_from_dict` makes it the langchain-core object of that `type` again
(an `AIMessageChunk`, a `ToolMessage`...) so that `RemoteGraph.stream(...,
stream_mode="messages")` yields what the in-process graph yields; without
langchain-core (an optional dependency of the SDK), or for a type it does not know,
the dict is handed back as it came.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

__all__ = ["message_from_dict"]

# The langchain-core message classes, by the name their `type` field defaults to.
_CLASSES = (
    "AIMessage",
    "AIMessageChunk",
    "HumanMessage",
    "HumanMessageChunk",
    "SystemMessage",
    "SystemMessageChunk",
    "ToolMessage",
    "ToolMessageChunk",
    "ChatMessage",
    "ChatMessageChunk",
    "FunctionMessage",
    "FunctionMessageChunk",
    "RemoveMessage",
)


@functools.cache
def _classes() -> dict[str, type]:
    """{type name: class}; empty without langchain-core."""
    try:
        from langchain_core import messages
    except ImportError:
        return {}
    out: dict[str, type] = {}
    for name in _CLASSES:
        cls = getattr(messages, name, None)
        field = getattr(cls, "model_fields", {}).get("type")
        if field is not None and isinstance(field.default, str):
            out[field.default] = cls
    return out


def message_from_dict(data: Any) -> Any:
    """A serialised message as its langchain-core class, or `data` itself when that
    cannot be done (no langchain-core, an unknown type, fields it refuses)."""
    if not isinstance(data, Mapping):
        return data
    cls = _classes().get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        return data
    try:
        return cls.model_validate(dict(data))  # type: ignore[attr-defined]
    except ValueError:
        return data
