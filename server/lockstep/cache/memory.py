"""InMemoryCache: node results kept in this process, as langgraph.cache.memory's."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from lockstep.cache.base import BaseCache, FullKey, Namespace


class InMemoryCache(BaseCache):
    """A dict of pickled values with expiry times; safe to share between threads."""

    def __init__(self) -> None:
        self._data: dict[Namespace, dict[str, tuple[bytes, float | None]]] = {}
        self._lock = threading.Lock()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        now = time.time()
        found: dict[FullKey, Any] = {}
        with self._lock:
            for ns, key in keys:
                entries = self._data.get(ns)
                entry = entries.get(key) if entries is not None else None
                if entry is None:
                    continue
                data, expires = entry
                if expires is not None and expires <= now:
                    del entries[key]
                    continue
                found[(ns, key)] = pickle.loads(data)
        return found

    def set(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        now = time.time()
        with self._lock:
            for (ns, key), (value, ttl) in pairs.items():
                expires = now + ttl if ttl is not None else None
                self._data.setdefault(ns, {})[key] = (pickle.dumps(value), expires)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        with self._lock:
            if namespaces is None:
                self._data.clear()
            else:
                for ns in namespaces:
                    self._data.pop(ns, None)
