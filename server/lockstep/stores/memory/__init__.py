"""The memory backend: everything in the process, gone when it ends (`memory://`)."""

from __future__ import annotations

from lockstep.checkpoint.memory import MemorySaver
from lockstep.store.memory import InMemoryStore
from lockstep.stores.base import Backend
from lockstep.stores.memory.coordination import MemoryCoordination
from lockstep.stores.memory.records import MemoryRunStore, MemoryThreadStore


class MemoryBackend(Backend):
    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self.saver = MemorySaver()
        self.threads = MemoryThreadStore()
        self.runs = MemoryRunStore()
        self.coordination = MemoryCoordination()
        self._memory = InMemoryStore()

    @property
    def memory(self) -> InMemoryStore:
        return self._memory

    def close(self) -> None:
        """Nothing is held but memory."""


__all__ = ["MemoryBackend", "MemoryCoordination", "MemoryRunStore", "MemoryThreadStore"]
