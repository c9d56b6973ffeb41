"""Mermaid flowchart text for a `Graph`, the same bytes LangGraph 1.2 writes.

The text: an optional YAML front matter (the curve style and any config given),
`graph TD;`, one line per node (START and END, the graph's first and last nodes,
as stadiums), one per edge (dashed when conditional, labelled with its data),
nodes whose id holds `prefix:` grouped into `subgraph prefix ... end`, and the
three class styles. `CurveStyle` and `NodeStyles` mirror LangChain's; theirs are
accepted too (read by `.value` and by field).
"""

from __future__ import annotations

import dataclasses
import string
from enum import Enum
from typing import Any

from lockstep.graph.drawing import Edge, Node


class CurveStyle(Enum):
    """How Mermaid draws edges."""

    BASIS = "basis"
    BUMP_X = "bumpX"
    BUMP_Y = "bumpY"
    CARDINAL = "cardinal"
    CATMULL_ROM = "catmullRom"
    LINEAR = "linear"
    MONOTONE_X = "monotoneX"
    MONOTONE_Y = "monotoneY"
    NATURAL = "natural"
    STEP = "step"
    STEP_AFTER = "stepAfter"
    STEP_BEFORE = "stepBefore"


@dataclasses.dataclass
class NodeStyles:
    """The CSS of the three node classes: every node, the first one, the last one."""

    default: str = "fill:#f2f0ff,line-height:1.2"
    first: str = "fill-opacity:0"
    last: str = "fill:#bfb6fc"


_MARKDOWN = tuple("*_`")  # a name that starts and ends with one would be read as markdown
_SAFE_ID = frozenset(string.ascii_letters + string.digits + "_-")
_LABEL_ESCAPES = {
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    '"': "#quot;",
    "<": "#60;",
    ">": "#62;",
    "|": "#124;",
}


def safe_id(name: str) -> str:
    """A Mermaid node id: other characters than [A-Za-z0-9_-] become `\\<hex code>`,
    so distinct names stay distinct."""
    return "".join(ch if ch in _SAFE_ID else f"\\{ord(ch):x}" for ch in name)


def draw_mermaid(
    nodes: dict[str, Node],
    edges: list[Edge],
    *,
    first_node: str | None = None,
    last_node: str | None = None,
    with_styles: bool = True,
    curve_style: Any = CurveStyle.LINEAR,
    node_styles: Any = None,
    wrap_label_n_words: int = 9,
    frontmatter_config: dict[str, Any] | None = None,
) -> str:
    out: list[str] = []
    if with_styles:
        out.append("---\n" + _front_matter(frontmatter_config, _curve(curve_style)) + "---\n")
    out.append("graph TD;\n")

    shapes = {first_node: "{0}([{1}]):::first", last_node: "{0}([{1}]):::last"}

    def node_line(key: str, node: Node) -> str:
        name = node.name.split(":")[-1]
        label = f"<p>{name}</p>" if name.startswith(_MARKDOWN) and name.endswith(_MARKDOWN) else name
        notes = _metadata_lines(node.metadata or {})
        if notes:
            label += "<hr/><small><em>" + "\n".join(notes) + "</em></small>"
        return "\t" + shapes.get(key, "{0}({1})").format(safe_id(key), label) + "\n"

    grouped: dict[str, dict[str, Node]] = {}  # subgraph prefix -> its own nodes
    for key, node in nodes.items():
        if ":" in key:
            grouped.setdefault(key.rsplit(":", 1)[0], {})[key] = node
        elif with_styles:
            out.append(node_line(key, node))

    by_prefix: dict[str, list[Edge]] = {}  # edges by the prefix their ends share
    for edge in edges:
        parts = zip(edge.source.split(":"), edge.target.split(":"), strict=False)
        by_prefix.setdefault(":".join(s for s, t in parts if s == t), []).append(edge)

    opened: set[str] = set()

    def section(group: list[Edge], prefix: str) -> None:
        boxed = prefix and not (len(group) == 1 and group[0].source == group[0].target)
        if boxed:
            name = prefix.rsplit(":", 1)[-1]
            if name in opened:
                raise ValueError(
                    f"Found duplicate subgraph '{name}' -- this likely means that you're "
                    "reusing a subgraph node with the same name. Please adjust your graph "
                    "to have subgraph nodes with unique names."
                )
            opened.add(name)
            out.append(f"\tsubgraph {name}\n")
            if with_styles:
                out.extend(node_line(k, n) for k, n in grouped.get(prefix, {}).items())
        out.extend(_edge_line(e, wrap_label_n_words) for e in group)
        for inner, inner_edges in by_prefix.items():
            if inner == prefix or not inner.startswith(prefix + ":"):
                continue
            if ":" in inner[len(prefix) + 1 :]:
                continue  # only the next level down; deeper ones nest inside it
            section(inner_edges, inner)
        if boxed:
            out.append("\tend\n")

    section(by_prefix.get("", []), "")
    for prefix, group in by_prefix.items():
        if prefix and ":" not in prefix:
            section(group, prefix)
            opened.add(prefix)
    if with_styles:
        for prefix, members in grouped.items():
            if ":" not in prefix and prefix not in opened:  # a subgraph with no inner edges
                out.append(f"\tsubgraph {prefix}\n")
                out.extend(node_line(k, n) for k, n in members.items())
                out.append("\tend\n")
                opened.add(prefix)
        styles = node_styles if node_styles is not None else NodeStyles()
        out.extend(f"\tclassDef {name} {css}\n" for name, css in _style_fields(styles))
    return "".join(out)


