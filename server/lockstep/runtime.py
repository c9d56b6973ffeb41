"""Runtime: what a run hands its nodes besides the state (LangGraph's `langgraph.runtime`).

A node asks for it with a `runtime` parameter (`def node(state, runtime: Runtime[Ctx])`)
or calls `get_runtime()` inside the node. It is made once per run, on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

ContextT = TypeVar("ContextT")


def _no_op_writer(_: Any) -> None:
    """The stream writer of a runtime made outside a run: writes go nowhere."""


@dataclass(frozen=True, slots=True)
class Runtime(Generic[ContextT]):
    """Run-scoped dependencies: the `context=` given to the run, the graph's store,
    the node's custom-stream writer, and the previous return (functional API)."""

    context: ContextT = None  # type: ignore[assignment]
    store: Any = None
    stream_writer: Callable[[Any], None] = _no_op_writer
    previous: Any = None
    # LangGraph's Runtime has these; Lockstep has nothing to put there (read by
    # LangGraph's prebuilt ToolNode when it runs as a Lockstep node).
    execution_info: Any = None
    server_info: Any = None

    def override(self, **overrides: Any) -> Runtime[ContextT]:
        """A copy with the given fields replaced (unknown names are a TypeError)."""
        return dataclasses.replace(self, **overrides)


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The running node's Runtime. `context_schema` only types the result."""
    from lockstep.pregel.context import current_run

    return current_run().runtime


