"""The PostgreSQL backend's schema: one ordered list of steps for every table it
keeps: checkpoints, the server's thread and run records, long-term memory.

`lockstep_schema` holds how many steps a database has had; opening it applies
the rest in one transaction, under an advisory lock, so servers starting at once
on one database migrate it once, one after the other. Append a step, never edit
one: databases in the field were made by the steps as they are.

Ids, versions and namespaces are `COLLATE "C"`: their order is byte order
(checkpoint ids sort by time only so; a namespace's descendants are a range).
"""

from __future__ import annotations

from typing import Any

from lockstep.stores.base import StoreError

# pg_advisory_xact_lock's key: "lockstep" in ASCII.
LOCK_KEY = 0x6C6F636B73746570

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE IF NOT EXISTS checkpoints (
            thread_id     TEXT COLLATE "C" NOT NULL,
            checkpoint_id TEXT COLLATE "C" NOT NULL,
            parent_id     TEXT COLLATE "C",
            record        BYTEA NOT NULL,
            versions      JSONB NOT NULL,
            step          INTEGER,
            source        TEXT,
            created_at    TEXT,
            PRIMARY KEY (thread_id, checkpoint_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS blobs (
            thread_id TEXT COLLATE "C" NOT NULL,
            channel   TEXT COLLATE "C" NOT NULL,
            version   TEXT COLLATE "C" NOT NULL,
            kind      TEXT NOT NULL CHECK (kind IN ('full', 'delta', 'empty')),
            data      BYTEA,
            base      TEXT COLLATE "C",
            PRIMARY KEY (thread_id, channel, version)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS writes (
            thread_id     TEXT COLLATE "C" NOT NULL,
            checkpoint_id TEXT COLLATE "C" NOT NULL,
            task_id       TEXT NOT NULL,
            idx           INTEGER NOT NULL,
            channel       TEXT NOT NULL,
            data          BYTEA NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_id, idx)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS threads (
            thread_id  TEXT COLLATE "C" PRIMARY KEY,
            graph_id   TEXT NOT NULL,
            status     TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            metadata   TEXT NOT NULL,
            tenant     TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS threads_by_time ON threads (created_at DESC, thread_id)",
        """
        CREATE TABLE IF NOT EXISTS runs (
            run_id             TEXT COLLATE "C" PRIMARY KEY,
            thread_id          TEXT COLLATE "C" NOT NULL,
            graph_id           TEXT NOT NULL,
            status             TEXT NOT NULL,
            created_at         TIMESTAMPTZ NOT NULL,
            updated_at         TIMESTAMPTZ NOT NULL,
            metadata           TEXT NOT NULL,
            multitask_strategy INTEGER NOT NULL,
            error              TEXT,
            seq                BIGSERIAL
        )
        """,
        "CREATE INDEX IF NOT EXISTS runs_by_thread ON runs (thread_id, created_at)",
        "CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at)",
        "CREATE INDEX IF NOT EXISTS runs_active ON runs (status) WHERE status IN ('pending', 'running')",
        """
        CREATE TABLE IF NOT EXISTS store_items (
            prefix      TEXT COLLATE "C" NOT NULL,  -- the namespace, labels joined by '.'
            key         TEXT NOT NULL,
            value       TEXT NOT NULL,              -- JSON
            created_at  BIGINT NOT NULL,            -- microseconds since the epoch, UTC
            updated_at  BIGINT NOT NULL,
            seq         BIGINT NOT NULL,            -- write order, to order equal updated_at
            ttl_minutes DOUBLE PRECISION,
            expires_at  BIGINT,
            PRIMARY KEY (prefix, key)
        )
        """,
        "CREATE SEQUENCE IF NOT EXISTS store_items_seq",
        "CREATE INDEX IF NOT EXISTS store_items_updated ON store_items (updated_at DESC, seq DESC)",
        "CREATE INDEX IF NOT EXISTS store_items_expires ON store_items (expires_at)"
        " WHERE expires_at IS NOT NULL",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Any) -> None:
    """Bring the database to SCHEMA_VERSION, in one transaction, one server at a time
    (`conn`: a psycopg connection)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS lockstep_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM lockstep_schema").fetchone()
        version = 0 if row is None else row[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"this PostgreSQL database has lockstep schema version {version}; this "
                f"lockstep knows up to {SCHEMA_VERSION}: upgrade lockstep to open it"
            )
        for step in MIGRATIONS[version:]:
            for sql in step:
                conn.execute(sql)
        if row is None:
            conn.execute("INSERT INTO lockstep_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif version != SCHEMA_VERSION:
            conn.execute("UPDATE lockstep_schema SET version = %s", (SCHEMA_VERSION,))
