"""What a running node can reach without asking for it by parameter (LangGraph's
`langgraph.config`): its run's config, the graph's store, its stream writer."""

from __future__ import annotations

from typing import Any

from lockstep.types import get_stream_writer

__all__ = ["get_config", "get_store", "get_stream_writer"]


def get_config() -> dict[str, Any]:
    """The running node's config: what it gets as its `config` parameter."""
    from lockstep.pregel.context import current_run
    from lockstep.pregel.streaming import task_config

    loop = current_run()
    return task_config(loop.run_config, loop)


def get_store() -> Any:
    """The store given to `compile(store=...)` (None without one), inside a node."""
    from lockstep.runtime import get_runtime

    return get_runtime().store
