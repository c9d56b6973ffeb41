"""Opening the server's storage from a URL: the backend its scheme names."""

from __future__ import annotations

from lockstep.stores.base import Backend
from lockstep.stores.memory import MemoryBackend

DEFAULT_STORE = "sqlite:///.lockstep/lockstep.db"


def open_store(url: str = DEFAULT_STORE) -> Backend:
    """`memory://` or `sqlite:///PATH` (a relative PATH, or `sqlite:////abs/path`)."""
    if url in ("memory://", "memory"):
        return MemoryBackend(url)
    if url.startswith("sqlite:///"):
        from lockstep.stores.sqlite import SqliteBackend

        path = url.removeprefix("sqlite:///")
        if not path:
            raise ValueError("sqlite:/// needs a file path, e.g. sqlite:///.lockstep/lockstep.db")
        return SqliteBackend(path, url)
    raise ValueError(f"unknown store {url!r}: use memory:// or sqlite:///PATH")
