"""TenantStore: one tenant's view of the server's long-term memory, on each kind of store."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from lockstep.runs.memory import TenantStore, tenant_label
from lockstep.store.base import InvalidNamespaceError
from lockstep.store.memory import InMemoryStore
from lockstep.store.sqlite import SqliteStore


@pytest.fixture(params=["memory", "sqlite"])
def shared(request, tmp_path):
    if request.param == "memory":
        yield InMemoryStore()
        return
    conn = sqlite3.connect(tmp_path / "m.db", check_same_thread=False, isolation_level=None)
    store = SqliteStore(conn)
    store.setup()
    yield store
    conn.close()


def test_names_that_look_alike_are_different_tenants(shared):
    assert len({tenant_label(t) for t in ("a.b", "a%2Eb", "a", "a%b")}) == 4
    dotted, escaped = TenantStore(shared, "a.b"), TenantStore(shared, "a%2Eb")
    dotted.put(("docs",), "k", {"who": "dotted"})
    escaped.put(("docs",), "k", {"who": "escaped"})
    assert dotted.get(("docs",), "k").value == {"who": "dotted"}
    assert escaped.get(("docs",), "k").value == {"who": "escaped"}
    assert [i.value for i in dotted.search(())] == [{"who": "dotted"}]


def test_items_and_namespaces_are_shown_as_the_tenant_named_them(shared):
    alice, bob = TenantStore(shared, "alice"), TenantStore(shared, "bob")
    alice.put(("users", "1"), "p", {"n": 1})
    alice.put(("notes",), "q", {"n": 2})
    bob.put(("users", "2"), "p", {"n": 3})
    item = alice.get(("users", "1"), "p")
    assert (item.namespace, item.key, item.value) == (("users", "1"), "p", {"n": 1})
    assert sorted(i.namespace for i in alice.search(())) == [("notes",), ("users", "1")]
    assert alice.list_namespaces() == [("notes",), ("users", "1")]
    # Patterns match the tenant's namespaces, never the label they are kept under.
    assert alice.list_namespaces(suffix=("*", "1")) == [("users", "1")]
    assert alice.list_namespaces(suffix=("*", "notes")) == []
    assert alice.list_namespaces(prefix=("*",), max_depth=1) == [("notes",), ("users",)]
    assert bob.list_namespaces() == [("users", "2")]
    # Underneath, each tenant's items are kept below its label.
    assert shared.list_namespaces(max_depth=1) == [("alice",), ("bob",)]
    assert shared.get(("alice", "users", "1"), "p").value == {"n": 1}


def test_the_tenants_namespaces_are_checked_as_given(shared):
    alice = TenantStore(shared, "alice")
    with pytest.raises(InvalidNamespaceError, match="cannot be empty"):
        alice.put((), "k", {"n": 1})
    with pytest.raises(InvalidNamespaceError, match="reserved"):
        alice.put(("langgraph", "x"), "k", {"n": 1})
    with pytest.raises(InvalidNamespaceError, match="'.'"):
        alice.get(("a.b",), "k")
    assert shared.list_namespaces() == []


def test_async_calls_see_the_same_items(shared):
    alice = TenantStore(shared, "alice")

    async def main() -> None:
        await alice.aput(("users",), "k", {"n": 1})
        assert (await alice.aget(("users",), "k")).value == {"n": 1}
        assert [i.namespace for i in await alice.asearch(("users",))] == [("users",)]
        assert await alice.alist_namespaces() == [("users",)]

    asyncio.run(main())
    assert alice.get(("users",), "k").value == {"n": 1}
    asyncio.run(alice.adelete(("users",), "k"))
    assert alice.get(("users",), "k") is None
