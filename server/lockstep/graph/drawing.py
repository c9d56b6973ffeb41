"""A compiled graph's picture: its nodes, its edges (conditional ones marked), Mermaid text.

`describe(builder)` reads the StateGraph as written, the way LangGraph's
`get_graph()` does: static edges, joins (drawn as one edge per source),
conditional edges (one per possible target, labelled with the path_map key when
it differs from the target) and the destinations a node declares for
`Command(goto=...)`. A path with neither a path_map nor a `Literal[...]` return
annotation may lead anywhere: it is drawn to every node and to END.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args, get_origin

from lockstep.constants import END, START


class Node(NamedTuple):
    id: str
    name: str
    data: Any = None
    metadata: dict[str, Any] | None = None


class Edge(NamedTuple):
    source: str
    target: str
    data: str | None = None  # the label: a path_map key
    conditional: bool = False

    @property
    def label(self) -> str | None:
        return self.data


@dataclass
class Graph:
    """What `compiled.get_graph()` returns: `nodes` by name (START first, END last) and
    `edges` in the order they were declared."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def draw_mermaid(self) -> str:
        """A Mermaid flowchart: solid arrows for edges, dashed for conditional ones."""
        lines = ["---", "config:", "  flowchart:", "    curve: linear", "---", "graph TD;"]
        for name in self.nodes:
            if name == START:
                lines.append(f"\t{_id(name)}([<p>{name}</p>]):::first")
            elif name == END:
                lines.append(f"\t{_id(name)}([<p>{name}</p>]):::last")
            else:
                lines.append(f"\t{_id(name)}({_text(name)}{_meta(self.nodes[name].metadata)})")
        for edge in self.edges:
            src, dst = _id(edge.source), _id(edge.target)
            if edge.conditional:
                if edge.data is not None:
                    lines.append(f"\t{src} -. &nbsp;{_text(edge.data)}&nbsp; .-> {dst};")
                else:
                    lines.append(f"\t{src} -.-> {dst};")
            elif edge.data is not None:
                lines.append(f"\t{src} -- &nbsp;{_text(edge.data)}&nbsp; --> {dst};")
            else:
                lines.append(f"\t{src} --> {dst};")
        lines += [
            "\tclassDef default fill:#f2f0ff,line-height:1.2",
            "\tclassDef first fill-opacity:0",
            "\tclassDef last fill:#bfb6fc",
        ]
        return "\n".join(lines) + "\n"


def describe(builder: Any) -> Graph:
    graph = Graph()
    graph.nodes[START] = Node(START, START)
    metadata = getattr(builder, "node_metadata", {})  # add_node(metadata=...)
    for name, (fn, _, _) in builder.nodes.items():
        graph.nodes[name] = Node(name, name, fn, metadata.get(name))
    seen: set[tuple[str, str, bool]] = set()
    uses_end = False

    def add(source: str, target: str, data: Any = None, conditional: bool = False) -> None:
        nonlocal uses_end
        key = (source, target, conditional)
        if key in seen:
            return
        seen.add(key)
        uses_end = uses_end or target == END
        label = None if data is None or data == target else str(data)
        graph.edges.append(Edge(source, target, label, conditional))

    everywhere = [*builder.nodes, END]
    for source, target in builder.edges:
        add(source, target)
    for sources, target in builder.joins:
        for source in sources:
            add(source, target)
    for source, branches in builder.branches.items():
        for path, path_map in branches:
            if path_map is not None:
                for key, target in path_map.items():
                    add(source, target, key, conditional=True)
            else:
                for target in _literal_targets(path) or everywhere:
                    add(source, target, conditional=True)
    for name, (fn, _, destinations) in builder.nodes.items():
        for target in destinations or command_targets(fn):
            add(name, target, conditional=True)
    if uses_end:
        graph.nodes[END] = Node(END, END)
    return graph


def _id(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)


def _meta(metadata: dict[str, Any] | None) -> str:
    """add_node(metadata=...) under the node's name, as LangGraph draws it."""
    if not metadata:
        return ""
    rows = "\n".join(f"{key} = {value}" for key, value in metadata.items())
    return f"<hr/><small><em>{rows}</em></small>"


def _text(value: str) -> str:
    return str(value).replace('"', "&quot;").replace(";", "&#59;")


def _return_hint(fn: Callable[..., Any]) -> Any:
    target = fn if callable(fn) and hasattr(fn, "__annotations__") else getattr(fn, "__call__", fn)  # noqa: B004
    try:
        return typing.get_type_hints(target).get("return")
    except Exception:
        return getattr(target, "__annotations__", {}).get("return")


def _literal_names(hint: Any) -> list[str]:
    if get_origin(hint) is Literal:
        return [END if v is None else str(v) for v in get_args(hint)]
    return []


def _literal_targets(path: Callable[..., Any]) -> list[str]:
    """`def route(state) -> Literal["a", "b"]` leads to a and b."""
    return _literal_names(_return_hint(path))


def command_targets(fn: Callable[..., Any]) -> list[str]:
    """`def node(state) -> Command[Literal["a", END]]` may go to a or END."""
    hint = _return_hint(fn)
    args = get_args(hint) if hint is not None else ()
    return _literal_names(args[0]) if len(args) == 1 else []