def _edge_line(edge: Edge, wrap: int) -> str:
    source, target = safe_id(edge.source), safe_id(edge.target)
    if edge.data is None:
        arrow = " -.-> " if edge.conditional else " --> "
    else:
        text = str(edge.data)
        words = text.split()
        if len(words) > wrap:
            text = "&nbsp<br>&nbsp".join(" ".join(words[i : i + wrap]) for i in range(0, len(words), wrap))
        arrow = f" -. &nbsp;{text}&nbsp; .-> " if edge.conditional else f" -- &nbsp;{text}&nbsp; --> "
    return f"\t{source}{arrow}{target};\n"


def _metadata_lines(metadata: dict[str, Any]) -> list[str]:
    """`key = value` for each scalar (or list of scalars) metadata entry, escaped."""
    scalars = (str, int, float, bool)
    lines = []
    for key, value in metadata.items():
        if isinstance(value, scalars):
            text = str(value)
        elif isinstance(value, list | tuple | set) and all(isinstance(v, scalars) for v in value):
            items = [str(v) for v in value]
            text = ", ".join(sorted(items) if isinstance(value, set) else items)
        else:
            continue
        lines.append(_escape(f"{key} = {text}"))
    return lines


def _escape(text: str) -> str:
    text = text.replace("#", "#35;")
    for char, entity in _LABEL_ESCAPES.items():
        text = text.replace(char, entity)
    return text


def _curve(style: Any) -> str:
    value = getattr(style, "value", None)
    if not isinstance(value, str):
        raise TypeError(f"curve_style must be a CurveStyle, got {style!r}")
    return value


def _style_fields(styles: Any) -> list[tuple[str, str]]:
    if not dataclasses.is_dataclass(styles):
        raise TypeError(f"node_colors must be a NodeStyles, got {styles!r}")
    return [(f.name, getattr(styles, f.name)) for f in dataclasses.fields(styles)]


def _front_matter(config: dict[str, Any] | None, curve: str) -> str:
    """The YAML between the `---` lines: the config given, its flowchart curve set."""
    given = config or {}
    inner = given.get("config", {})
    merged = {**given, "config": {**inner, "flowchart": {**inner.get("flowchart", {}), "curve": curve}}}
    if merged == {"config": {"flowchart": {"curve": curve}}}:
        # The usual case, written without a YAML library (curve names are plain words).
        return f"config:\n  flowchart:\n    curve: {curve}\n"
    try:
        import yaml
    except ImportError as exc:
        raise ImportError(
            "draw_mermaid(frontmatter_config=...) writes YAML with PyYAML: "
            "pip install 'lockstep[drawing]'"
        ) from exc
    return yaml.dump(merged, default_flow_style=False)
