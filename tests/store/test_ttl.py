"""Time-to-live on every backend: expiry, refresh on read, the store's defaults,
sweeping. Time is moved by the `clock` fixture, never slept."""

from __future__ import annotations

import threading

from lockstep.store.sweeper import Sweeper


def test_an_item_expires_after_its_ttl(store, clock):
    store.put(("ns",), "short", {"v": 1}, ttl=1)  # minutes
    store.put(("ns",), "forever", {"v": 2})
    clock.advance(seconds=59)
    assert store.get(("ns",), "short", refresh_ttl=False).value == {"v": 1}
    clock.advance(seconds=2)
    assert store.get(("ns",), "short") is None
    assert [i.key for i in store.search(("ns",))] == ["forever"]
    store.delete(("ns",), "forever")
    assert store.list_namespaces() == []


def test_an_expired_item_is_gone_from_search_and_listing(store, clock):
    store.put(("tmp", "a"), "k", {"v": 1}, ttl=0.5)
    store.put(("keep",), "k", {"v": 1})
    clock.advance(seconds=31)
    assert store.search(("tmp",)) == []
    assert store.list_namespaces() == [("keep",)]


def test_reads_refresh_the_timer(store, clock):
    store.put(("ns",), "k", {"v": 1}, ttl=1)
    for _ in range(3):
        clock.advance(seconds=50)
        assert store.get(("ns",), "k") is not None  # each get restarts the minute
    clock.advance(seconds=50)
    assert [i.key for i in store.search(("ns",))] == ["k"]  # so does search
    clock.advance(seconds=50)
    assert store.get(("ns",), "k") is not None
    clock.advance(seconds=61)
    assert store.get(("ns",), "k") is None


def test_refresh_ttl_false_leaves_the_timer(store, clock):
    store.put(("ns",), "k", {"v": 1}, ttl=1)
    clock.advance(seconds=50)
    assert store.get(("ns",), "k", refresh_ttl=False) is not None
    assert store.search(("ns",), refresh_ttl=False) != []
    clock.advance(seconds=11)
    assert store.get(("ns",), "k") is None


def test_a_put_restarts_and_can_clear_the_timer(store, clock):
    store.put(("ns",), "k", {"v": 1}, ttl=1)
    clock.advance(seconds=50)
    store.put(("ns",), "k", {"v": 2}, ttl=1)
    clock.advance(seconds=50)
    assert store.get(("ns",), "k", refresh_ttl=False).value == {"v": 2}
    store.put(("ns",), "k", {"v": 3}, ttl=None)
    clock.advance(days=365)
    assert store.get(("ns",), "k").value == {"v": 3}


def test_a_write_after_expiry_is_a_new_item(store, clock):
    store.put(("ns",), "k", {"v": 1}, ttl=1)
    clock.advance(minutes=2)
    store.put(("ns",), "k", {"v": 2})
    item = store.get(("ns",), "k")
    assert item.value == {"v": 2} and item.created_at == clock.at


def test_the_store_default_ttl(backend, clock):
    store = backend.open(ttl={"default_ttl": 2})
    store.put(("ns",), "default", {"v": 1})
    store.put(("ns",), "never", {"v": 1}, ttl=None)
    store.put(("ns",), "own", {"v": 1}, ttl=10)
    clock.advance(minutes=3)
    assert sorted(i.key for i in store.search(("ns",))) == ["never", "own"]


def test_refresh_on_read_false_in_the_config(backend, clock):
    store = backend.open(ttl={"refresh_on_read": False})
    store.put(("ns",), "k", {"v": 1}, ttl=1)
    clock.advance(seconds=50)
    assert store.get(("ns",), "k") is not None  # read, but the timer goes on
    clock.advance(seconds=11)
    assert store.get(("ns",), "k") is None
    store.put(("ns",), "j", {"v": 1}, ttl=1)
    clock.advance(seconds=50)
    assert store.get(("ns",), "j", refresh_ttl=True) is not None  # asked for explicitly
    clock.advance(seconds=50)
    assert store.get(("ns",), "j") is not None


def test_sweep_ttl_deletes_what_expired(store, clock):
    store.put(("ns",), "a", {"v": 1}, ttl=1)
    store.put(("ns",), "b", {"v": 1}, ttl=5)
    store.put(("ns",), "c", {"v": 1})
    clock.advance(minutes=2)
    assert store.sweep_ttl() == 1
    assert store.sweep_ttl() == 0
    assert sorted(i.key for i in store.search(("ns",))) == ["b", "c"]


def test_the_sweeper_runs_until_stopped():
    swept = threading.Event()
    calls = []

    def sweep() -> int:
        calls.append(1)
        swept.set()
        return 1

    sweeper = Sweeper(sweep)
    done = sweeper.start(0.0005)  # minutes: every 30 ms
    assert sweeper.start(0.0005) is done  # a second start keeps the running sweeper
    assert swept.wait(5)
    assert sweeper.stop(timeout=5)
    assert done.result(timeout=5) is None
    count = len(calls)
    assert sweeper.stop() and len(calls) == count


def test_stores_start_and_stop_a_sweeper(store, clock):
    done = store.start_ttl_sweeper(sweep_interval_minutes=0.0005)
    assert store.stop_ttl_sweeper(timeout=5)
    assert done.done()
