"""Turning SDK results into text: lines for a person, or JSON documents for a script.

Every function here is pure (returns strings); `commands` decides where they go.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Sequence
from typing import Any

from lockstep.jsonable import jsonable
from lockstep_client import GraphInfo, Interrupt, Run, RunError, StateSnapshot, Thread

_WIDE = 100  # values longer than this on one line are printed indented


# ---------------------------------------------------------------------------- JSON


def to_json(obj: Any) -> str:
    """One JSON document on one line."""
    return json.dumps(jsonable(obj), ensure_ascii=False)


def event_json(event: str, data: Any) -> str:
    return to_json({"event": event, "data": data})


def graph_summary_json(graph: GraphInfo) -> dict[str, Any]:
    return {
        "graph_id": graph.graph_id,
        "description": graph.description,
        "metadata": graph.metadata,
    }


# ---------------------------------------------------------------------------- values for people


def value_text(value: Any) -> str:
    """A string as itself, anything else as JSON with sorted keys (a Struct keeps no order)."""
    if isinstance(value, str):
        return value
    return json.dumps(jsonable(value), ensure_ascii=False, sort_keys=True)


def block(value: Any, indent: str = "  ") -> str:
    """A value on one line if it is short, else indented JSON starting on the next line."""
    one_line = value_text(value)
    if len(one_line) <= _WIDE or isinstance(value, str):
        return one_line
    pretty = json.dumps(jsonable(value), ensure_ascii=False, indent=2, sort_keys=True)
    return "\n" + "\n".join(indent + line for line in pretty.splitlines())


def labelled(label: str, value: Any, sep: str = "  ") -> str:
    """'label  value', or the label alone on its line with the value indented below it."""
    text = block(value, "    ")
    return label + text if text.startswith("\n") else f"{label}{sep}{text}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns; the last column is never padded."""
    rows = [list(header)] + [list(r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _q(text: str) -> str:
    return shlex.quote(text)


# ---------------------------------------------------------------------------- graphs


def graphs_text(graphs: Sequence[GraphInfo]) -> str:
    if not graphs:
        return "(no graphs)"
    return table(("GRAPH", "DESCRIPTION"), ((g.graph_id, g.description) for g in graphs))


def graph_text(graph: GraphInfo) -> str:
    lines = [graph.graph_id + (f": {graph.description}" if graph.description else "")]
    lines.append("nodes:")
    lines += [f"  {n.name}" for n in graph.nodes]
    lines.append("edges:")
    for e in graph.edges:
        arrow = "-?->" if e.conditional else "-->"
        label = f"  [{e.label}]" if e.label else ""
        lines.append(f"  {e.source} {arrow} {e.target}{label}")
    if graph.state_keys:
        lines.append("state:")
        for k in graph.state_keys:
            kind = f": {k.type}" if k.type else ""
            reducer = f"  (reducer {k.reducer})" if k.reducer else ""
            lines.append(f"  {k.name}{kind}{reducer}")
    if graph.interrupt_before:
        lines.append("interrupt before: " + ", ".join(graph.interrupt_before))
    if graph.interrupt_after:
        lines.append("interrupt after: " + ", ".join(graph.interrupt_after))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- runs


def run_started_text(data: dict[str, Any]) -> str:
    return f"run {data.get('run_id', '')} on thread {data.get('thread_id', '')} ({data.get('graph_id', '')})"


def interrupt_text(intr: Interrupt) -> str:
    """'Paused in step_2: <value>', or where a breakpoint stopped the run."""
    if intr.when == "before":
        head = f"Paused before {intr.node}"
    elif intr.when == "after":
        head = f"Paused after {intr.node}"
    else:
        head = f"Paused in {intr.node}" if intr.node else "Paused"  # a subgraph's: its namespace says where
    if intr.value is None:
        return head + (" (breakpoint)" if intr.when != "during" else "")
    return f"{head}: {block(intr.value, '    ')}"


def next_steps_text(thread_id: str, interrupts: Sequence[Interrupt]) -> str:
    """What a person can do about a paused thread: resume it (answering), or edit its state."""
    t = _q(thread_id)
    during = [i for i in interrupts if i.when == "during"]
    if len(during) > 1:
        answers = ", ".join(f'"{i.id}": ...' for i in during)
        resume = f"lockstep resume {t} --value {_q('{' + answers + '}')}"
    elif during:
        resume = f"lockstep resume {t} [--value JSON]"
    else:
        resume = f"lockstep resume {t}"
    lines = [f"  resume:  {resume}"]
    if len(during) == 1:
        lines.append(f"  edit:    lockstep update {t} '{{...}}' --as-node {_q(during[0].node)}")
    else:
        lines.append(f"  edit:    lockstep update {t} '{{...}}'")
    return "\n".join(lines)


def event_text(event: str, data: Any) -> str | None:
    """One stream event for a person; None for events shown elsewhere (interrupts, end, error)."""
    if event == "metadata":
        return run_started_text(data)
    if event == "values":
        return labelled("values", data)
    if event == "updates":
        return "\n".join(labelled(f"update  {node}:", values, " ") for node, values in data.items())
    if event in ("custom", "debug", "tasks", "checkpoints"):
        return labelled(event, data)
    if event == "messages":
        return message_text(*data)
    if event == "interrupt":
        return interrupt_text(data)
    if event in ("end", "error"):
        return None
    return labelled(event, data)


def message_text(message: Any, metadata: dict[str, Any]) -> str:
    """A messages-mode event: the node, the message's type and its content (tool
    calls when it has no content)."""
    node = metadata.get("langgraph_node", "")
    if not isinstance(message, dict):
        return labelled(f"message {node}", message)
    content = message.get("content")
    if not content and message.get("tool_calls"):
        content = {"tool_calls": message["tool_calls"]}
    return labelled(f"message {node} {message.get('type', '')}:", content, " ")


def namespaced(namespace: Sequence[str], text: str) -> str:
    """An event's lines from a subgraph, each prefixed with its namespace
    ("[child:1a2b3c4d]", task ids cut to 8 characters; nested ones joined by '|')."""
    if not namespace:
        return text
    parts = []
    for part in namespace:
        node, _, task = part.partition(":")
        parts.append(f"{node}:{task[:8]}…" if len(task) > 8 else part)
    prefix = "[" + "|".join(parts) + "] "
    return "\n".join(prefix + line for line in text.split("\n"))


def run_error_text(error: RunError) -> str:
    where = f" in node {error.node}" if error.node else ""
    kind = f"{error.error_type}: " if error.error_type else ""
    if error.message.startswith(kind):  # the server's message often names the type already
        kind = ""
    return f"run failed{where}: {kind}{error.message}"


def run_error_hint(thread_id: str, error: RunError) -> str:
    t = _q(thread_id)
    lines = ["  the thread keeps its last checkpoint:"]
    lines.append(f"  retry:   lockstep resume {t}")
    lines.append(f"  edit:    lockstep update {t} '{{...}}'")
    return "\n".join(lines)


def run_end_text(status: str) -> str:
    return "Done." if status == "success" else f"Run ended: {status}"


# ---------------------------------------------------------------------------- threads


def _checkpoint_id(config: dict[str, Any] | None) -> str:
    return ((config or {}).get("configurable") or {}).get("checkpoint_id") or ""


def state_text(thread_id: str, snap: StateSnapshot, hints: bool = True) -> str:
    md = snap.metadata or {}
    lines = [f"thread {thread_id}"]
    cp = _checkpoint_id(snap.config)
    if cp:
        where = f"step {md.get('step')}, {md.get('source')}" if md else ""
        lines.append(f"checkpoint {cp}" + (f"  ({where})" if where else ""))
    if snap.created_at:
        lines.append(f"created {snap.created_at}")
    lines.append(labelled("values", snap.values))
    lines.append("next    " + (", ".join(snap.next) if snap.next else "(none: the thread is done)"))
    for task in snap.tasks:
        if task.error:
            lines.append(f"error   {task.name}: {task.error}")
        if isinstance(task.state, StateSnapshot):  # asked for with --subgraphs
            ns = (task.state.config.get("configurable") or {}).get("checkpoint_ns", "")
            nested = state_text(thread_id, task.state, hints=False).split("\n")[1:]
            lines.append(f"subgraph {task.name} ({ns})")
            lines += ["    " + line for line in nested]
    if snap.interrupts:
        lines += [interrupt_text(i) for i in snap.interrupts]
        if hints:  # once, for the thread: a subgraph's interrupts are its parent's too
            lines.append(next_steps_text(thread_id, snap.interrupts))
    return "\n".join(lines)


def update_text(
    thread_id: str, as_node: str | None, config: dict[str, Any], nxt: Sequence[str]
) -> str:
    who = f" as {as_node}" if as_node else ""
    then = ", ".join(nxt) if nxt else "(none)"
    return f"updated thread {thread_id}{who}: checkpoint {_checkpoint_id(config)}\nnext    {then}"


def history_text(snaps: Sequence[StateSnapshot]) -> str:
    if not snaps:
        return "(no checkpoints)"
    rows = []
    for s in snaps:
        md = s.metadata or {}
        rows.append(
            (
                str(md.get("step", "")),
                str(md.get("source", "")),
                ",".join(s.next) or "-",
                _checkpoint_id(s.config),
                value_text(s.values),
            )
        )
    return table(("STEP", "SOURCE", "NEXT", "CHECKPOINT", "VALUES"), rows)


def threads_text(threads: Sequence[Thread]) -> str:
    if not threads:
        return "(no threads)"
    rows = ((t.thread_id, t.graph_id or "-", t.status, t.updated_at or "") for t in threads)
    return table(("THREAD", "GRAPH", "STATUS", "UPDATED"), rows)


def cancel_text(run: Run) -> str:
    head = "cancelled" if run.status == "cancelled" else f"asked to cancel ({run.status} now)"
    line = f"run {run.run_id} on thread {run.thread_id} ({run.graph_id}): {head}"
    if run.error is not None:
        line += "\n  " + run_error_text(run.error)
    return line


# ---------------------------------------------------------------------------- store


def namespace_text(namespace: Sequence[str]) -> str:
    """A namespace as the CLI takes one: its labels joined by '.'."""
    return ".".join(namespace)


def item_name(namespace: Sequence[str], key: str) -> str:
    return f"{namespace_text(namespace)} {_q(key)}"


def item_text(item: dict[str, Any]) -> str:
    head = f"{item_name(item['namespace'], item['key'])}  (updated {item['updated_at']})"
    value = block(item["value"])
    return head + (value if value.startswith("\n") else f"\n  {value}")


def items_text(items: Sequence[dict[str, Any]]) -> str:
    if not items:
        return "(no items)"
    rows = (
        (namespace_text(i["namespace"]), i["key"], i["updated_at"] or "", value_text(i["value"]))
        for i in items
    )
    return table(("NAMESPACE", "KEY", "UPDATED", "VALUE"), rows)


def namespaces_text(namespaces: Sequence[Sequence[str]]) -> str:
    return "\n".join(namespace_text(ns) for ns in namespaces) or "(no namespaces)"
