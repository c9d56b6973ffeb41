"""The graphs a server hosts: loaded from `NAME=PATH.py:ATTR` specs or the package's examples."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockstep.checkpoint.base import BaseSaver
from lockstep.graph.state import StateGraph
from lockstep.pregel.graph import CompiledGraph

# Inside the package, so an installed server has them too, whatever its working directory.
EXAMPLES = Path(__file__).resolve().parent / "examples"


@dataclass
class HostedGraph:
    graph_id: str
    graph: CompiledGraph
    description: str = ""


def parse_spec(spec: str) -> tuple[str, Path, str]:
    """`NAME=PATH.py:ATTR` (ATTR defaults to `graph`)."""
    name, sep, rest = spec.partition("=")
    if not sep or not name or not rest:
        raise ValueError(f"--graph {spec!r}: expected NAME=PATH.py:ATTR")
    path, _, attr = rest.partition(":")
    return name, Path(path), attr or "graph"


def load_graph(graph_id: str, path: Path, attr: str, saver: BaseSaver) -> HostedGraph:
    if not path.is_file():
        raise FileNotFoundError(f"graph {graph_id!r}: no file {str(path)!r}")
    module_name = f"lockstep_graphs.{graph_id}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"graph {graph_id!r}: cannot import {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    try:
        obj: Any = getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"graph {graph_id!r}: {str(path)!r} has no attribute {attr!r}") from None
    if isinstance(obj, StateGraph):
        obj = obj.compile()
    if not isinstance(obj, CompiledGraph):
        raise TypeError(
            f"graph {graph_id!r}: {attr!r} is a {type(obj).__name__}, not a StateGraph or compiled graph"
        )
    # The server's store replaces whatever the graph brought, on a copy: the module's
    # own graph is left as it was.
    obj = obj.copy({"checkpointer": saver})
    doc = (module.__doc__ or "").strip().splitlines()
    return HostedGraph(graph_id, obj, doc[0] if doc else "")


def load_examples(saver: BaseSaver, folder: Path = EXAMPLES) -> dict[str, HostedGraph]:
    graphs = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        hosted = load_graph(path.stem, path, "graph", saver)
        graphs[hosted.graph_id] = hosted
    return graphs


def load(specs: list[str], saver: BaseSaver) -> dict[str, HostedGraph]:
    if not specs:
        return load_examples(saver)
    graphs = {}
    for spec in specs:
        name, path, attr = parse_spec(spec)
        if name in graphs:
            raise ValueError(f"graph {name!r} is named twice")
        graphs[name] = load_graph(name, path, attr, saver)
    return graphs
