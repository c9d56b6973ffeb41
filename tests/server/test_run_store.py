"""The SQLite run store answers from memory for records still on their way to disk."""

from __future__ import annotations

import datetime

from lockstep.stores import open_store
from lockstep.stores.runs import RunRecord


def test_a_record_still_queued_for_the_table_is_listed_and_found(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lockstep.db'}")
    older = RunRecord(
        "r0", "t", "g", status="success", created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    store.runs.put(older)
    store.flush()
    newer = RunRecord("r1", "t", "g", status="running")
    with store.saver._lock:  # the store cannot commit meanwhile: r1 is only queued
        store.runs.put(newer)
        assert [r.run_id for r in store.runs.list("t")] == ["r1", "r0"]
        assert [r.run_id for r in store.runs.list("t", status="running")] == ["r1"]
        assert store.runs.list("other") == []
        assert store.runs.get("r1") == newer
    store.flush()
    assert [r.run_id for r in store.runs.list("t")] == ["r1", "r0"]
    store.close()
