"""What every store backend does the same way: the contract a `BaseStore` keeps.

Each test runs on every backend in conftest.BACKENDS; where LangGraph's backends
differ (the order `search` returns items in), the backend says which it follows.
"""

from __future__ import annotations

import asyncio

import pytest

from lockstep.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)

NESTED = {
    "name": "Ada",
    "unicode": "naïve ☕ 日本",
    "big": 2**62 + 1,
    "ratio": 0.1,
    "ok": True,
    "none": None,
    "empty": {},
    "tags": ["a", "b", ["c", {"d": [1, 2.5, None]}]],
    "profile": {"address": {"city": "Paris", "zip": "75001"}, "langs": []},
}


def keys(items: list[SearchItem]) -> list[str]:
    return [item.key for item in items]


def test_values_round_trip_as_nested_json(store):
    store.put(("users", "1"), "profile", NESTED)
    item = store.get(("users", "1"), "profile")
    assert isinstance(item, Item)
    assert (item.namespace, item.key, item.value) == (("users", "1"), "profile", NESTED)
    assert item.created_at.tzinfo is not None and item.created_at == item.updated_at


def test_get_of_a_missing_item_is_none(store):
    assert store.get(("users", "1"), "nothing") is None
    store.put(("users", "1"), "k", {"v": 1})
    assert store.get(("users", "1"), "other") is None
    assert store.get(("users", "2"), "k") is None


def test_namespaces_are_isolated(store):
    store.put(("users", "1"), "prefs", {"theme": "dark"})
    store.put(("users", "2"), "prefs", {"theme": "light"})
    store.put(("users", "10"), "prefs", {"theme": "blue"})
    assert store.get(("users", "1"), "prefs").value == {"theme": "dark"}
    assert store.get(("users", "2"), "prefs").value == {"theme": "light"}
    # A prefix is matched label by label: ("users", "1") is not a prefix of ("users", "10").
    assert [i.value for i in store.search(("users", "1"))] == [{"theme": "dark"}]
    assert sorted(i.namespace for i in store.search(("users",))) == [
        ("users", "1"),
        ("users", "10"),
        ("users", "2"),
    ]
    assert store.search(("user",)) == []


def test_search_under_an_empty_prefix_sees_everything(store):
    store.put(("a",), "k", {"v": 1})
    store.put(("b", "c"), "k", {"v": 2})
    assert sorted(i.value["v"] for i in store.search(())) == [1, 2]


def test_values_are_copied_in_and_out(store):
    value = {"list": [1]}
    store.put(("ns",), "k", value)
    value["list"].append(2)
    got = store.get(("ns",), "k")
    got.value["list"].append(3)
    assert store.get(("ns",), "k").value == {"list": [1]}
    store.search(("ns",))[0].value["list"].append(4)
    assert store.get(("ns",), "k").value == {"list": [1]}


def test_put_replaces_and_keeps_created_at(store, clock):
    store.put(("ns",), "k", {"v": 1, "old": True})
    first = store.get(("ns",), "k")
    clock.advance(seconds=5)
    store.put(("ns",), "k", {"v": 2})
    second = store.get(("ns",), "k")
    assert second.value == {"v": 2}
    assert second.created_at == first.created_at
    assert second.updated_at - first.updated_at == clock.at - first.created_at


def test_keys_are_strings(store):
    store.put(("ns",), 7, {"v": 1})
    assert store.get(("ns",), "7").key == "7"
    assert store.get(("ns",), 7).value == {"v": 1}


def test_delete(store):
    store.put(("ns",), "k", {"v": 1})
    store.put(("ns",), "j", {"v": 2})
    store.delete(("ns",), "k")
    store.delete(("ns",), "never-there")
    store.delete(("elsewhere",), "k")
    assert store.get(("ns",), "k") is None
    assert keys(store.search(("ns",))) == ["j"]


def test_a_namespace_whose_items_are_all_deleted_is_not_listed(store):
    store.put(("keep",), "k", {"v": 1})
    store.put(("gone",), "k", {"v": 1})
    store.delete(("gone",), "k")
    store.get(("never", "written"), "k")
    assert store.list_namespaces() == [("keep",)]


def test_search_order(store, backend, clock):
    for key in ("a", "b", "c"):
        store.put(("ns",), key, {"key": key})
        clock.advance(seconds=1)
    store.put(("ns",), "a", {"key": "a", "updated": True})
    got = keys(store.search(("ns",)))
    if backend.order == "insertion":
        assert got == ["a", "b", "c"]  # an update keeps the item's place
    else:
        assert got == ["a", "c", "b"]  # most recently updated first


def test_search_order_of_writes_in_the_same_instant(store, backend, clock):
    for key in ("a", "b", "c"):
        store.put(("ns",), key, {})
    expected = ["a", "b", "c"] if backend.order == "insertion" else ["c", "b", "a"]
    assert keys(store.search(("ns",))) == expected


