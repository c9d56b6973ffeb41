"""A compiled graph's picture: what `get_graph()` returns, as LangGraph 1.2 returns it.

`describe(builder, ...)` lists the nodes (START first, the graph's nodes in the
order they were added, END once an edge reaches it) and the edges LangGraph's
dry run finds (see `dryrun`), sorted by source, then target, then plain before
conditional, with END edges for the nodes nothing follows. `Graph` has the
methods a LangGraph user calls on that object (`draw_mermaid`, `draw_ascii`,
`to_json`, `first_node`...) with the same results, written for Lockstep so the
engine needs no LangChain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from lockstep.constants import END, START


class Node(NamedTuple):
    id: str
    name: str
    data: Any = None  # the node's callable (None for START and END)
    metadata: dict[str, Any] | None = None

    def copy(self, *, id: str | None = None, name: str | None = None) -> Node:  # noqa: A002 - the field's name
        return Node(id or self.id, name or self.name, self.data, self.metadata)


class Edge(NamedTuple):
    source: str
    target: str
    data: Any = None  # the label: a path_map key or a destinations label
    conditional: bool = False

    @property
    def label(self) -> str | None:
        return None if self.data is None else str(self.data)

    def copy(self, *, source: str | None = None, target: str | None = None) -> Edge:
        return Edge(source or self.source, target or self.target, self.data, self.conditional)


def is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def node_name(id: str, data: Any) -> str:  # noqa: A002
    """A node's name: its id, unless the id is a generated uuid and data has a name."""
    if not is_uuid(id) or data is None:
        return id
    name = data.get_name() if hasattr(data, "get_name") else getattr(data, "__name__", type(data).__name__)
    return name[8:] if name.startswith("Runnable") else name


