"""The thread-record contract: what every backend's `threads` does."""

from __future__ import annotations

import datetime

import pytest

from lockstep.stores.threads import (
    BUSY,
    DEFAULT_TENANT,
    IDLE,
    INTERRUPTED,
    ThreadRecord,
    ThreadStore,
)


def at(minute: int) -> datetime.datetime:
    return datetime.datetime(2026, 1, 1, 12, minute, tzinfo=datetime.UTC)


def test_it_is_a_thread_store(backend):
    assert isinstance(backend.threads, ThreadStore)


def test_put_then_get(backend):
    threads = backend.threads
    assert threads.get("t1") is None
    record = ThreadRecord("t1", "approval", metadata={"k": [1, 2]}, tenant="alice")
    assert threads.put(record) == record
    assert threads.get("t1") == record
    assert threads.get("t1").tenant == "alice"
    assert ThreadRecord("t2").tenant == DEFAULT_TENANT


def test_put_replaces(backend):
    threads = backend.threads
    threads.put(ThreadRecord("t1", "a"))
    threads.put(ThreadRecord("t1", "b", status=INTERRUPTED))
    assert (threads.get("t1").graph_id, threads.get("t1").status) == ("b", INTERRUPTED)
    assert [r.thread_id for r in threads.list()] == ["t1"]


def test_update_changes_the_fields_given_and_the_time(backend):
    threads = backend.threads
    first = threads.put(ThreadRecord("t1", "a", created_at=at(0), updated_at=at(0)))
    changed = threads.update("t1", status=BUSY, persist=False)
    assert changed.status == BUSY and changed.graph_id == "a"
    assert changed.created_at == first.created_at and changed.updated_at > first.updated_at
    assert threads.get("t1") == changed
    assert threads.update("missing", status=BUSY) is None
    with pytest.raises(TypeError):
        threads.update("t1", no_such_field=1)


def test_delete(backend):
    threads = backend.threads
    threads.put(ThreadRecord("t1"))
    assert threads.delete("t1") is True
    assert threads.get("t1") is None
    assert threads.list() == []
    assert threads.delete("t1") is False


def test_list_newest_first_then_by_id_with_filters(backend):
    threads = backend.threads
    threads.put(ThreadRecord("b", "g1", created_at=at(1), tenant="alice"))
    threads.put(ThreadRecord("a", "g1", created_at=at(1), status=INTERRUPTED))
    threads.put(ThreadRecord("c", "g2", created_at=at(2)))
    threads.put(ThreadRecord("d", "g2", created_at=at(0), tenant="alice"))
    assert [r.thread_id for r in threads.list()] == ["c", "a", "b", "d"]
    assert [r.thread_id for r in threads.list(graph_id="g1")] == ["a", "b"]
    assert [r.thread_id for r in threads.list(status=INTERRUPTED)] == ["a"]
    assert [r.thread_id for r in threads.list(status=IDLE, graph_id="g2")] == ["c", "d"]
    assert [r.thread_id for r in threads.list(tenant="alice")] == ["b", "d"]
    assert [r.thread_id for r in threads.list(tenant=DEFAULT_TENANT)] == ["c", "a"]
    assert threads.list(graph_id="nope") == []


def test_records_outlive_a_restart_but_passing_states_do_not(durable):
    threads = durable.backend.threads
    threads.put(ThreadRecord("t1", "a", metadata={"k": 1}, tenant="alice"))
    threads.put(ThreadRecord("t2", "a"))
    threads.update("t1", status=INTERRUPTED)
    threads.update("t1", status=BUSY, persist=False)  # a run's passing state
    threads.delete("t2")
    saved = threads.get("t1")
    threads = durable.reopen().threads
    again = threads.get("t1")
    # A store other servers share writes passing states too: they read them.
    assert again.status == (BUSY if durable.kind.shared else INTERRUPTED)
    assert (again.graph_id, again.metadata, again.tenant) == ("a", {"k": 1}, "alice")
    assert again.created_at == saved.created_at
    assert threads.get("t2") is None
    assert [r.thread_id for r in threads.list()] == ["t1"]
