"""What a run streams: the stream modes, the shape of what each yields, and namespaces.

The list of modes lives here once (from `lockstep.types.StreamMode`); the server and
the SDK map their wire enums onto it but do not repeat it.

A run has a namespace: `""` for a graph run by its caller, and for a graph run as a
task of another, `"<node>:<task id>"` after its parent's own (joined by `|`), which
is what LangGraph puts in `config["configurable"]["checkpoint_ns"]`. With
`subgraphs=True` every chunk is yielded with its run's namespace as a tuple of those
parts: `()` for the root run, so a flat graph yields `((), chunk)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, get_args

from lockstep.constants import ERROR, INTERRUPT, RETURN
from lockstep.pregel.tasks import PUSH
from lockstep.types import StreamMode

STREAM_MODES: tuple[str, ...] = get_args(StreamMode)

NS_SEP = "|"  # between the parts of a nested namespace
NS_END = ":"  # between a part's node name and its task id


def stream_modes(mode: str | Sequence[str]) -> list[str]:
    """The modes a run was asked for, checked: a ValueError names an unknown one."""
    modes = [mode] if isinstance(mode, str) else list(mode)
    if not modes:
        raise ValueError("stream_mode must name at least one mode")
    for m in modes:
        if m not in STREAM_MODES:
            raise ValueError(
                f"unknown stream_mode {m!r}; choose from " + ", ".join(map(repr, STREAM_MODES))
            )
    return modes


def task_namespace(parent: str, name: str, task_id: str) -> str:
    """The checkpoint_ns of a task's own run (a subgraph it runs), as LangGraph builds it."""
    part = f"{name}{NS_END}{task_id}"
    return f"{parent}{NS_SEP}{part}" if parent else part


def task_metadata(task: Any, loop: Any) -> dict[str, Any]:
    """The metadata LangGraph gives a running task's config (and its events)."""
    path = task.path
    if len(path) == 2 and path[0] == PUSH and isinstance(path[1], int):
        path = (*path, False)  # a Send's task (not a functional API call), as LangGraph
    return {
        "langgraph_step": loop.step + 1,
        "langgraph_node": task.name,
        "langgraph_triggers": task_triggers(task, loop.graph),
        "langgraph_path": path,
        "langgraph_checkpoint_ns": task_namespace(loop.checkpoint_ns, task.name, task.id),
    }


def task_triggers(task: Any, graph: Any) -> tuple[str, ...]:
    """A task's triggers as LangGraph shows them: every channel its node listens to,
    sorted (a node behind a join also names its own edge channel), whichever fired.
    A Send's task has no trigger channel: LangGraph names the push that made it."""
    if not task.triggers:
        return (PUSH,)
    spec = graph.nodes.get(task.name)
    return tuple(sorted(spec.triggers)) if spec is not None else task.triggers


def task_config(config: dict[str, Any], loop: Any) -> dict[str, Any]:
    """The running task's config as LangGraph gives it to a node (as its `config`
    parameter and from get_config()): in `configurable`, the task's namespace, the
    checkpoint its step started from (`checkpoint_map`, by parent namespace) and no
    `checkpoint_id`; in `metadata`, the task's and its node's (add_node(metadata=)).
    Made only for a node that asks for it."""
    from lockstep.pregel.context import _current

    current = _current.get(None)
    if current is None:
        return config
    task = current[0]
    metadata = task_metadata(task, loop)
    conf = config.get("configurable") or {}
    extra = {"thread_id": conf["thread_id"]} if conf.get("thread_id") is not None else {}
    spec = loop.graph.nodes.get(task.name)
    own = spec.callee.metadata if spec is not None and spec.callee is not None else None
    return {
        **config,
        "metadata": {**config.get("metadata", {}), **extra, **metadata, **(own or {})},
        "configurable": {
            **conf,
            "checkpoint_map": {**conf.get("checkpoint_map", {}), loop.checkpoint_ns: loop.checkpoint.id},
            "checkpoint_id": None,
            "checkpoint_ns": metadata["langgraph_checkpoint_ns"],
        },
    }


def namespace_tuple(checkpoint_ns: str) -> tuple[str, ...]:
    """A checkpoint_ns as `subgraphs=True` shows it: `()` for the root run."""
    return tuple(checkpoint_ns.split(NS_SEP)) if checkpoint_ns else ()


class Nested(NamedTuple):
    """A subgraph run's chunk in the top run's queue, with the subgraph's namespace."""

    namespace: tuple[str, ...]
    chunk: Any


