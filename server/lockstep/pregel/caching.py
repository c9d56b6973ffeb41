"""Node results cached by their input (`add_node(cache_policy=CachePolicy(...))` with
`compile(cache=...)`): a hit skips the node and reuses the writes it made, and its
`updates` event is marked `{"__metadata__": {"cached": True}}`, as in LangGraph."""

from __future__ import annotations

import hashlib
from typing import Any

from lockstep.pregel.tasks import Task

NAMESPACE = "__lockstep_node_cache__"


def wants(graph: Any, task: Task) -> bool:
    return graph.cache is not None and task.name in graph.cache_policies


def _key(graph: Any, task: Task) -> tuple[tuple[str, ...], str]:
    key = graph.cache_policies[task.name].key_func(task.input)
    if isinstance(key, str):
        key = key.encode()
    return (NAMESPACE, task.name), hashlib.blake2b(key, digest_size=16).hexdigest()


def lookup(graph: Any, task: Task) -> bool:
    """Fill the task from the cache; True on a hit."""
    full = _key(graph, task)
    task.cache_key = full
    found = graph.cache.get([full])
    if full not in found:
        return False
    writes, update = found[full]
    task.writes, task.update, task.cached = list(writes), update, True
    return True


def store(graph: Any, task: Task) -> None:
    """Keep a finished task's writes (not a failed or paused one's)."""
    if task.error is None and not task.paused and task.cache_key is not None:
        ttl = graph.cache_policies[task.name].ttl
        graph.cache.set({task.cache_key: ((list(task.writes), task.update), ttl)})


def clear(graph: Any, nodes: Any = None) -> None:
    names = list(graph.cache_policies) if nodes is None else list(nodes)
    if graph.cache is not None:
        graph.cache.clear([(NAMESPACE, name) for name in names])
