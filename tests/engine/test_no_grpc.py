"""The engine is pure Python: importing and running it loads no gRPC."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from typing import TypedDict
from lockstep import START, StateGraph
from lockstep.checkpoint import MemorySaver, SqliteSaver
import lockstep.graph.drawing

class S(TypedDict):
    x: int

b = StateGraph(S)
b.add_node("a", lambda s: {"x": 1})
b.add_edge(START, "a")
g = b.compile(checkpointer=MemorySaver())
g.invoke({"x": 0}, {"configurable": {"thread_id": "t"}})
g.get_graph().draw_mermaid()
loaded = sorted(m for m in sys.modules if m == "grpc" or m.startswith(("grpc.", "grpc_")))
print(",".join(loaded))
"""


def test_engine_imports_no_grpc():
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
