"""What only the SQLite store does: persist in a file, share it between threads,
connections and processes' worth of writers, set itself up."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from lockstep.store.sqlite import SqliteStore


def test_items_persist_across_connections(tmp_path):
    path = str(tmp_path / "memories.db")
    with SqliteStore.from_conn_string(path) as store:
        store.setup()
        store.put(("users", "42"), "prefs", {"theme": "dark", "langs": ["fr", "en"]})
    with SqliteStore.from_conn_string(path) as store:
        assert store.get(("users", "42"), "prefs").value == {"theme": "dark", "langs": ["fr", "en"]}
        assert store.list_namespaces() == [("users", "42")]


def test_setup_is_idempotent_and_runs_itself(tmp_path):
    conn = sqlite3.connect(str(tmp_path / "s.db"), check_same_thread=False)
    store = SqliteStore(conn)
    store.put(("ns",), "k", {"v": 1})  # no setup() called: the first operation does it
    store.setup()
    SqliteStore(conn).setup()
    versions = [row[0] for row in conn.execute("SELECT v FROM store_migrations ORDER BY v")]
    assert versions == [0, 1, 2]
    assert SqliteStore(conn).get(("ns",), "k").value == {"v": 1}


def test_a_caller_connection_in_pythons_default_transaction_mode(tmp_path):
    conn = sqlite3.connect(str(tmp_path / "s.db"))  # isolation_level "" (implicit BEGIN)
    store = SqliteStore(conn)
    store.put(("ns",), "k", {"v": 1})
    assert not conn.in_transaction  # each batch is committed
    other = sqlite3.connect(str(tmp_path / "s.db"))
    assert other.execute("SELECT COUNT(*) FROM store_items").fetchone() == (1,)


def test_it_shares_a_file_with_other_tables(tmp_path):
    conn = sqlite3.connect(str(tmp_path / "s.db"), isolation_level=None)
    conn.execute("CREATE TABLE store (prefix TEXT, other TEXT)")  # e.g. another library's
    store = SqliteStore(conn)
    store.put(("ns",), "k", {"v": 1})
    assert store.get(("ns",), "k").value == {"v": 1}


def test_a_custom_deserializer(tmp_path):
    seen = []

    def load(text):
        seen.append(text)
        return {**json.loads(text), "loaded": True}

    conn = sqlite3.connect(":memory:")
    store = SqliteStore(conn, deserializer=load)
    store.put(("ns",), "k", {"v": 1})
    assert store.get(("ns",), "k").value == {"v": 1, "loaded": True}
    assert seen == ['{"v": 1}']


def test_values_that_are_not_json_are_refused():
    store = SqliteStore(sqlite3.connect(":memory:"))
    with pytest.raises(TypeError, match="JSON serializable"):
        store.put(("ns",), "k", {"when": object()})
    assert store.get(("ns",), "k") is None  # nothing half-written


def test_a_path_instead_of_a_connection_is_refused_with_the_way():
    with pytest.raises(TypeError, match="from_conn_string"):
        SqliteStore("memories.db")


def test_concurrent_writers_through_one_store(tmp_path):
    with SqliteStore.from_conn_string(str(tmp_path / "s.db")) as store:
        store.setup()
        errors: list[BaseException] = []

        def write(worker: int) -> None:
            try:
                for n in range(50):
                    store.put(("w", str(worker)), f"k{n}", {"worker": worker, "n": n})
                    store.search(("w",), filter={"worker": worker}, limit=1)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(store.search(("w",), limit=1000)) == 400


def test_concurrent_writers_on_separate_connections(tmp_path):
    """Two processes' worth of stores on one file: every write lands, none is lost
    to "database is locked"."""
    path = str(tmp_path / "s.db")
    with SqliteStore.from_conn_string(path) as first:
        first.setup()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(worker: int) -> None:
        try:
            with SqliteStore.from_conn_string(path) as store:
                start.wait()
                for n in range(40):
                    store.put(("counter",), f"{worker}-{n}", {"n": n})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with SqliteStore.from_conn_string(path) as store:
        assert len(store.search(("counter",), limit=1000)) == 160


def test_async_calls_run_off_the_event_loop(tmp_path):
    with SqliteStore.from_conn_string(str(tmp_path / "s.db")) as store:

        async def main() -> list[str]:
            await asyncio.gather(*(store.aput(("ns",), f"k{n}", {"n": n}) for n in range(20)))
            return [i.key for i in await store.asearch(("ns",), limit=100)]

        assert sorted(asyncio.run(main())) == sorted(f"k{n}" for n in range(20))