@dataclass
class Graph:
    """Nodes by id and edges in order; what `compiled.get_graph()` returns."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes)

    # -- building --------------------------------------------------------------

    def next_id(self) -> str:
        return uuid4().hex

    def add_node(self, data: Any, id: str | None = None, *, metadata: dict[str, Any] | None = None) -> Node:  # noqa: A002
        if id is not None and id in self.nodes:
            raise ValueError(f"Node with id {id} already exists")
        key = id or self.next_id()
        node = Node(key, node_name(key, data), data, metadata)
        self.nodes[key] = node
        return node

    def remove_node(self, node: Node) -> None:
        self.nodes.pop(node.id)
        self.edges = [e for e in self.edges if node.id not in (e.source, e.target)]

    def add_edge(self, source: Node, target: Node, data: Any = None, conditional: bool = False) -> Edge:
        for end, what in ((source, "Source"), (target, "Target")):
            if end.id not in self.nodes:
                raise ValueError(f"{what} node {end.id} not in graph")
        edge = Edge(source.id, target.id, data, conditional)
        self.edges.append(edge)
        return edge

    def extend(self, graph: Graph, *, prefix: str = "") -> tuple[Node | None, Node | None]:
        """Add another graph's nodes and edges, ids prefixed `prefix:` (unconnected)."""
        if all(is_uuid(n.id) for n in graph.nodes.values()):
            prefix = ""

        def named(key: str) -> str:
            return f"{prefix}:{key}" if prefix else key

        self.nodes.update({named(k): n.copy(id=named(k)) for k, n in graph.nodes.items()})
        self.edges.extend(e.copy(source=named(e.source), target=named(e.target)) for e in graph.edges)
        first, last = graph.first_node(), graph.last_node()
        return (
            first.copy(id=named(first.id)) if first else None,
            last.copy(id=named(last.id)) if last else None,
        )

    def reid(self) -> Graph:
        """A copy whose generated (uuid) ids are replaced by readable, unique names."""
        ids_by_name: dict[str, list[str]] = {}
        for node in self.nodes.values():
            ids_by_name.setdefault(node.name, []).append(node.id)
        readable = {
            key: name if len(keys) == 1 else f"{name}_{i + 1}"
            for name, keys in ids_by_name.items()
            for i, key in enumerate(keys)
        }

        def new(key: str) -> str:
            return readable[key] if is_uuid(key) else key

        return Graph(
            nodes={new(k): n.copy(id=new(k)) for k, n in self.nodes.items()},
            edges=[e.copy(source=new(e.source), target=new(e.target)) for e in self.edges],
        )

    # -- reading ---------------------------------------------------------------

    def first_node(self) -> Node | None:
        """The one node no edge leads to (None when there are none or several)."""
        return _only_node(self, (), lambda e: e.target, lambda e: e.source)

    def last_node(self) -> Node | None:
        """The one node no edge leaves (None when there are none or several)."""
        return _only_node(self, (), lambda e: e.source, lambda e: e.target)

    def trim_first_node(self) -> None:
        first = self.first_node()
        if (
            first
            and _only_node(self, (first.id,), lambda e: e.target, lambda e: e.source)
            and len({e for e in self.edges if e.source == first.id}) == 1
        ):
            self.remove_node(first)

    def trim_last_node(self) -> None:
        last = self.last_node()
        if (
            last
            and _only_node(self, (last.id,), lambda e: e.source, lambda e: e.target)
            and len({e for e in self.edges if e.target == last.id}) == 1
        ):
            self.remove_node(last)

    def to_json(self, *, with_schemas: bool = False) -> dict[str, list[dict[str, Any]]]:
        """Plain data: nodes (id, type, data, metadata) and edges (source, target, data,
        conditional). Generated ids become their position. `with_schemas` is
        accepted as LangGraph's is: it only changes Pydantic schema nodes, which a
        compiled graph does not have."""
        ids = {n.id: i if is_uuid(n.id) else n.id for i, n in enumerate(self.nodes.values())}
        edges = []
        for edge in self.edges:
            item: dict[str, Any] = {"source": ids[edge.source], "target": ids[edge.target]}
            if edge.data is not None:
                item["data"] = edge.data
            if edge.conditional:
                item["conditional"] = True
            edges.append(item)
        return {"nodes": [{"id": ids[n.id], **_node_json(n)} for n in self.nodes.values()], "edges": edges}

    # -- drawing ---------------------------------------------------------------

    def draw_mermaid(
        self,
        *,
        with_styles: bool = True,
        curve_style: Any = None,
        node_colors: Any = None,
        wrap_label_n_words: int = 9,
        frontmatter_config: dict[str, Any] | None = None,
    ) -> str:
        """Mermaid flowchart text, byte for byte LangGraph's (see `lockstep.graph.mermaid`)."""
        from lockstep.graph.mermaid import CurveStyle, draw_mermaid

        graph = self.reid()
        first, last = graph.first_node(), graph.last_node()
        return draw_mermaid(
            graph.nodes,
            graph.edges,
            first_node=first.id if first else None,
            last_node=last.id if last else None,
            with_styles=with_styles,
            curve_style=CurveStyle.LINEAR if curve_style is None else curve_style,
            node_styles=node_colors,
            wrap_label_n_words=wrap_label_n_words,
            frontmatter_config=frontmatter_config,
        )

    def draw_ascii(self) -> str:
        """A text picture, as LangGraph's (needs `pip install lockstep[drawing]`)."""
        from lockstep.graph.ascii import draw_ascii

        return draw_ascii({n.id: n.name for n in self.nodes.values()}, self.edges)

    def print_ascii(self) -> None:
        print(self.draw_ascii())  # noqa: T201 - printing is what it is for


def _only_node(graph: Graph, exclude: Sequence[str], end: Any, other: Any) -> Node | None:
    reached = {end(e) for e in graph.edges if other(e) not in exclude}
    found = [n for n in graph.nodes.values() if n.id not in exclude and n.id not in reached]
    return found[0] if len(found) == 1 else None


