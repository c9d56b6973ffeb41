"""Helpers shared by the engine tests: run a graph with either driver, make a saver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lockstep.checkpoint import MemorySaver

DRIVERS = ("stream", "astream")
SAVERS = ("memory", "sqlite")


def make_saver(kind: str, tmp_path: Path):
    """A fresh checkpointer; 'sqlite' is a file-backed SqliteSaver under tmp_path."""
    if kind == "memory":
        return MemorySaver()
    # Not guarded: if SqliteSaver is missing, the sqlite-parametrized tests must fail.
    from lockstep.checkpoint import SqliteSaver

    return SqliteSaver(str(tmp_path / "threads.db"))


def run(graph, input: Any, config: dict | None, *, driver: str = "stream", echo=False, **kw):
    """Every chunk the run yields, through `stream` or `astream` (asyncio.run)."""
    if driver == "stream":
        out = []
        for chunk in graph.stream(input, config, **kw):
            if echo:
                print(chunk)
            out.append(chunk)
        return out

    async def collect():
        out = []
        async for chunk in graph.astream(input, config, **kw):
            if echo:
                print(chunk)
            out.append(chunk)
        return out

    return asyncio.run(collect())


def thread(tid: str) -> dict:
    return {"configurable": {"thread_id": tid}}
