"""What invoke returns from a graph whose output schema shows less than its state.

LangGraph's invoke reads only the output schema's keys: its values chunks hold those
keys (a step that changes none of them shows no chunk) and its updates chunks the
nodes' writes to them. A run streams the whole state; invoke narrows its chunks here,
so a graph without an output schema pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lockstep.constants import INTERRUPT


def output_chunks(graph: Any, chunks: list[Any], stream_mode: str | Sequence[str]) -> list[Any]:
    """invoke(stream_mode=...)'s chunks (a mode's bare chunks, or (mode, chunk) pairs)
    narrowed to the graph's output keys."""
    if graph.output_keys is None:
        return chunks
    single = isinstance(stream_mode, str)
    out: list[Any] = []
    shown: Any = None  # the last values chunk kept
    for item in chunks:
        mode, chunk = (stream_mode, item) if single else item
        if mode == "values":
            chunk = graph.invoke_output(chunk)
            if chunk is None or _same(chunk, shown):
                continue  # no output key changed in this step
            shown = chunk
        elif mode == "updates":
            chunk = _narrow_update(chunk, graph.output_keys)
        out.append(chunk if single else (mode, chunk))
    return out


def _same(chunk: dict[str, Any], shown: dict[str, Any] | None) -> bool:
    return shown is not None and chunk.keys() == shown.keys() and all(
        chunk[k] is shown[k] for k in chunk
    )


def _narrow_update(chunk: Any, keys: frozenset[str]) -> Any:
    if not isinstance(chunk, dict):
        return chunk
    out: dict[str, Any] = {}
    for node, update in chunk.items():
        if node == INTERRUPT or node == "__metadata__" or not isinstance(update, dict):
            out[node] = update
        else:
            out[node] = {k: v for k, v in update.items() if k in keys} or None
    return out
