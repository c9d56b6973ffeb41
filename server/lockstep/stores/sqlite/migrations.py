"""The SQLite backend's schema: one ordered list of steps for every table its
file keeps: checkpoints, the server's thread and run records, and long-term
memory (`lockstep.store.SqliteStore`'s tables) alike.

`PRAGMA user_version` says how many steps a file has had; opening it applies the
rest, in one transaction. Append a step, never edit one: files in the field
were made by the steps as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from lockstep.store import sqlite as memory_store
from lockstep.stores.threads import DEFAULT_TENANT

Step = tuple[str, ...] | Callable[[sqlite3.Connection], None]


def _records(conn: sqlite3.Connection) -> None:
    """Thread and run records. Files written before this step may already have
    them (the record stores once created their own tables), a `threads` table
    maybe without `tenant` (a file from before tenants: its threads are the
    default tenant's)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS threads (thread_id TEXT PRIMARY KEY, graph_id TEXT, "
        "status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT, "
        f"tenant TEXT NOT NULL DEFAULT '{DEFAULT_TENANT}')"
    )
    columns = {row[1] for row in conn.execute("PRAGMA table_info(threads)")}
    if "tenant" not in columns:
        conn.execute(
            f"ALTER TABLE threads ADD COLUMN tenant TEXT NOT NULL DEFAULT '{DEFAULT_TENANT}'"
        )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, thread_id TEXT, "
        "graph_id TEXT, status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT, "
        "multitask_strategy INTEGER, error TEXT)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS runs_by_thread ON runs (thread_id, created_at)")
    conn.execute("CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at)")


def _memory(conn: sqlite3.Connection) -> None:
    """Long-term memory (`SqliteStore`'s tables). Files written before this step may
    have them already (the backend once let the store create its own on first use):
    the store's own record of its steps (`store_migrations`) says which are done."""
    memory_store.migrate(conn)


# Step i brings a file from schema version i to i + 1.
MIGRATIONS: tuple[Step, ...] = (
    (
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
    ),
    _records,
    _memory,
    (
        # Several servers on one file (see `coordination`): which run holds a
        # thread and until when, the runs waiting for one, their events, and
        # cancel requests for the server that runs them.
        """
        CREATE TABLE IF NOT EXISTS claims (
            thread_id TEXT PRIMARY KEY,
            run_id    TEXT NOT NULL,
            owner     TEXT NOT NULL,
            expires   REAL NOT NULL,
            request   BLOB
        )
        """,
        "CREATE INDEX IF NOT EXISTS claims_by_owner ON claims (owner)",
        """
        CREATE TABLE IF NOT EXISTS run_queue (
            seq       INTEGER PRIMARY KEY AUTOINCREMENT,
            thread_id TEXT NOT NULL,
            run_id    TEXT NOT NULL UNIQUE,
            owner     TEXT NOT NULL,
            expires   REAL NOT NULL,
            request   BLOB
        )
        """,
        "CREATE INDEX IF NOT EXISTS run_queue_by_thread ON run_queue (thread_id, seq)",
        """
        CREATE TABLE IF NOT EXISTS run_events (
            run_id TEXT NOT NULL,
            seq    INTEGER NOT NULL,
            event  TEXT NOT NULL,
            at     REAL NOT NULL,
            PRIMARY KEY (run_id, seq)
        )
        """,
        "CREATE INDEX IF NOT EXISTS run_events_by_time ON run_events (at)",
        """
        CREATE TABLE IF NOT EXISTS run_cancels (
            run_id TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            by_run TEXT NOT NULL DEFAULT ''
        )
        """,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION (the caller holds a write transaction)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"this SQLite file has schema version {version}; this lockstep "
            f"knows up to {SCHEMA_VERSION}: upgrade lockstep to open it"
        )
    for step in MIGRATIONS[version:]:
        if callable(step):
            step(conn)
        else:
            for sql in step:
                conn.execute(sql)
    if version != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
