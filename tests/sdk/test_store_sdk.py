"""Long-term memory over the wire: `client.store` (Client and AsyncClient) against a live
server on each store backend, with two tenants.

What a client reads must be what the store itself gives: search results and
namespace listings are compared with an in-process store of the same kind fed the
same writes (LangGraph's own InMemoryStore for the memory backend; Lockstep's
SqliteStore, held to LangGraph's in tests/store, for SQLite).
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2
from langgraph.store.memory import InMemoryStore as LangGraphMemoryStore
from wire import TIMEOUT, refusal

from lockstep.store.sqlite import SqliteStore
from lockstep.stores.sqlite.migrations import SCHEMA_VERSION
from lockstep_api import convert
from lockstep_api.v1 import store_service_pb2 as pb
from lockstep_api.v1 import store_service_pb2_grpc
from lockstep_client import InvalidArgumentError, Reason

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))
from callers import TOKENS, Caller  # noqa: E402
from server_process import HERE, ServerProcess  # noqa: E402

pytestmark = pytest.mark.timeout(180)

MEMORY_GRAPH = f"memory={HERE / 'graphs' / 'memory.py'}:graph"
BACKENDS = ("memory", "sqlite")


def _tokens(path: Path) -> Path:
    path.write_text("".join(f"{token} {tenant}\n" for tenant, token in TOKENS.items()))
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def store_server(request, tmp_path_factory):
    """A server with the memory graph on one backend; alice's and bob's tokens."""
    workdir = tmp_path_factory.mktemp(f"store-{request.param}")
    store = "memory://" if request.param == "memory" else f"sqlite:///{workdir / 'lockstep.db'}"
    with ServerProcess(
        workdir,
        store=store,
        graphs=(MEMORY_GRAPH,),
        extra_args=("--auth-tokens", str(_tokens(workdir / "tokens"))),
    ) as proc:
        proc.backend = request.param
        proc.db = workdir / "lockstep.db"
        yield proc


@pytest.fixture
def alice(connect, store_server):
    return connect(store_server.address, token=TOKENS["alice"], timeout=TIMEOUT)


@pytest.fixture
def bob(connect, store_server):
    return connect(store_server.address, token=TOKENS["bob"], timeout=TIMEOUT)


@pytest.fixture
def root() -> str:
    """A namespace root label of this test's own, so tests share a server safely."""
    return f"t{uuid.uuid4().hex[:12]}"


def everything(client, root: str) -> tuple:
    """All a tenant can see under `root`: items and namespaces."""
    items = client.store.search_items([root], limit=1000)["items"]
    found = [(tuple(i["namespace"]), i["key"], i["value"], i["updated_at"]) for i in items]
    return found, client.store.list_namespaces(prefix=[root], limit=1000)["namespaces"]


def test_put_get_replace_delete(alice, root):
    ns = [root, "users", "42"]
    assert alice.store.put_item(ns, "prefs", {"theme": "dark", "n": 3, "tags": ["a"]}) is None
    first = alice.store.get_item(ns, "prefs")
    assert first["namespace"] == ns and first["key"] == "prefs"
    assert first["value"] == {"theme": "dark", "n": 3, "tags": ["a"]}
    assert isinstance(first["value"]["n"], int)
    assert first["created_at"] == first["updated_at"]

    alice.store.put_item(ns, "prefs", {"theme": "light"})
    second = alice.store.get_item(ns, "prefs")
    assert second["value"] == {"theme": "light"}
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] > first["updated_at"]

    assert alice.store.delete_item(ns, "prefs") is None
    assert alice.store.get_item(ns, "prefs") is None
    alice.store.delete_item(ns, "prefs")  # gone already: still fine, as the store's delete
    assert alice.store.get_item([root, "never"], "written") is None


def test_a_missing_item_is_not_found_on_the_wire(store_server, root):
    caller = Caller(store_server.channel, f"Bearer {TOKENS['alice']}")
    refused = refusal(caller.store.GetItem, pb.GetItemRequest(namespace=[root], key="none"))
    assert refused.code == grpc.StatusCode.NOT_FOUND
    assert refused.reason == "ITEM_NOT_FOUND"
    assert "none" in refused.message


def _reference(backend: str, tmp_path: Path):
    if backend == "memory":
        return LangGraphMemoryStore()
    conn = sqlite3.connect(tmp_path / "reference.db", check_same_thread=False, isolation_level=None)
    store = SqliteStore(conn)
    store.setup()
    return store