def test_search_pages_with_limit_and_offset(store, backend):
    for n in range(25):
        store.put(("ns",), f"k{n:02}", {"n": n})
    everything = keys(store.search(("ns",), limit=100))
    assert len(everything) == 25
    assert keys(store.search(("ns",))) == everything[:10]  # the default limit is 10
    assert keys(store.search(("ns",), limit=5, offset=5)) == everything[5:10]
    assert keys(store.search(("ns",), offset=20)) == everything[20:]
    assert store.search(("ns",), offset=30) == []
    assert (
        keys(store.search(("ns",), filter={"n": {"$gte": 10}}, limit=3, offset=2))
        == [k for k in everything if int(k[1:]) >= 10][2:5]
    )


def test_search_without_an_index_ignores_query(store):
    store.put(("docs",), "1", {"text": "Python tutorial"})
    store.put(("docs",), "2", {"text": "TypeScript guide"})
    found = store.search(("docs",), query="python programming")
    assert sorted(keys(found)) == ["1", "2"]
    assert all(isinstance(i, SearchItem) and i.score is None for i in found)


@pytest.fixture
def catalog(store):
    rows = {
        "apple": {
            "kind": "fruit",
            "price": 1.5,
            "stock": 10,
            "tags": ["red", "sweet"],
            "meta": {"origin": "FR", "organic": True},
        },
        "kiwi": {
            "kind": "fruit",
            "price": 3,
            "stock": 0,
            "tags": ["green"],
            "meta": {"origin": "NZ", "organic": False},
        },
        "leek": {"kind": "vegetable", "price": 2, "stock": 4, "meta": {"origin": "FR"}},
        "salt": {"kind": "mineral", "price": "0.5", "date": "2024-03-01"},
        "tea": {"kind": "drink", "date": "2025-01-15", "price": None},
    }
    for key, value in rows.items():
        store.put(("shop", "items"), key, value)
    return store


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"kind": "fruit"}, {"apple", "kiwi"}),
        ({"kind": "fruit", "stock": 0}, {"kiwi"}),
        ({"kind": {"$eq": "vegetable"}}, {"leek"}),
        ({"kind": {"$ne": "fruit"}}, {"leek", "salt", "tea"}),
        ({"price": {"$gt": 1.5}}, {"kiwi", "leek"}),
        ({"price": {"$gte": 1.5}}, {"apple", "kiwi", "leek"}),
        (
            {"price": {"$lt": 2}},
            {"apple", "salt"},
        ),  # "0.5" compares as a number, as LangGraph's float() does
        ({"price": {"$lte": 2}}, {"apple", "leek", "salt"}),
        ({"price": {"$gt": 1, "$lt": 3}}, {"apple", "leek"}),
        ({"stock": {"$gt": 0}}, {"apple", "leek"}),  # no "stock" key: no match
        ({"date": {"$gte": "2025-01-01"}}, {"tea"}),  # two strings: string order
        ({"price": None}, {"tea"}),
        ({"tags": ["green"]}, {"kiwi"}),  # a list matches element by element
        ({"tags": ["red"]}, set()),
        ({"meta": {"origin": "FR"}}, {"apple", "leek"}),  # a dict matches the keys it names
        ({"meta": {"organic": True, "origin": "FR"}}, {"apple"}),
        ({"missing": "x"}, set()),
        ({}, {"apple", "kiwi", "leek", "salt", "tea"}),
    ],
)
def test_search_filters(catalog, filter, expected):  # noqa: A002
    assert set(keys(catalog.search(("shop",), filter=filter))) == expected


def test_an_unsupported_filter_operator_is_refused(catalog):
    with pytest.raises(ValueError, match=r"\$in.*\$eq"):
        catalog.search(("shop",), filter={"kind": {"$in": ["fruit"]}})


def test_list_namespaces(store):
    for ns in [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("x", "y"),
    ]:
        store.put(ns, "k", {"v": 1})
    assert store.list_namespaces() == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("x", "y"),
    ]
    assert store.list_namespaces(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(prefix=("a", "*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(prefix=("a",), suffix=("d", "*")) == [
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
    ]
    assert store.list_namespaces(max_depth=1) == [("a",), ("x",)]
    assert store.list_namespaces(max_depth=2, limit=2, offset=1) == [("a", "c"), ("x", "y")]
    assert store.list_namespaces(prefix=("a", "b", "c", "d")) == []
    assert store.list_namespaces(prefix=("a",), limit=2) == [("a", "b", "c"), ("a", "b", "d", "e")]


def test_list_namespaces_matches_labels_not_text(store):
    store.put(("ab",), "k", {})
    store.put(("a", "b"), "k", {})
    store.put(("a-b",), "k", {})
    assert store.list_namespaces(prefix=("a",)) == [("a", "b")]
    assert store.list_namespaces(suffix=("b",)) == [("a", "b")]
    assert store.list_namespaces() == [("a", "b"), ("a-b",), ("ab",)]  # sorted as tuples


def test_ops_through_batch(store):
    store.put(("ns",), "old", {"v": 0})
    results = store.batch(
        [
            PutOp(("ns",), "k", {"v": 1}),
            GetOp(("ns",), "old"),
            ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("ns",)),)),
            PutOp(("ns",), "old", None),
        ]
    )
    assert results[0] is None and results[3] is None
    assert results[1].value == {"v": 0}
    assert results[2] == [("ns",)]
    assert store.get(("ns",), "old") is None
    assert store.get(("ns",), "k").value == {"v": 1}


