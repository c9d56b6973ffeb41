"""`open_store` picks the backend the URL names; the backend is one object."""

from __future__ import annotations

import asyncio

import pytest

from lockstep.checkpoint.memory import MemorySaver
from lockstep.checkpoint.sqlite import SqliteSaver
from lockstep.store.memory import InMemoryStore
from lockstep.store.sqlite import SqliteStore
from lockstep.stores import open_store
from lockstep.stores.memory import MemoryBackend
from lockstep.stores.sqlite import SqliteBackend
from lockstep.stores.threads import ThreadRecord


def test_memory_url():
    backend = open_store("memory://")
    assert isinstance(backend, MemoryBackend) and isinstance(backend.saver, MemorySaver)
    assert isinstance(backend.memory, InMemoryStore) and backend.memory is backend.memory
    backend.close()


def test_sqlite_url_makes_the_folder_and_keeps_everything_in_one_file(tmp_path):
    path = tmp_path / "state" / "lockstep.db"
    backend = open_store(f"sqlite:///{path}")
    assert isinstance(backend, SqliteBackend) and isinstance(backend.saver, SqliteSaver)
    backend.threads.put(ThreadRecord("t1"))
    memory = backend.memory
    assert isinstance(memory, SqliteStore)
    memory.put(("users",), "u1", {"name": "ann"})
    asyncio.run(backend.durable())
    backend.close()
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".db"] == ["lockstep.db"]
    again = open_store(f"sqlite:///{path}")
    assert again.threads.get("t1") is not None
    assert again.memory.get(("users",), "u1").value == {"name": "ann"}
    again.close()


@pytest.mark.parametrize("url", ["sqlite:///", "postgres://x", "nope"])
def test_a_url_it_cannot_open_is_refused(url):
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store(url)