def test_search_and_list_namespaces_answer_as_the_store_does(alice, store_server, root, tmp_path):
    reference = _reference(store_server.backend, tmp_path)
    writes = [
        ((root, "docs", "a"), "1", {"author": "ann", "stars": 5, "meta": {"lang": "en"}}),
        ((root, "docs", "b"), "2", {"author": "bob", "stars": 2, "meta": {"lang": "fr"}}),
        ((root, "docs", "a"), "3", {"author": "ann", "stars": 9, "meta": {"lang": "fr"}}),
        ((root, "notes"), "4", {"author": "cy", "stars": 7, "tags": ["x", "y"]}),
        ((root, "docs", "b", "deep"), "5", {"author": "ann", "stars": "4"}),
        ((root, "docs", "a"), "1", {"author": "ann", "stars": 6, "meta": {"lang": "de"}}),
    ]
    for namespace, key, value in writes:
        alice.store.put_item(list(namespace), key, value)
        reference.put(namespace, key, value)

    searches = [
        dict(),
        dict(filter={"author": "ann"}),
        dict(filter={"stars": {"$gt": 4}}),
        dict(filter={"stars": {"$gte": 5, "$lt": 9}, "author": {"$ne": "cy"}}),
        dict(filter={"meta": {"lang": "fr"}}),
        dict(filter={"tags": ["x", "y"]}),
        dict(filter={"stars": {"$eq": 2}}),
        dict(limit=2),
        dict(limit=2, offset=2),
        dict(offset=4),
        dict(limit=0),
        dict(query="anything"),  # no embeddings index: ranks nothing, as the store
    ]
    for prefix in ([root], [root, "docs"], [root, "docs", "a"], [root, "nothing"]):
        for kwargs in searches:
            got = alice.store.search_items(prefix, **kwargs)["items"]
            want = reference.search(tuple(prefix), **kwargs)
            assert [(tuple(i["namespace"]), i["key"], i["value"]) for i in got] == [
                (i.namespace, i.key, i.value) for i in want
            ], (prefix, kwargs)
            assert all(i["score"] is None for i in got)

    listings = [
        dict(prefix=[root]),
        dict(prefix=[root, "docs"]),
        dict(prefix=[root, "*", "a"]),
        dict(prefix=[root], suffix=["a"]),
        dict(prefix=[root], suffix=["*", "deep"]),
        dict(prefix=[root], max_depth=2),
        dict(prefix=[root], max_depth=3, limit=2),
        dict(prefix=[root], limit=2, offset=1),
        dict(suffix=[root, "notes"]),
    ]
    for kwargs in listings:
        got = alice.store.list_namespaces(**kwargs)["namespaces"]
        want = reference.list_namespaces(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        )
        assert [tuple(ns) for ns in got] == want, kwargs


def test_bad_requests_are_refused_and_change_nothing(alice, store_server, root):
    alice.store.put_item([root, "kept"], "k", {"n": 1})
    before = everything(alice, root)
    caller = Caller(store_server.channel, f"Bearer {TOKENS['alice']}")
    value = convert.to_struct({"n": 2})
    refused_on_the_wire = {
        "empty namespace": (caller.store.PutItem, pb.PutItemRequest(key="k", value=value)),
        "a label with a dot": (
            caller.store.PutItem,
            pb.PutItemRequest(namespace=[root, "a.b"], key="k", value=value),
        ),
        "an empty label": (
            caller.store.PutItem,
            pb.PutItemRequest(namespace=[root, ""], key="k", value=value),
        ),
        "the reserved root": (
            caller.store.PutItem,
            pb.PutItemRequest(namespace=["langgraph", root], key="k", value=value),
        ),
        "a dot in a read": (caller.store.GetItem, pb.GetItemRequest(namespace=["a.b"], key="k")),
        "a dot in a delete": (
            caller.store.DeleteItem,
            pb.DeleteItemRequest(namespace=[root, "kept.x"], key="k"),
        ),
        "no value": (caller.store.PutItem, pb.PutItemRequest(namespace=[root, "kept"], key="k")),
        "a ttl of zero": (
            caller.store.PutItem,
            pb.PutItemRequest(
                namespace=[root, "kept"], key="k", value=value, ttl=duration_pb2.Duration()
            ),
        ),
        "a negative ttl": (
            caller.store.PutItem,
            pb.PutItemRequest(
                namespace=[root, "kept"],
                key="k",
                value=value,
                ttl=duration_pb2.Duration(seconds=-60),
            ),
        ),
        "an unknown operator": (
            caller.store.SearchItems,
            pb.SearchItemsRequest(
                namespace_prefix=[root], filter=convert.to_struct({"n": {"$regex": "1"}})
            ),
        ),
        "a negative limit": (
            caller.store.SearchItems,
            pb.SearchItemsRequest(namespace_prefix=[root], limit=-1),
        ),
        "a negative offset": (
            caller.store.ListNamespaces,
            pb.ListNamespacesRequest(prefix=[root], offset=-1),
        ),
        "a max_depth of zero": (
            caller.store.ListNamespaces,
            pb.ListNamespacesRequest(prefix=[root], max_depth=0),
        ),
    }
    reasons = {}
    for what, (method, request) in refused_on_the_wire.items():
        refused = refusal(method, request)
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT, (what, refused)
        reasons[what] = refused.reason
    assert {reasons[w] for w in ("empty namespace", "a label with a dot", "the reserved root")} == {
        "INVALID_NAMESPACE"
    }
    assert reasons["a dot in a delete"] == "INVALID_NAMESPACE"
    assert reasons["an unknown operator"] == "INVALID_FILTER"
    assert reasons["no value"] == "INVALID_ARGUMENT"

    # The SDK passes the server's refusal on, with its reason...
    with pytest.raises(InvalidArgumentError) as err:
        alice.store.put_item([root, "x.y"], "k", {"n": 2})
    assert err.value.reason == Reason.INVALID_NAMESPACE
    # ...and refuses what cannot even be sent, before any call.
    with pytest.raises(TypeError, match="labels must be str"):
        alice.store.put_item([root, 7], "k", {"n": 2})
    with pytest.raises(TypeError, match="list of str labels"):
        alice.store.get_item(root, "k")
    with pytest.raises(TypeError, match="value must be a dict"):
        alice.store.put_item([root], "k", [1, 2])
    with pytest.raises(ValueError, match="ttl"):
        alice.store.put_item([root], "k", {"n": 2}, ttl=0)
    assert everything(alice, root) == before