def shaper(single: bool, namespace: tuple[str, ...] | None) -> Any:
    """How the run's (mode, chunk) events are yielded: the chunk alone for one mode
    given as a string, else (mode, chunk); with a namespace (subgraphs=True), that
    namespace first (a subgraph's chunk: its own). Returns None for the plain chunk
    (the usual case, kept inline)."""
    if namespace is None:
        return None if single else _pair
    if single:
        return lambda mode, chunk: tuple(chunk) if type(chunk) is Nested else (namespace, chunk)
    return lambda mode, chunk: (
        (chunk[0], mode, chunk[1]) if type(chunk) is Nested else (namespace, mode, chunk)
    )


def _pair(mode: str, chunk: Any) -> tuple[str, Any]:
    return (mode, chunk)


# -- payloads of the checkpoints, tasks and debug modes -------------------------


def interrupt_dict(interrupt: Any) -> dict[str, Any]:
    """An interrupt in a checkpoints/tasks/debug payload, with LangGraph 1.2's fields
    (a Lockstep interrupt carries no response schema)."""
    return {
        "value": interrupt.value,
        "id": interrupt.id,
        "response_schema": getattr(interrupt, "response_schema", None),
    }


def task_payload(task: Any, graph: Any) -> dict[str, Any]:
    """A task starting (`tasks` mode; a debug `task` event's payload)."""
    triggers = task_triggers(task, graph)
    return {"id": task.id, "name": task.name, "input": task.input, "triggers": triggers}


def task_result_payload(task: Any, state_keys: Any) -> dict[str, Any]:
    """A task ending (`tasks` mode; a debug `task_result` event's payload): its writes
    to state keys (a key written twice shows as {"$writes": [...]}), its error, and the
    interrupts it stopped at."""
    result: dict[str, Any] = {}
    if task.error is None and not task.paused:
        for channel, value in task.writes:
            if channel not in state_keys:
                continue
            if channel in result:
                seen = result[channel]
                many = seen["$writes"] if _is_many(seen) else [seen]
                result[channel] = {"$writes": [*many, value]}
            else:
                result[channel] = value
    return {
        "id": task.id,
        "name": task.name,
        "error": task.error,
        "result": result,
        "interrupts": [interrupt_dict(i) for i in task.interrupts],
    }


def _is_many(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("$writes"), list)


def checkpoint_payload(loop: Any, tasks: Sequence[Any]) -> dict[str, Any]:
    """The checkpoint a run is at, as `checkpoints` mode (and a debug `checkpoint`
    event) shows it: its values, metadata and next tasks, each task with what the
    pending writes say of it (a finished task's result, an interrupt, an error)."""
    outcome: dict[str, dict[str, Any]] = {}
    for w in loop.pending:
        outcome.setdefault(w.task_id, {})[w.channel] = w.value
    shown = []
    subgraphs = loop.graph.subgraph_nodes
    for t in tasks:
        done = outcome.get(t.id, {})
        if ERROR in done:
            shown.append({"id": t.id, "name": t.name, "error": done[ERROR], "state": None})
            continue
        item: dict[str, Any] = {"id": t.id, "name": t.name}
        if done.get(RETURN):
            item["result"] = done[RETURN]
        item["interrupts"] = tuple(interrupt_dict(i) for i in done.get(INTERRUPT, ()))
        item["state"] = None
        if t.name in subgraphs:  # where its subgraph checkpoints, as LangGraph shows it
            ns = task_namespace(loop.checkpoint_ns, t.name, t.id)
            item["state"] = {"configurable": {"thread_id": loop.thread_id, "checkpoint_ns": ns}}
        shown.append(item)
    return {
        "config": _address(loop.config),
        "parent_config": _address(loop.parent_config),
        "values": loop.graph.read_output(loop.channels) or {},
        "metadata": {**loop.metadata, "parents": dict(loop.metadata.get("parents", {}))},
        "next": [t.name for t in tasks],
        "tasks": shown,
    }


def _address(config: Any) -> Any:
    """A checkpoint's config as LangGraph streams it: thread, namespace and id only."""
    if config is None:
        return None
    conf = config.get("configurable", {})
    return {
        "configurable": {
            "thread_id": conf.get("thread_id"),
            "checkpoint_ns": conf.get("checkpoint_ns", ""),
            "checkpoint_id": conf.get("checkpoint_id"),
        }
    }
