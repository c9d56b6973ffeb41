"""The run-record contract: what every backend's `runs` does."""

from __future__ import annotations

import datetime
from dataclasses import replace

from lockstep.stores.runs import (
    ERROR,
    PENDING,
    RUNNING,
    SERVER_STOPPED,
    SUCCESS,
    RunRecord,
    RunStore,
)


def at(minute: int) -> datetime.datetime:
    return datetime.datetime(2026, 1, 1, 12, minute, tzinfo=datetime.UTC)


def run(run_id: str, thread_id: str = "t", minute: int = 0, **fields) -> RunRecord:
    return RunRecord(run_id, thread_id, "g", created_at=at(minute), updated_at=at(minute), **fields)


def test_it_is_a_run_store(backend):
    assert isinstance(backend.runs, RunStore)


def test_put_then_get(backend):
    runs = backend.runs
    assert runs.get("r1") is None
    record = run("r1", metadata={"k": "v"}, multitask_strategy=2)
    assert runs.put(record) == record
    assert runs.get("r1") == record
    backend.flush()  # written or not, it reads the same
    assert runs.get("r1") == record


def test_put_replaces_a_runs_record_as_it_goes(backend):
    runs = backend.runs
    runs.put(run("r1"))
    runs.put(replace(run("r1"), status=RUNNING), persist=False)
    assert runs.get("r1").status == RUNNING
    error = {"message": "boom", "node": "n", "code": 13, "error_type": "ValueError"}
    runs.put(replace(run("r1"), status=ERROR, updated_at=at(5), error=error))
    backend.flush()
    assert runs.get("r1").error == error
    assert runs.get("r1").updated_at == at(5)
    assert [r.run_id for r in runs.list()] == ["r1"]


def test_list_newest_first_with_filters(backend):
    runs = backend.runs
    runs.put(run("r0", "t1", 0, status=SUCCESS))
    runs.put(run("r1", "t2", 1, status=SUCCESS))
    backend.flush()
    runs.put(run("r2", "t1", 2))  # perhaps not written yet: listed all the same
    assert [r.run_id for r in runs.list()] == ["r2", "r1", "r0"]
    assert [r.run_id for r in runs.list("t1")] == ["r2", "r0"]
    assert [r.run_id for r in runs.list(status=SUCCESS)] == ["r1", "r0"]
    assert [r.run_id for r in runs.list("t1", PENDING)] == ["r2"]
    assert runs.list("nope") == []


def test_delete_a_run_and_a_threads_runs(backend):
    runs = backend.runs
    for i, thread in enumerate(("t1", "t2", "t1")):
        runs.put(run(f"r{i}", thread, i, status=SUCCESS))
    runs.delete("r1")
    assert runs.get("r1") is None
    runs.delete("never-was")
    runs.delete_thread("t1")
    assert runs.list() == []
    runs.put(run("r3", "t2", 3))
    runs.delete_thread("t1")
    assert [r.run_id for r in runs.list()] == ["r3"]


def test_recover_ends_runs_left_active(backend):
    runs = backend.runs
    runs.put(run("r0", "t1", 0, status=SUCCESS))
    runs.put(run("r1", "t1", 1, status=PENDING))
    runs.put(run("r2", "t2", 2, status=RUNNING))
    runs.put(run("r3", "t1", 3, status=RUNNING))
    assert runs.recover() == ["t1", "t2"]
    for run_id in ("r1", "r2", "r3"):
        assert runs.get(run_id).status == ERROR
        assert runs.get(run_id).error == SERVER_STOPPED
    assert runs.get("r0").status == SUCCESS and runs.get("r0").error is None
    assert runs.recover() == []


def test_records_outlive_a_restart_that_recovers_the_active_ones(durable):
    runs = durable.backend.runs
    runs.put(run("r0", "t1", 0, status=SUCCESS))
    runs.put(run("r1", "t2", 1))
    runs.put(replace(run("r1", "t2", 1), status=RUNNING), persist=False)
    runs = durable.reopen().runs
    assert runs.get("r0").status == SUCCESS
    assert runs.get("r1").status == PENDING  # the passing state was not written
    assert runs.recover() == ["t2"]
    runs = durable.reopen().runs
    assert runs.get("r1").status == ERROR and runs.get("r1").error == SERVER_STOPPED
    assert [r.run_id for r in runs.list()] == ["r1", "r0"]