def test_tenants_never_see_each_others_items(alice, bob, root):
    ns = [root, "shared", root]
    alice.store.put_item(ns, "k", {"owner": "alice"})
    assert bob.store.get_item(ns, "k") is None
    assert bob.store.search_items([root])["items"] == []
    assert bob.store.list_namespaces(prefix=[root])["namespaces"] == []
    assert bob.store.list_namespaces(suffix=["shared", root])["namespaces"] == []

    # Bob's writes at the same place are his own, and his delete touches nothing of hers.
    bob.store.put_item(ns, "k", {"owner": "bob"})
    bob.store.delete_item(ns, "k")
    bob.store.put_item(ns, "other", {"owner": "bob"})
    assert alice.store.get_item(ns, "k")["value"] == {"owner": "alice"}
    assert [i["key"] for i in alice.store.search_items([root])["items"]] == ["k"]
    assert [i["key"] for i in bob.store.search_items([root])["items"]] == ["other"]
    assert alice.store.list_namespaces(prefix=[root])["namespaces"] == [ns]


def test_a_served_graphs_store_is_the_store_service(alice, bob, root):
    """A node's `store.put` is read back by the Store service, and a client's
    put_item is what the node's `store.get` finds next run, per tenant."""
    first = alice.runs.wait(None, "memory", input={"user": root, "note": "likes tea"})
    assert first.status == "success"
    assert first.values["profile"] is None
    item = alice.store.get_item(["users", root], "profile")
    assert item["value"] == {"note": "likes tea", "by": "graph"}
    # A subgraph's nodes get the same store.
    assert alice.store.get_item(["visits", root], "last")["value"] == {"by": "subgraph"}

    alice.store.put_item(["users", root], "profile", {"note": "switched to coffee"})
    second = alice.runs.wait(None, "memory", input={"user": root})
    assert second.values["profile"] == {"note": "switched to coffee"}
    assert f"users/{root}:profile" in second.values["keys"]

    # Bob's run of the same graph sees none of it, and writes only his own.
    theirs = bob.runs.wait(None, "memory", input={"user": root, "note": "bob's"})
    assert theirs.values["profile"] is None
    assert f"users/{root}:profile" not in theirs.values["keys"]
    assert alice.store.get_item(["users", root], "profile")["value"] == {
        "note": "switched to coffee"
    }
    assert bob.store.get_item(["users", root], "profile")["value"] == {
        "note": "bob's",
        "by": "graph",
    }


def test_sqlite_keeps_memory_in_the_servers_file_across_a_restart(tmp_path, root):
    db = tmp_path / "lockstep.db"
    store = f"sqlite:///{db}"
    value = convert.to_struct({"kept": True})
    with ServerProcess(tmp_path, store=store, graphs=(MEMORY_GRAPH,)) as first:
        stub = store_service_pb2_grpc.StoreStub(first.channel)
        ttl = duration_pb2.Duration(seconds=90 * 60)
        stub.PutItem(
            pb.PutItemRequest(namespace=[root, "ttl"], key="k", value=value, ttl=ttl),
            timeout=TIMEOUT,
        )
        stub.PutItem(pb.PutItemRequest(namespace=[root], key="k", value=value), timeout=TIMEOUT)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        # One schema list covers the memory's tables too.
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = dict(conn.execute("SELECT prefix, ttl_minutes FROM store_items").fetchall())
    finally:
        conn.close()
    # Kept under the tenant's label (no tokens: the default tenant), TTL in minutes.
    assert rows == {f"default.{root}.ttl": 90.0, f"default.{root}": None}
    with ServerProcess(tmp_path, store=store, graphs=(MEMORY_GRAPH,), name="again") as second:
        stub = store_service_pb2_grpc.StoreStub(second.channel)
        reply = stub.GetItem(pb.GetItemRequest(namespace=[root], key="k"), timeout=TIMEOUT)
        assert convert.from_struct(reply.item.value) == {"kept": True}
