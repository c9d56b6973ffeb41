"""Node results from the cache (CachePolicy + compile(cache=...)), under both drivers."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from support import run

from lockstep import START, StateGraph


class S(TypedDict):
    log: Annotated[list, operator.add]
    n: int


def test_cached_node_under_both_drivers(driver):
    """A cache hit under stream and astream: the node is not called, its writes
    (edges included) apply, and its update is marked cached."""
    from lockstep.cache.memory import InMemoryCache
    from lockstep.types import CachePolicy

    calls = []

    async def slow(state):
        calls.append(state["n"])
        return {"log": ["slow"]}

    b = StateGraph(S)
    b.add_node("slow", slow, cache_policy=CachePolicy())
    b.add_node("next", lambda s: {"log": ["next"]})
    b.add_edge(START, "slow")
    b.add_edge("slow", "next")
    graph = b.compile(cache=InMemoryCache())
    first = run(graph, {"n": 1, "log": []}, None, driver=driver)
    second = run(graph, {"n": 1, "log": []}, None, driver=driver)
    assert calls == [1]
    assert first[0] == {"slow": {"log": ["slow"]}}
    assert second == [{"slow": {"log": ["slow"]}, "__metadata__": {"cached": True}}, {"next": {"log": ["next"]}}]
    with pytest.raises(TypeError, match="takes a CachePolicy"):
        b.add_node("other", slow, cache_policy=object())