def _node_json(node: Node) -> dict[str, Any]:
    """A node's `type` and `data`: a node's callable is a "runnable" named by where it
    is defined (LangGraph names its own wrapper class there instead)."""
    out: dict[str, Any] = {}
    if callable(node.data):
        where = getattr(node.data, "__module__", None) or type(node.data).__module__
        what = getattr(node.data, "__qualname__", None) or type(node.data).__qualname__
        out = {"type": "runnable", "data": {"id": [*where.split("."), what], "name": node.name}}
    elif node.data is not None:
        out = {"type": "unknown", "data": node.name}
    if node.metadata is not None:
        out["metadata"] = node.metadata
    return out


# -- get_graph() -----------------------------------------------------------------


def describe(
    builder: Any,
    *,
    interrupt_before: Sequence[str] = (),
    interrupt_after: Sequence[str] = (),
    subgraphs: Mapping[str, Graph] | None = None,
) -> Graph:
    """The graph LangGraph's `get_graph()` draws for the same StateGraph. A node named
    in `interrupt_before`/`interrupt_after` is marked in its metadata; "*" (every
    node) marks none, as in LangGraph. `subgraphs` (get_graph(xray=...)) are drawn in
    place of their nodes, their ids prefixed `node:`."""
    from lockstep.graph import dryrun

    found = dryrun.walk(builder)
    graph = Graph()
    graph.add_node(None, START)
    for name in builder.nodes:
        metadata = dict(dryrun.node_metadata(builder, name) or {})
        if name in found.deferred:
            metadata["defer"] = True
        if name in interrupt_before and name in interrupt_after:
            metadata["__interrupt"] = "before,after"
        elif name in interrupt_before:
            metadata["__interrupt"] = "before"
        elif name in interrupt_after:
            metadata["__interrupt"] = "after"
        action = dryrun.node_action(builder, name)
        tools = getattr(action, "tools_by_name", None)
        if isinstance(tools, Mapping) and tools:
            metadata["__tools"] = list(tools)
        graph.add_node(action, name, metadata=metadata or None)
    edges = sorted(found.edges, key=_edge_order)
    for source, target, conditional, label in edges:
        _add_edge(graph, source, target, label if label != target else None, conditional)
    termini = {t for _, t, _, _ in edges if t != END} - {s for s, _, _, _ in edges}
    if termini:
        for source in sorted(termini):
            _add_edge(graph, source, END)
    elif len(found.last_step) == 1 and not any(t == END for _, t, _, _ in edges):
        _add_edge(graph, found.last_step[0], END, conditional=True)
    for name, sub in (subgraphs or {}).items():
        _expand(graph, name, sub)
    return graph


def _expand(graph: Graph, name: str, sub: Graph) -> None:
    """Draw subgraph `sub` in place of node `name`: its nodes between its START and
    END, joined to the edges that reached and left the node."""
    if len(sub.nodes) <= 1 or name not in graph.nodes or not sub.first_node() or not sub.last_node():
        return
    sub.trim_first_node()
    sub.trim_last_node()
    graph.nodes.pop(name)
    first, last = graph.extend(sub, prefix=name)
    for index, edge in enumerate(graph.edges):
        if edge.source == name and last is not None:
            edge = edge.copy(source=last.id)
        if edge.target == name and first is not None:
            edge = edge.copy(target=first.id)
        graph.edges[index] = edge


def _edge_order(edge: tuple[str, str, bool, str | None]) -> tuple[Any, ...]:
    """LangGraph sorts the edge tuples; a None label sorts before a string here (there
    the comparison fails)."""
    source, target, conditional, label = edge
    return (source, target, conditional, label is not None, label or "")


def _add_edge(graph: Graph, source: str, target: str, data: Any = None, conditional: bool = False) -> None:
    """The first edge between two nodes wins; END joins the nodes when first reached."""
    if any(e.source == source and e.target == target for e in graph.edges):
        return
    if target == END and END not in graph.nodes:
        graph.add_node(None, END)
    graph.add_edge(graph.nodes[source], graph.nodes[target], data, conditional)
