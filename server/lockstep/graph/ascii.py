"""A graph as a text picture: boxed node names, `*` for edges, `.` for conditional ones.

The layout (which layer and column each box goes in, the bends of each edge) is
grandalf's Sugiyama layout, the one LangGraph's `draw_ascii()` uses, so both draw
the same picture; grandalf is the optional `lockstep[drawing]` extra. The drawing
onto a character grid is ours: boxes three lines high and two columns wider than
` name `, edges as straight segments between the layout's points, drawn first so
that boxes cover their ends. Only the part connected to the first node is drawn,
as in LangGraph.

One change to grandalf's inputs: its edges hash by their position in the graph's
edge list. Grandalf collects a component's edges in a set, so with its default
(address-based) hashes the order edges are laid out and drawn in, and with it
the picture, changes from run to run; LangGraph's own `draw_ascii()` gives
different pictures of one graph that way. Lockstep gives one of them, always
the same.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

BOX_HEIGHT = 3  # border, name, border


class _BoxSize:
    """What grandalf reads to size a vertex: `w` and `h`; it writes back `xy`."""

    def __init__(self, label: str) -> None:
        self.w = len(label) + 2
        self.h = BOX_HEIGHT


class _Route:
    """Where grandalf puts an edge's points."""

    def __init__(self) -> None:
        self.pts: list[tuple[float, float]] = []

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = pts


@functools.cache
def numbered_edge_class(base: type) -> type:
    """Grandalf's edge class, hashing by the edge's position (see above)."""

    class NumberedEdge(base):  # type: ignore[misc, valid-type]
        def __init__(self, x: Any, y: Any, index: int, data: Any) -> None:
            super().__init__(x, y, data=data)
            self.index = index

        def __hash__(self) -> int:
            return self.index

    return NumberedEdge


def layout(vertices: Mapping[str, str], edges: Sequence[Any]) -> Any:
    """Grandalf's Sugiyama layout of the graph's first connected part, spaced for text."""
    try:
        from grandalf.graphs import Edge, Graph, Vertex
        from grandalf.layouts import SugiyamaLayout
        from grandalf.routing import route_with_lines
    except ImportError as exc:
        raise ImportError("draw_ascii() lays graphs out with grandalf: pip install 'lockstep[drawing]'") from exc
    numbered = numbered_edge_class(Edge)
    boxes = {key: Vertex(f" {name} ") for key, name in vertices.items()}
    links = [
        numbered(boxes[e.source], boxes[e.target], i, e.conditional) for i, e in enumerate(edges)
    ]
    for box in boxes.values():
        box.view = _BoxSize(box.data)
    for link in links:
        link.view = _Route()
    part = Graph(list(boxes.values()), links).C[0]
    sugiyama = SugiyamaLayout(part)
    sugiyama.init_all(roots=[v for v in part.sV if not v.e_in()], optimize=True)
    sugiyama.yspace = BOX_HEIGHT
    sugiyama.xspace = min(box.view.w for box in boxes.values())
    sugiyama.route_edge = route_with_lines
    sugiyama.draw()
    return sugiyama


def draw_ascii(vertices: Mapping[str, str], edges: Sequence[Any]) -> str:
    drawn = layout(vertices, edges)
    xs: list[float] = []
    ys: list[float] = []
    for box in drawn.g.sV:
        x, y = box.view.xy
        xs += [x - box.view.w / 2.0, x + box.view.w / 2.0]
        ys += [y, y + box.view.h]
    for link in drawn.g.sE:
        for x, y in link.view.pts:
            xs.append(x)
            ys.append(y)
    left, top = min(xs), min(ys)
    grid = _Grid(math.ceil(math.ceil(max(xs)) - math.floor(left)) + 1, round(max(ys) - top))
    for link in drawn.g.sE:  # edges first: the boxes drawn next cover their ends
        if len(link.view.pts) < 2:
            raise ValueError("Not enough points to draw an edge")
        mark = "." if link.data else "*"
        for (x0, y0), (x1, y1) in zip(link.view.pts, link.view.pts[1:], strict=False):
            ends = [round(x0 - left), round(y0 - top), round(x1 - left), round(y1 - top)]
            if min(ends) < 0:
                raise ValueError(f"Invalid edge coordinates: {ends}")
            grid.line(*ends, mark)
    for box in drawn.g.sV:
        x = round(box.view.xy[0] - box.view.w / 2.0 - left)
        y = round(box.view.xy[1] - top)
        grid.box(x, y, box.view.w, box.view.h)
        grid.text(x + 1, y + 1, box.data)
    return grid.render()


class _Grid:
    """A fixed-size grid of characters, drawn on by points, lines, boxes and text."""

    def __init__(self, cols: int, rows: int) -> None:
        if cols <= 1 or rows <= 1:
            raise ValueError("Canvas dimensions should be > 1")
        self.cols, self.rows = cols, rows
        self.cells = [[" "] * cols for _ in range(rows)]

    def render(self) -> str:
        return os.linesep.join("".join(row) for row in self.cells)

    def put(self, x: int, y: int, char: str) -> None:
        if not (0 <= x < self.cols and 0 <= y < self.rows):
            raise ValueError(f"point ({x}, {y}) is off the {self.cols}x{self.rows} canvas")
        self.cells[y][x] = char

    def line(self, x0: int, y0: int, x1: int, y1: int, char: str) -> None:
        """A straight line, one character per step along its longer axis."""
        if x0 > x1:
            x0, y0, x1, y1 = x1, y1, x0, y0
        dx, dy = x1 - x0, y1 - y0
        if dx == 0 and dy == 0:
            self.put(x0, y0, char)
        elif abs(dx) >= abs(dy):
            for x in range(x0, x1 + 1):
                self.put(x, y0 + round((x - x0) * dy / float(dx)), char)
        elif y0 < y1:
            for y in range(y0, y1 + 1):
                self.put(x0 + round((y - y0) * dx / float(dy)), y, char)
        else:
            for y in range(y1, y0 + 1):
                self.put(x1 + round((y - y1) * dx / float(dy)), y, char)

    def box(self, x0: int, y0: int, width: int, height: int) -> None:
        if width <= 1 or height <= 1:
            raise ValueError("Box dimensions should be > 1")
        right, bottom = x0 + width - 1, y0 + height - 1
        for x in range(x0, right):
            self.put(x, y0, "-")
            self.put(x, bottom, "-")
        for y in range(y0, bottom):
            self.put(x0, y, "|")
            self.put(right, y, "|")
        for x, y in ((x0, y0), (right, y0), (x0, bottom), (right, bottom)):
            self.put(x, y, "+")

    def text(self, x: int, y: int, text: str) -> None:
        for i, char in enumerate(text):
            self.put(x + i, y, char)