def test_a_batch_reads_before_it_writes(store):
    """As LangGraph's stores run a batch: every read sees the store as it was before
    the batch, then the writes land, the last for each key winning."""
    store.put(("ns",), "k", {"v": 0})
    results = store.batch(
        [
            PutOp(("ns",), "k", {"v": 1}),
            GetOp(("ns",), "k"),
            PutOp(("ns",), "new", {"v": 1}),
            SearchOp(("ns",)),
            PutOp(("ns",), "k", {"v": 2}),
        ]
    )
    assert results[1].value == {"v": 0}
    assert keys(results[3]) == ["k"]
    assert store.get(("ns",), "k").value == {"v": 2}
    assert sorted(keys(store.search(("ns",)))) == ["k", "new"]


def test_batch_refuses_what_is_not_an_op(store):
    with pytest.raises(ValueError, match="Unknown store operation"):
        store.batch([("ns", "k")])
    with pytest.raises(InvalidNamespaceError):
        store.batch([GetOp(("a.b",), "k")])


def test_async_twins(store):
    async def main() -> list:
        await store.aput(("users", "1"), "prefs", NESTED)
        await store.aput(("users", "2"), "prefs", {"theme": "dark"})
        got = await store.aget(("users", "1"), "prefs")
        found = await store.asearch(("users",), filter={"theme": "dark"})
        listed = await store.alist_namespaces(prefix=("users",))
        await store.adelete(("users", "1"), "prefs")
        gone = await store.aget(("users", "1"), "prefs")
        batched = await store.abatch([GetOp(("users", "2"), "prefs")])
        return [got.value, keys(found), listed, gone, batched[0].value]

    assert asyncio.run(main()) == [
        NESTED,
        ["prefs"],
        [("users", "1"), ("users", "2")],
        None,
        {"theme": "dark"},
    ]


@pytest.mark.parametrize(
    ("namespace", "error"),
    [
        ((), InvalidNamespaceError),
        (("langgraph", "x"), InvalidNamespaceError),
        (("a.b",), InvalidNamespaceError),
        (("",), InvalidNamespaceError),
        (("a", 1), InvalidNamespaceError),
        (("a\x00",), InvalidNamespaceError),
        (["a"], TypeError),
        ("a", TypeError),
    ],
)
def test_bad_namespaces_are_refused(store, namespace, error):
    with pytest.raises(error):
        store.put(namespace, "k", {"v": 1})


def test_bad_namespaces_are_refused_on_reads(store):
    with pytest.raises(InvalidNamespaceError):
        store.get(("a.b",), "k")
    with pytest.raises(InvalidNamespaceError):
        store.search(("",))
    with pytest.raises(InvalidNamespaceError):
        store.list_namespaces(prefix=("a.b",))
    with pytest.raises(TypeError):
        store.search("users")


def test_a_value_must_be_a_dict(store):
    with pytest.raises(TypeError, match="must be a dict"):
        store.put(("ns",), "k", ["not", "a", "dict"])


def test_unknown_keyword_arguments_are_refused(store):
    with pytest.raises(TypeError, match="namespace_prefx"):
        store.search(namespace_prefx=("ns",))
    with pytest.raises(TypeError, match="ttl_minutes"):
        store.put(("ns",), "k", {}, ttl_minutes=5)


def test_an_index_config_is_refused(backend):
    with pytest.raises(NotImplementedError, match="index="):
        backend.open(index={"dims": 3, "embed": lambda texts: [[0.0] * 3 for _ in texts]})


def test_put_accepts_index_hints_without_an_index(store):
    # LangGraph's stores without an index configuration take these and embed nothing.
    store.put(("ns",), "a", {"text": "x"}, index=False)
    store.put(("ns",), "b", {"text": "y"}, index=["text"])
    assert sorted(keys(store.search(("ns",)))) == ["a", "b"]
    with pytest.raises(TypeError, match="index"):
        store.put(("ns",), "c", {"text": "z"}, index="text")
