"""Checkpoints in PostgreSQL: `PostgresSaver`, the backend's saver and an
in-process one (`lockstep.checkpoint.PostgresSaver`), used as LangGraph's is:

    with PostgresSaver.from_conn_string("postgresql://...") as saver:
        saver.setup()
        graph = builder.compile(checkpointer=saver)

The tables are SQLite's (see `lockstep.stores.sqlite.saver`): one row per
checkpoint (its pickled record, and its channel versions as JSONB so the
database can walk the blob chains itself), one per (thread, channel, version)
blob, one per pending write. Reading a checkpoint is one query: the row, its
chains and its writes together. A whole history reads the thread's blobs once.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from lockstep.checkpoint import serde
from lockstep.checkpoint.base import (
    Blob,
    Checkpoint,
    CheckpointTuple,
    Config,
    PendingWrite,
    checkpoint_config,
    checkpoint_id_of,
    thread_id_of,
)
from lockstep.checkpoint.namespaced import is_nested_key, nested_keys
from lockstep.stores.postgres.database import Database
from lockstep.stores.postgres.migrations import SCHEMA_VERSION
from lockstep.stores.queued_saver import (
    QueuedSaver,
    Row,
    StoredBlob,
    blob_rows,
    from_thread,
    make_tuple,
)

__all__ = ["SCHEMA_VERSION", "AsyncPostgresSaver", "PostgresSaver"]

# One checkpoint (the latest, or the one named) with its blob chains (each
# channel's from its version back to the last full or empty blob) and its
# pending writes, in one result: part 0 the row, 1 the chains, 2 the writes.
_ONE = """
WITH RECURSIVE cp AS (
    SELECT checkpoint_id, parent_id, record, versions FROM checkpoints
    WHERE thread_id = %(thread)s {where}
    ORDER BY checkpoint_id DESC LIMIT 1
), chain(channel, kind, data, base, depth) AS (
    SELECT b.channel, b.kind, b.data, b.base, 0
    FROM cp CROSS JOIN LATERAL jsonb_each_text(cp.versions) AS h(channel, version)
    JOIN blobs AS b
      ON b.thread_id = %(thread)s AND b.channel = h.channel AND b.version = h.version
    UNION ALL
    SELECT b.channel, b.kind, b.data, b.base, c.depth + 1
    FROM chain AS c
    JOIN blobs AS b ON b.thread_id = %(thread)s AND b.channel = c.channel AND b.version = c.base
    WHERE c.kind = 'delta'
)
SELECT * FROM (
    SELECT 0 AS part, checkpoint_id AS a, parent_id AS b, NULL AS c, record AS data, 0 AS n
    FROM cp
    UNION ALL
    SELECT 1, channel, kind, base, data, -depth FROM chain
    UNION ALL
    SELECT 2, w.task_id, w.channel, NULL, w.data, w.idx
    FROM writes AS w JOIN cp ON w.thread_id = %(thread)s AND w.checkpoint_id = cp.checkpoint_id
) AS parts
ORDER BY part, CASE WHEN part = 1 THEN a END, n
"""
_LATEST = _ONE.format(where="")
_BY_ID = _ONE.format(where="AND checkpoint_id = %(checkpoint)s")

# Above this many checkpoints, `list` reads the thread's blobs at once instead of
# each checkpoint's chains (they overlap), unless it reads a page of at most
# _PAGE_WALK_UP_TO (as GetStateHistory does): a page's cost would grow with the
# thread's history. Below it, the checkpoints are read as `get_tuple` reads one,
# their queries sent together.
_PRELOAD_AT = 8
_PAGE_WALK_UP_TO = 100


class PostgresSaver(QueuedSaver):
    """Checkpoints in a PostgreSQL database; safe to share across threads.

    `PostgresSaver(url)` connects, creates or migrates the schema, and opens a
    pool; `PostgresSaver(conn)` uses a psycopg connection you opened (and close).
    `PostgresSaver.from_conn_string(url)` works both directly and in `with`, which
    closes it. `setup()` is there for LangGraph's users: opening migrates already.
    """

    def __init__(self, url_or_conn: Any, *, password: str | None = None) -> None:
        if isinstance(url_or_conn, Database):
            self._db, self._owns_db = url_or_conn, False  # a backend's: it closes it
        else:
            self._db, self._owns_db = Database(url_or_conn, password=password), True
        self._write = self._db.write

    @classmethod
    def from_conn_string(cls, conn_string: str) -> PostgresSaver:
        """A saver on `conn_string` (a postgresql:// URL); usable with `with`, which closes it."""
        return cls(conn_string)

    def setup(self) -> None:
        """Create or migrate the tables: done when the saver opened; safe to call again."""

    def get_tuple(self, config: Config) -> CheckpointTuple | None:
        thread_id = thread_id_of(config)
        cid = checkpoint_id_of(config)
        with self._db.reading() as conn:
            return _one(thread_id, _fetch_one(conn, thread_id, cid).fetchall())

    def list(
        self, config: Config, *, before: Config | None = None, limit: int | None = None
    ) -> Iterator[CheckpointTuple]:
        thread_id = thread_id_of(config)
        sql = "SELECT checkpoint_id, parent_id, record FROM checkpoints WHERE thread_id = %s"
        args: list[Any] = [thread_id]
        before_id = checkpoint_id_of(before)
        if before_id:
            sql += " AND checkpoint_id < %s"
            args.append(before_id)
        sql += " ORDER BY checkpoint_id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            args.append(max(limit, 0))
        with self._db.reading() as conn, _snapshot(conn):
            rows: list[Row] = conn.execute(sql, args).fetchall()
            if len(rows) < _PRELOAD_AT or (limit is not None and limit <= _PAGE_WALK_UP_TO):
                with conn.pipeline():
                    cursors = [_fetch_one(conn, thread_id, row[0]) for row in rows]
                items = [_one(thread_id, cursor.fetchall()) for cursor in cursors]
                preloaded = None
            else:
                items = None
                with conn.pipeline():
                    blobs = conn.execute(
                        "SELECT channel, version, kind, data, base FROM blobs WHERE thread_id = %s",
                        (thread_id,),
                    )
                    writes = conn.execute(
                        "SELECT checkpoint_id, task_id, channel, data FROM writes"
                        " WHERE thread_id = %s AND checkpoint_id >= %s"
                        " ORDER BY checkpoint_id, idx",
                        (thread_id, rows[-1][0]),
                    )
                stored: dict[tuple[str, str], StoredBlob] = {
                    (channel, version): (kind, data, base)
                    for channel, version, kind, data, base in blobs.fetchall()
                }
                pending: dict[str, list[tuple[str, str, bytes]]] = {}
                for cid, task_id, channel, data in writes.fetchall():
                    pending.setdefault(cid, []).append((task_id, channel, data))
                preloaded = (stored, pending)
        if items is not None:
            yield from (item for item in items if item is not None)
            return
        assert preloaded is not None
        yield from from_thread(thread_id, rows, *preloaded)

    def put(
        self,
        config: Config,
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        thread_id = thread_id_of(config)
        parent = checkpoint_id_of(config)
        rows = blob_rows(thread_id, checkpoint, blobs)
        row = (
            thread_id,
            checkpoint.id,
            parent,
            serde.dumps((checkpoint, metadata)),
            json.dumps(checkpoint.channel_versions),
            metadata.get("step"),
            metadata.get("source"),
            checkpoint.ts,
        )

        def op(conn: Any) -> None:
            # A version can be written again (a provisional blob landing on a
            # version it kept): the newer blob wins, as in MemorySaver.
            if rows:
                conn.cursor().executemany(
                    "INSERT INTO blobs (thread_id, channel, version, kind, data, base)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (thread_id, channel, version)"
                    " DO UPDATE SET kind = excluded.kind, data = excluded.data, base = excluded.base",
                    rows,
                )
            conn.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_id, parent_id, record, versions,"
                " step, source, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (thread_id, checkpoint_id) DO UPDATE SET parent_id ="
                " excluded.parent_id, record = excluded.record, versions = excluded.versions,"
                " step = excluded.step, source = excluded.source, created_at = excluded.created_at",
                row,
            )

        self._write(op)
        return checkpoint_config(thread_id, checkpoint.id)

    def put_writes(self, config: Config, writes: Sequence[PendingWrite]) -> None:
        thread_id = thread_id_of(config)
        cid = checkpoint_id_of(config)
        if cid is None:
            raise ValueError("put_writes needs a config naming a checkpoint_id")
        rows = [
            (thread_id, cid, w.task_id, thread_id, cid, w.channel, serde.dumps(w.value))
            for w in writes
        ]
        if not rows:
            return

        def op(conn: Any) -> None:
            # Each row takes the next index on its checkpoint as it is inserted.
            conn.cursor().executemany(
                "INSERT INTO writes (thread_id, checkpoint_id, task_id, idx, channel, data)"
                " VALUES (%s, %s, %s, (SELECT COALESCE(MAX(idx) + 1, 0) FROM writes"
                " WHERE thread_id = %s AND checkpoint_id = %s), %s, %s)",
                rows,
            )

        self._write(op)

    def delete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        low, high = nested_keys(thread_id)  # its subgraphs' checkpoints go with it

        def op(conn: Any) -> None:
            for table in ("checkpoints", "blobs", "writes"):
                conn.execute(
                    f"DELETE FROM {table} WHERE thread_id = %s"
                    " OR (thread_id >= %s AND thread_id < %s)",
                    (thread_id, low, high),
                )

        self._write(op)  # inside a batch(), part of its transaction

    def rewind(self, thread_id: str, since: str, keep_writes: int = 0) -> None:
        thread_id = str(thread_id)

        def op(conn: Any) -> None:
            # The run's head (the latest checkpoint before it) keeps its first writes.
            conn.execute(
                "DELETE FROM writes WHERE thread_id = %(t)s AND idx >= %(keep)s AND checkpoint_id ="
                " (SELECT MAX(checkpoint_id) FROM checkpoints"
                " WHERE thread_id = %(t)s AND checkpoint_id < %(since)s)",
                {"t": thread_id, "since": since, "keep": keep_writes},
            )
            for sql in (
                "DELETE FROM checkpoints WHERE thread_id = %s AND checkpoint_id >= %s",
                "DELETE FROM writes WHERE thread_id = %s AND checkpoint_id >= %s",
                "DELETE FROM blobs WHERE thread_id = %s AND version >= %s",
            ):
                conn.execute(sql, (thread_id, since))

        self._write(op)  # one transaction (or part of the caller's batch)

    def list_threads(self) -> list[str]:
        """Thread ids, in the order their first checkpoint was made."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT thread_id FROM checkpoints GROUP BY thread_id ORDER BY MIN(checkpoint_id)"
            ).fetchall()
        return [r[0] for r in rows if not is_nested_key(r[0])]

    def storage_bytes(self, thread_id: str) -> int:
        """Bytes a thread stores: checkpoint records, blob data and pending writes."""
        with self._db.reading() as conn:
            (total,) = conn.execute(
                "SELECT (SELECT COALESCE(SUM(octet_length(record)), 0) FROM checkpoints"
                " WHERE thread_id = %(t)s) + (SELECT COALESCE(SUM(octet_length(data)), 0)"
                " FROM blobs WHERE thread_id = %(t)s) + (SELECT COALESCE(SUM(octet_length(data)),"
                " 0) FROM writes WHERE thread_id = %(t)s)",
                {"t": str(thread_id)},
            ).fetchone()
        return int(total)


class AsyncPostgresSaver(PostgresSaver):
    """The async twin, used as LangGraph's is:

        async with AsyncPostgresSaver.from_conn_string(url) as saver:
            await saver.setup()

    The same saver (the engine calls it off the event loop either way); only
    opening, `setup` and closing are awaited."""

    @classmethod
    @contextlib.asynccontextmanager
    async def from_conn_string(cls, conn_string: str) -> AsyncIterator[AsyncPostgresSaver]:  # type: ignore[override]
        import asyncio

        saver = await asyncio.to_thread(cls, conn_string)
        try:
            yield saver
        finally:
            await asyncio.to_thread(saver.close)

    async def setup(self) -> None:  # type: ignore[override]
        """Create or migrate the tables: done when the saver opened; safe to call again."""


@contextlib.contextmanager
def _snapshot(conn: Any) -> Iterator[None]:
    """Several reads that see one state of the database (a repeatable-read transaction)."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _fetch_one(conn: Any, thread_id: str, cid: str | None) -> Any:
    if cid:
        return conn.execute(_BY_ID, {"thread": thread_id, "checkpoint": cid})
    return conn.execute(_LATEST, {"thread": thread_id})


def _one(thread_id: str, rows: list[tuple]) -> CheckpointTuple | None:
    """A checkpoint from the rows of `_ONE`."""
    if not rows or rows[0][0] != 0:
        return None
    _, cid, parent, _, record, _ = rows[0]
    checkpoint, metadata = serde.loads(record)
    chains: dict[str, list[Blob]] = {}
    writes = []
    for part, a, b, c, data, _ in rows[1:]:
        if part == 1:  # channel, kind, base
            chains.setdefault(a, []).append(Blob(b, None if data is None else serde.loads(data), c))
        else:  # task id, channel
            writes.append((a, b, data))
    return make_tuple(thread_id, (cid, parent, record), checkpoint, metadata, chains, writes)
