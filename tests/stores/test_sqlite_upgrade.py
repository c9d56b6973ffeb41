"""A database file written before the SQLite backend owned its whole schema opens,
migrates in place and gives its threads, runs and checkpoints back.

Such files have schema version 1 (the checkpoint tables), with `threads` and
`runs` tables created outside the migrations, `threads` maybe without `tenant`
(files from before tenants). The SQL below is the DDL that code ran.
"""

from __future__ import annotations

import datetime
import json
import sqlite3

import pytest

from lockstep.checkpoint import serde
from lockstep.checkpoint.base import Blob, Checkpoint, PendingWrite
from lockstep.checkpoint.ids import new_checkpoint_id
from lockstep.store.sqlite import SqliteStore
from lockstep.stores.runs import SUCCESS
from lockstep.stores.sqlite import SqliteBackend
from lockstep.stores.sqlite.migrations import SCHEMA_VERSION
from lockstep.stores.threads import DEFAULT_TENANT, INTERRUPTED

V1_CHECKPOINT_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS checkpoints (
        thread_id     TEXT NOT NULL,
        checkpoint_id TEXT NOT NULL,
        parent_id     TEXT,
        record        BLOB NOT NULL,
        step          INTEGER,
        source        TEXT,
        created_at    TEXT,
        PRIMARY KEY (thread_id, checkpoint_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS blobs (
        thread_id TEXT NOT NULL,
        channel   TEXT NOT NULL,
        version   TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('full', 'delta', 'empty')),
        data      BLOB,
        base      TEXT,
        PRIMARY KEY (thread_id, channel, version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS writes (
        thread_id     TEXT NOT NULL,
        checkpoint_id TEXT NOT NULL,
        task_id       TEXT NOT NULL,
        idx           INTEGER NOT NULL,
        channel       TEXT NOT NULL,
        data          BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_id, idx)
    )
    """,
)
THREADS_BEFORE_TENANTS = (
    "CREATE TABLE IF NOT EXISTS threads (thread_id TEXT PRIMARY KEY, graph_id TEXT, "
    "status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT)"
)
THREADS_WITH_TENANTS = (
    "CREATE TABLE IF NOT EXISTS threads (thread_id TEXT PRIMARY KEY, graph_id TEXT, "
    "status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT, "
    "tenant TEXT NOT NULL DEFAULT 'default')"
)
RUNS = (
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, thread_id TEXT, "
    "graph_id TEXT, status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT, "
    "multitask_strategy INTEGER, error TEXT)",
    "CREATE INDEX IF NOT EXISTS runs_by_thread ON runs (thread_id, created_at)",
    "CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at)",
)
WHEN = "2026-01-01T00:00:00+00:00"


def _old_file(path, threads_ddl: str) -> tuple[str, str]:
    """A file as the earlier code left it: a thread with two checkpoints, a pending
    write on the second, its thread record and a finished run."""
    c0, c1 = new_checkpoint_id(), new_checkpoint_id()
    db = sqlite3.connect(path)
    for sql in V1_CHECKPOINT_TABLES:
        db.execute(sql)
    db.execute("PRAGMA user_version = 1")
    db.execute(threads_ddl)
    for sql in RUNS:
        db.execute(sql)
    for cid, parent, step, blob in (
        (c0, None, -1, ("full", ["a"], None)),
        (c1, c0, 0, ("delta", ["b"], c0)),
    ):
        checkpoint = Checkpoint(cid, WHEN, {"log": cid}, {})
        metadata = {"source": "loop", "step": step, "parents": {}}
        db.execute(
            "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("t1", cid, parent, serde.dumps((checkpoint, metadata)), step, "loop", WHEN),
        )
        kind, value, base = blob
        db.execute(
            "INSERT INTO blobs VALUES (?, ?, ?, ?, ?, ?)",
            ("t1", "log", cid, kind, serde.dumps(value), base),
        )
    db.execute(
        "INSERT INTO writes VALUES (?, ?, ?, ?, ?, ?)",
        ("t1", c1, "task", 0, "log", serde.dumps("c")),
    )
    columns = "thread_id, graph_id, status, created_at, updated_at, metadata"
    db.execute(
        f"INSERT INTO threads ({columns}) VALUES (?, ?, ?, ?, ?, ?)",
        ("t1", "approval", INTERRUPTED, WHEN, WHEN, json.dumps({"k": 1})),
    )
    db.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("r1", "t1", "approval", SUCCESS, WHEN, WHEN, json.dumps({"m": 2}), 0, None),
    )
    db.commit()
    db.close()
    return c0, c1


@pytest.mark.parametrize("threads_ddl", [THREADS_BEFORE_TENANTS, THREADS_WITH_TENANTS])
def test_a_file_from_before_opens_and_reads_back(tmp_path, threads_ddl):
    path = tmp_path / "lockstep.db"
    c0, c1 = _old_file(path, threads_ddl)

    backend = SqliteBackend(path)
    thread = backend.threads.get("t1")
    assert (thread.graph_id, thread.status, thread.metadata) == ("approval", INTERRUPTED, {"k": 1})
    assert thread.tenant == DEFAULT_TENANT
    assert thread.created_at == datetime.datetime.fromisoformat(WHEN)
    run = backend.runs.get("r1")
    assert (run.thread_id, run.status, run.metadata) == ("t1", SUCCESS, {"m": 2})
    assert backend.runs.recover() == []
    head = backend.saver.get_tuple({"configurable": {"thread_id": "t1"}})
    assert head.checkpoint.id == c1
    assert head.blobs["log"] == [Blob("full", ["a"]), Blob("delta", ["b"], c0)]
    assert head.pending_writes == [PendingWrite("task", "log", "c")]
    assert [t.checkpoint.id for t in backend.saver.list({"configurable": {"thread_id": "t1"}})] == [
        c1,
        c0,
    ]

    # It is now a file of this schema: new records are written and read back.
    backend.threads.update("t1", status="idle")
    backend.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    backend = SqliteBackend(path)
    assert backend.threads.get("t1").status == "idle"
    assert backend.threads.list(tenant=DEFAULT_TENANT)[0].thread_id == "t1"
    backend.close()


def test_a_file_from_a_newer_lockstep_is_refused(tmp_path):
    path = tmp_path / "lockstep.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="upgrade lockstep"):
        SqliteBackend(path)


def _file_of_schema_2(path) -> None:
    """A file as the backend of schema version 2 left it: checkpoints and records in
    its migrations, long-term memory not (its store made its own tables on first use)."""
    _old_file(path, THREADS_WITH_TENANTS)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 2")


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_long_term_memory_is_in_the_files_migrations(tmp_path):
    path = tmp_path / "lockstep.db"
    SqliteBackend(path).close()  # a new file, memory never used
    assert {"store_items", "checkpoints", "threads", "runs"} <= _tables(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_schema_2_file_gains_memory_tables_and_keeps_what_it_had(tmp_path):
    path = tmp_path / "lockstep.db"
    _file_of_schema_2(path)
    assert "store_items" not in _tables(path)

    backend = SqliteBackend(path)
    assert "store_items" in _tables(path)
    assert backend.threads.get("t1").graph_id == "approval"
    backend.memory.put(("users", "42"), "prefs", {"theme": "dark"})
    backend.close()
    backend = SqliteBackend(path)
    assert backend.memory.get(("users", "42"), "prefs").value == {"theme": "dark"}
    backend.close()


def test_memory_a_schema_2_backend_wrote_survives_the_migration(tmp_path):
    path = tmp_path / "lockstep.db"
    _file_of_schema_2(path)
    with SqliteStore.from_conn_string(str(path)) as store:  # as the old backend opened it
        store.setup()
        store.put(("users", "42"), "prefs", {"theme": "dark"})

    backend = SqliteBackend(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert backend.memory.get(("users", "42"), "prefs").value == {"theme": "dark"}
    assert [i.key for i in backend.memory.search(("users",))] == ["prefs"]
    backend.close()
