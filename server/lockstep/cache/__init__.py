"""Caches for node results (`add_node(cache_policy=...)`, `compile(cache=...)`)."""

from lockstep.cache.base import BaseCache

__all__ = ["BaseCache"]
