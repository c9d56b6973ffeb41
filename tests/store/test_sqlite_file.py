"""The server's SQLite file: checkpoints, thread records and run records share one
connection, and a record write waits a bounded time for another process's lock."""

from __future__ import annotations

import sqlite3
import time

import pytest

from lockstep.store import sqlite_db
from lockstep.store.open import open_store
from lockstep.store.runs import RunRecord
from lockstep.store.threads import ThreadRecord


def test_records_and_checkpoints_share_one_connection(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'one.db'}")
    conn, lock = store.saver.shared_connection()
    assert store.threads._db is conn and store.runs._db is conn
    assert store.threads._db_lock is lock and store.runs._db_lock is lock
    store.threads.put(ThreadRecord("t1", "g"))
    store.runs.put(RunRecord("r1", "t1", "g", "running"))
    reopened = open_store(f"sqlite:///{tmp_path / 'one.db'}")
    assert reopened.threads.get("t1").graph_id == "g"
    assert reopened.runs.get("r1").status == "running"


def test_a_record_write_waits_a_bounded_time_for_another_process(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_db, "RECORD_WAIT_MS", 200)
    path = tmp_path / "locked.db"
    store = open_store(f"sqlite:///{path}")
    conn, _ = store.saver.shared_connection()
    (saver_wait,) = conn.execute("PRAGMA busy_timeout").fetchone()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        began = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store.threads.put(ThreadRecord("t2", "g"))
        assert 0.15 < time.monotonic() - began < 5
    finally:
        other.execute("ROLLBACK")
    # The saver's own, longer wait is back, and the file is writable again.
    assert conn.execute("PRAGMA busy_timeout").fetchone() == (saver_wait,)
    store.threads.put(ThreadRecord("t2", "g"))
