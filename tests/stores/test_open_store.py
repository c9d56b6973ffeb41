"""`open_store` picks the backend the URL names; the backend is one object."""

from __future__ import annotations

import asyncio
import sys

import pytest

from lockstep.checkpoint.memory import MemorySaver
from lockstep.checkpoint.postgres import PostgresSaver
from lockstep.checkpoint.sqlite import SqliteSaver
from lockstep.store.memory import InMemoryStore
from lockstep.store.postgres import PostgresStore
from lockstep.store.sqlite import SqliteStore
from lockstep.stores import open_store
from lockstep.stores.memory import MemoryBackend
from lockstep.stores.postgres import PostgresBackend
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


@pytest.mark.parametrize("url", ["sqlite:///", "mysql://x", "nope"])
def test_a_url_it_cannot_open_is_refused(url):
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store(url)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgres_url_keeps_everything_in_one_database(postgres_url, scheme):
    url = postgres_url.replace("postgresql://", f"{scheme}://", 1)
    backend = open_store(url)
    assert isinstance(backend, PostgresBackend) and isinstance(backend.saver, PostgresSaver)
    backend.threads.put(ThreadRecord("t1"))
    memory = backend.memory
    assert isinstance(memory, PostgresStore) and backend.memory is memory
    memory.put(("users",), "u1", {"name": "ann"})
    asyncio.run(backend.durable())
    backend.close()
    again = open_store(url)
    assert again.threads.get("t1") is not None
    assert again.memory.get(("users",), "u1").value == {"name": "ann"}
    again.close()


def test_postgres_password_from_the_caller(postgres_base_url):
    """A password given apart from the URL (the CLI's --store-password-file) is used:
    a server that trusts everyone takes it; an unreachable one is refused with a
    message naming the place, not the password."""
    with pytest.raises(ConnectionError, match=r"cannot connect to PostgreSQL at .*:1/x") as caught:
        open_store("postgresql://ann@127.0.0.1:1/x", password="s3cret")
    assert "s3cret" not in str(caught.value)
    open_store(postgres_base_url, password="anything").close()


def test_postgres_without_psycopg_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ImportError, match=r"pip install 'lockstep\[postgres\]'"):
        open_store("postgresql://u@127.0.0.1/db")
