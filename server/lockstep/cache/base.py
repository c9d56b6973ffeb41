"""What a node cache provides: values under (namespace, key), each with a ttl."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Namespace = tuple[str, ...]
FullKey = tuple[Namespace, str]


class BaseCache:
    """LangGraph's cache interface: `get` the keys found, `set` values with a ttl in
    seconds (None: kept until cleared), `clear` whole namespaces (None: all)."""

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        raise NotImplementedError

    def set(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        raise NotImplementedError

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        raise NotImplementedError

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        return self.get(keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        self.set(pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        self.clear(namespaces)
