"""What the inspector's JSON API returns: the SDK's dataclasses shaped for the page.

Pure functions, no I/O: a thread's history becomes a timeline whose entries say
which node wrote what (the parent checkpoint's finished tasks) and how the values
differ from the parent's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from lockstep_client.types import GraphInfo, Interrupt, Run, StateSnapshot, StreamPart, Thread

__all__ = [
    "checkpoint_id",
    "diff",
    "event_json",
    "graph_json",
    "highlighted_mermaid",
    "run_json",
    "snapshot_json",
    "thread_json",
    "timeline",
]

_MISSING = object()


def checkpoint_id(config: dict[str, Any] | None) -> str | None:
    """The checkpoint id of a LangGraph-style config, or None."""
    if not config:
        return None
    return config.get("configurable", {}).get("checkpoint_id") or None


def interrupt_json(interrupt: Interrupt) -> dict[str, Any]:
    return {
        "value": interrupt.value,
        "id": interrupt.id,
        "node": interrupt.node,
        "when": interrupt.when,
    }


def thread_json(thread: Thread) -> dict[str, Any]:
    out = asdict(thread)
    out["interrupts"] = [interrupt_json(i) for i in thread.interrupts]
    return out


def run_json(run: Run) -> dict[str, Any]:
    return asdict(run)


def graph_json(graph: GraphInfo) -> dict[str, Any]:
    return asdict(graph)


def snapshot_json(snap: StateSnapshot) -> dict[str, Any]:
    """A snapshot with its ids pulled out, so the page need not dig in configs."""
    return {
        "checkpoint_id": checkpoint_id(snap.config),
        "parent_id": checkpoint_id(snap.parent_config),
        "values": snap.values,
        "next": list(snap.next),
        "metadata": snap.metadata or {},
        "created_at": snap.created_at,
        "tasks": [
            {
                "id": t.id,
                "name": t.name,
                "error": t.error,
                "interrupts": [interrupt_json(i) for i in t.interrupts],
                "result": t.result,
                # A subgraph's own state, for a task that runs one (get_state(subgraphs=True)).
                "state": snapshot_json(t.state) if isinstance(t.state, StateSnapshot) else None,
            }
            for t in snap.tasks
        ],
        "interrupts": [interrupt_json(i) for i in snap.interrupts],
    }


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Key by key, what changed from `before` to `after`: added, removed or changed."""
    before = before or {}
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old is _MISSING:
            changes.append({"key": key, "op": "added", "after": new})
        elif new is _MISSING:
            changes.append({"key": key, "op": "removed", "before": old})
        elif old != new:
            changes.append({"key": key, "op": "changed", "before": old, "after": new})
    return changes


def timeline(snaps: Sequence[StateSnapshot], has_more: bool) -> list[dict[str, Any]]:
    """History entries, newest first, for `snaps` (newest first, one more than shown if
    `has_more`: that extra one is only the oldest shown entry's parent).

    Each entry: its snapshot, `writes` ({node: value} its parent's finished tasks wrote
    to make it) and `diff` against its parent. Which entries lie off the head's line
    (forks) the page works out over every page it has loaded, since a branch may start
    pages away from where it ends.
    """
    by_id = {checkpoint_id(s.config): s for s in snaps}
    shown = snaps[:-1] if has_more else snaps
    entries = []
    for snap in shown:
        entry = snapshot_json(snap)
        parent = by_id.get(entry["parent_id"])
        entry["writes"] = (
            {t.name: t.result for t in parent.tasks if t.result is not None} if parent else {}
        )
        entry["diff"] = diff(parent.values if parent else None, snap.values)
        entries.append(entry)
    return entries


def highlighted_mermaid(mermaid: str, current: Sequence[str], pending: Sequence[str]) -> str:
    """The graph's Mermaid text with the nodes that last ran and the next ones styled."""
    lines = [mermaid.rstrip()]
    lines.append("\tclassDef current fill:#ffe08a,stroke:#8a6d00,stroke-width:3px")
    lines.append("\tclassDef pending fill:#ffb3b3,stroke:#a40000,stroke-width:3px")
    if current:
        lines.append(f"\tclass {','.join(current)} current")
    if pending:
        lines.append(f"\tclass {','.join(pending)} pending")
    return "\n".join(lines) + "\n"


def event_json(part: StreamPart) -> dict[str, Any]:
    """One run event as {'event', 'data'}; dataclass payloads (interrupt, error, end) as dicts."""
    data = part.data
    if is_dataclass(data) and not isinstance(data, type):
        data = asdict(data)
    return {"event": part.event, "data": data}
