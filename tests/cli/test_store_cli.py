"""`lockstep store`: long-term memory from a terminal, against the live server."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def root() -> str:
    return f"cli{uuid.uuid4().hex[:10]}"


def test_put_get_search_namespaces_delete(lockstep, root):
    ns = f"{root}.users.42"
    done = lockstep("store", "put", ns, "prefs", '{"theme": "dark", "n": 3}')
    assert (done.code, done.err) == (0, "")
    assert done.out.strip() == f"put {ns} prefs"
    assert (
        lockstep(
            "store", "put", f"{root}.users.7", "prefs", '{"theme": "light", "n": 1}', "--ttl", "30"
        ).code
        == 0
    )

    got = lockstep("store", "get", ns, "prefs")
    assert got.code == 0
    head, value = got.out.strip().splitlines()
    assert head.startswith(f"{ns} prefs  (updated ")
    assert json.loads(value) == {"n": 3, "theme": "dark"}
    item = json.loads(lockstep("store", "get", ns, "prefs", "--json").out)
    assert (item["namespace"], item["key"], item["value"]) == (
        [root, "users", "42"],
        "prefs",
        {"theme": "dark", "n": 3},
    )

    found = lockstep("store", "search", root, "--filter", '{"n": {"$gt": 2}}', "--json")
    assert [(i["namespace"], i["key"]) for i in json.loads(found.out)["items"]] == [
        ([root, "users", "42"], "prefs")
    ]
    table = lockstep("store", "search", f"{root}.users").out.splitlines()
    assert table[0].split() == ["NAMESPACE", "KEY", "UPDATED", "VALUE"]
    assert sorted(line.split()[0] for line in table[1:]) == [f"{root}.users.42", f"{root}.users.7"]

    listed = lockstep("store", "namespaces", "--prefix", root)
    assert listed.out.split() == [f"{root}.users.42", f"{root}.users.7"]
    cut = lockstep("store", "namespaces", "--prefix", f"{root}.*", "--max-depth", "2", "--json")
    assert json.loads(cut.out) == {"namespaces": [[root, "users"]]}

    deleted = lockstep("store", "delete", ns, "prefs")
    assert (deleted.code, deleted.out.strip()) == (0, f"deleted {ns} prefs")
    missing = lockstep("store", "get", ns, "prefs")
    assert missing.code == 5  # NOT_FOUND
    assert missing.err.strip() == f"lockstep: no item {ns} prefs"
    assert (
        lockstep("store", "search", root, "--filter", '{"n": {"$gt": 2}}').out.strip()
        == "(no items)"
    )


def test_bad_input_exits_invalid_argument_and_changes_nothing(lockstep, root):
    assert lockstep("store", "put", root, "k", '{"n": 1}').code == 0
    before = lockstep("store", "search", root, "--json").out
    cases = {
        "not JSON": ("store", "put", root, "k", "{n: 2}"),
        "not an object": ("store", "put", root, "k", "[2]"),
        "an empty label": ("store", "put", f"{root}..x", "k", '{"n": 2}'),
        "the reserved root": ("store", "put", "langgraph.x", "k", '{"n": 2}'),
        "an unknown operator": ("store", "search", root, "--filter", '{"n": {"$in": [1]}}'),
        "a filter that is no object": ("store", "search", root, "--filter", "3"),
        "a negative ttl": ("store", "put", root, "k", '{"n": 2}', "--ttl", "-1"),
        "no such action": ("store", "fetch", root, "k"),
    }
    for what, args in cases.items():
        done = lockstep(*args)
        assert done.code == 3, (what, done)
        assert done.err.strip(), what
    assert lockstep("store", "search", root, "--json").out == before
