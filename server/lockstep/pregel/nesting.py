"""Subgraphs: a graph run while a node of another run is running is part of that run.

As in LangGraph, a compiled graph added as a node, and a graph a node invokes or
streams, run as the node's task's own run (a subgraph run): on the parent's
thread and store, under the namespace `"<node>:<task id>"` after the parent's own
(`task_namespace`). A subgraph compiled with `checkpointer=None` (the default)
takes its parent's store; `False` keeps no checkpoints; `True` keeps one history
across calls, under the namespace without task ids (`own_history_ns`). Its
interrupt pauses the parent's task (it raises GraphInterrupt out of the run); when
the parent resumes, its task runs again and the subgraph continues from its own
checkpoint instead of starting over. With `stream(..., subgraphs=True)` at the top,
every subgraph run's events go into the top run's stream under its namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockstep.checkpoint.base import BaseSaver
from lockstep.checkpoint.namespaced import Namespaced, root_saver
from lockstep.pregel.context import _current
from lockstep.pregel.streaming import NS_END, NS_SEP, task_namespace


@dataclass(slots=True)
class Nesting:
    """Where a subgraph run sits: its parent run (a Loop) and the parent's task."""

    parent: Any  # the parent's Loop
    task: Any  # the parent's running Task
    checkpoint_ns: str
    saver: BaseSaver | None  # the parent's store seen from this namespace


def nesting_for(graph: Any) -> Nesting | None:
    """The run `graph` is about to make is a subgraph run when a node is running
    here (in this thread or task); None for a run made from outside any node."""
    current = _current.get(None)
    if current is None:
        return None
    task, parent = current
    ns = task_namespace(parent.checkpoint_ns, task.name, task.id)
    own = graph.checkpointer
    if own is True:
        ns = own_history_ns(ns)
    base = None if own is False else root_saver(parent.saver)
    return Nesting(parent, task, ns, Namespaced(base, ns) if base is not None else None)


def travel_config(graph: Any, saver: BaseSaver, config: Any) -> Any:
    """Time travel to a subgraph's checkpoint (a config from its history), as LangGraph
    1.2 does it: the top graph runs again from the checkpoint it was at when that
    subgraph checkpoint was made (its metadata "parents"), forking there; the
    subgraph's task then runs anew, its run starting from its input. Returns that
    config of the top graph."""
    from lockstep.errors import CheckpointNotFound  # (errors is a leaf module)

    conf = config["configurable"]
    ns, checkpoint_id = conf["checkpoint_ns"], conf.get("checkpoint_id")
    if not checkpoint_id:
        raise ValueError(
            f"checkpoint_ns {ns!r} names a subgraph's checkpoints: run from one of them by "
            "its config (get_state_history), or leave checkpoint_ns out to run the graph"
        )
    _, sub_saver = addressed(graph, saver, config)
    saved = sub_saver.get_tuple(config)
    if saved is None:
        raise CheckpointNotFound(f"no checkpoint {checkpoint_id!r} in {ns!r} on this thread")
    top = (saved.metadata.get("parents") or {}).get("")
    if top is None:
        raise ValueError(f"the checkpoint {checkpoint_id!r} does not name its parent's checkpoint")
    rest = {k: v for k, v in conf.items() if k not in ("checkpoint_ns", "checkpoint_map")}
    return {**config, "configurable": {**rest, "checkpoint_id": top}}


def own_history_ns(checkpoint_ns: str) -> str:
    """A `checkpointer=True` subgraph's namespace: the node names without task ids,
    so each call of the subgraph on the thread continues one history."""
    return NS_SEP.join(part.split(NS_END)[0] for part in checkpoint_ns.split(NS_SEP))


def subgraph_saver(graph: Any, saver: BaseSaver, checkpoint_ns: str) -> Namespaced:
    """The store `saver` (or the one under it) as `graph`, a subgraph, keeps its
    checkpoints at `checkpoint_ns` (a `checkpointer=True` one: without task ids)."""
    if graph.checkpointer is True:
        checkpoint_ns = own_history_ns(checkpoint_ns)
    return Namespaced(root_saver(saver), checkpoint_ns)  # type: ignore[arg-type]


def addressed(graph: Any, saver: BaseSaver, config: Any) -> tuple[Any, BaseSaver]:
    """The graph and store a state method's config addresses: `graph` itself, or
    for a config with a `checkpoint_ns` (a task's `state` in a snapshot), the
    subgraph its parts name, node by node, with its namespace's view of the store."""
    ns = ((config or {}).get("configurable") or {}).get("checkpoint_ns") or ""
    if not ns:
        return graph, saver
    target = graph
    for part in ns.split(NS_SEP):
        node = part.split(NS_END, 1)[0]
        sub = target.subgraph_nodes.get(node)
        if sub is None:
            raise ValueError(
                f"checkpoint_ns {ns!r}: {node!r} is not a node of "
                f"{target.name!r} that runs a subgraph"
            )
        target = sub
    return target, subgraph_saver(target, saver, ns)


def subgraph_of(graph: Any, node: str) -> Any:
    """The compiled graph node `node` of `graph` runs: the node itself, or the first
    graph its function refers to (as LangGraph finds it); None when there is none.
    As in LangGraph, a subgraph compiled with checkpointer=False does not count."""
    from lockstep.pregel.graph import CompiledGraph  # (graph.py imports this module)

    spec = graph.nodes.get(node)
    if spec is None or spec.callee is None:
        return None
    target = spec.callee.subgraph
    candidates = [target] if target is not None else _referenced(spec.callee.fn)
    for candidate in candidates:
        if isinstance(candidate, CompiledGraph) and candidate.checkpointer is not False:
            return candidate
    return None


def _referenced(fn: Any) -> list[Any]:
    """The values a function's code refers to by name (its closure and globals)."""
    import inspect

    try:
        refs = inspect.getclosurevars(fn)
    except (TypeError, ValueError):
        return []
    seen: list[Any] = []
    for value in (*refs.nonlocals.values(), *refs.globals.values()):
        if all(value is not s for s in seen):
            seen.append(value)
    return seen
