"""Checkpoints in one SQLite file (WAL): the server's embedded default.

Three tables, one row per thing the Saver interface names:

- ``checkpoints``: one row per checkpoint; ``record`` is the pickled
  ``(Checkpoint, metadata)``, with ``step``, ``source`` and ``created_at``
  copied out so they can be queried without unpickling.
- ``blobs``: one row per (thread, channel, version): a full value, an empty
  marker, or a delta (the writes of one step) that folds onto ``base``.
- ``writes``: pending writes kept on the checkpoint a step started from;
  ``idx`` keeps them in the order they were put.

Each ``put`` is one transaction, so a reader never sees a checkpoint without
its blobs. The file, its connection, its schema (``migrations``: these tables
and the server's records) and its write queue are the backend's ``Database``;
the saver reads and writes through it. Only the stdlib ``sqlite3`` is used.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
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
from lockstep.stores.queued_saver import (
    QueuedSaver,
    Row,
    StoredBlob,
    blob_rows,
    from_thread,
    make_tuple,
)
from lockstep.stores.sqlite.database import Database
from lockstep.stores.sqlite.migrations import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "SqliteSaver"]

# Walks each channel's chain from its current version back to the last full or
# empty blob. `heads` is a JSON object {channel: version}.
_CHAINS = """
WITH RECURSIVE chain(channel, kind, data, base, depth) AS (
    SELECT b.channel, b.kind, b.data, b.base, 0
    FROM json_each(:heads) AS h
    CROSS JOIN blobs AS b  -- CROSS: the heads drive the lookup, one per channel
      ON b.thread_id = :thread AND b.channel = h.key AND b.version = h.value
    UNION ALL
    SELECT b.channel, b.kind, b.data, b.base, c.depth + 1
    FROM chain AS c
    JOIN blobs AS b
      ON b.thread_id = :thread AND b.channel = c.channel AND b.version = c.base
    WHERE c.kind = 'delta' AND c.depth < 10000000
)
SELECT channel, kind, data, base FROM chain ORDER BY channel, depth DESC
"""

# Above this many checkpoints, `list` reads the thread's blobs in one pass
# instead of walking each checkpoint's chains separately (they overlap)...
_PRELOAD_AT = 8
# ... unless it reads a page of at most this many (as GetStateHistory does): the
# one pass reads the whole thread's blobs, so a page's cost would grow with the
# thread's history (10,000 checkpoints: 100 ms for a page of 10, against 1 ms).
_PAGE_WALK_UP_TO = 100


class SqliteSaver(QueuedSaver):
    """Checkpoints in a SQLite file; safe to share across threads.

    ``SqliteSaver("state/lockstep.db")`` opens (and creates) the file and its
    parent directories; ``SqliteSaver(conn)`` uses a connection you opened (pass
    ``check_same_thread=False`` if several threads will use it; you close it).
    ``SqliteSaver.from_conn_string(path)`` works both directly and as
    ``with SqliteSaver.from_conn_string(path) as saver:``, which closes it.
    """

    # Set by a backend shared by several servers: checks, in each write's own
    # transaction, that this server still holds the thread (raises LeaseLost).
    fence: Callable[[sqlite3.Connection, str], None] | None = None

    def __init__(
        self, path_or_conn: str | os.PathLike[str] | sqlite3.Connection | Database
    ) -> None:
        if isinstance(path_or_conn, Database):
            self._db, self._owns_db = path_or_conn, False  # a backend's: it closes it
        else:
            self._db, self._owns_db = Database(path_or_conn), True
        # The reads below use the database's one connection, behind its lock.
        self._conn = self._db.conn
        self._lock = self._db.lock
        self._transaction = self._db.transaction
        self._write = self._db.write

    @classmethod
    def from_conn_string(cls, path: str | os.PathLike[str]) -> SqliteSaver:
        """A saver on `path` (a file, or ":memory:"); usable with `with`, which closes it."""
        return cls(path)

    def get_tuple(self, config: Config) -> CheckpointTuple | None:
        thread_id = thread_id_of(config)
        cid = checkpoint_id_of(config)
        with self._lock, self._transaction("DEFERRED"):
            if cid:
                row = self._conn.execute(
                    "SELECT checkpoint_id, parent_id, record FROM checkpoints"
                    " WHERE thread_id = ? AND checkpoint_id = ?",
                    (thread_id, cid),
                ).fetchone()
            else:
                row = self._conn.execute(
                    "SELECT checkpoint_id, parent_id, record FROM checkpoints"
                    " WHERE thread_id = ? ORDER BY checkpoint_id DESC LIMIT 1",
                    (thread_id,),
                ).fetchone()
            if row is None:
                return None
            return self._read_tuple(thread_id, row)

    def list(
        self, config: Config, *, before: Config | None = None, limit: int | None = None
    ) -> Iterator[CheckpointTuple]:
        thread_id = thread_id_of(config)
        sql = "SELECT checkpoint_id, parent_id, record FROM checkpoints WHERE thread_id = ?"
        args: list[Any] = [thread_id]
        before_id = checkpoint_id_of(before)
        if before_id:
            sql += " AND checkpoint_id < ?"
            args.append(before_id)
        sql += " ORDER BY checkpoint_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(limit, 0))
        with self._lock, self._transaction("DEFERRED"):
            rows: list[Row] = self._conn.execute(sql, args).fetchall()
            if len(rows) < _PRELOAD_AT or (limit is not None and limit <= _PAGE_WALK_UP_TO):
                # Few checkpoints: walk each one's chains in SQL.
                items = [self._read_tuple(thread_id, row) for row in rows]
                preloaded = None
            else:
                # Many: their chains overlap, so read the thread's blobs once.
                items = None
                stored: dict[tuple[str, str], StoredBlob] = {
                    (channel, version): (kind, data, base)
                    for channel, version, kind, data, base in self._conn.execute(
                        "SELECT channel, version, kind, data, base FROM blobs WHERE thread_id = ?",
                        (thread_id,),
                    )
                }
                pending: dict[str, list[tuple[str, str, bytes]]] = {}
                oldest = rows[-1][0]
                for cid, task_id, channel, data in self._conn.execute(
                    "SELECT checkpoint_id, task_id, channel, data FROM writes"
                    " WHERE thread_id = ? AND checkpoint_id >= ? ORDER BY checkpoint_id, idx",
                    (thread_id, oldest),
                ):
                    pending.setdefault(cid, []).append((task_id, channel, data))
                preloaded = (stored, pending)
        if items is not None:
            yield from items
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
            metadata.get("step"),
            metadata.get("source"),
            checkpoint.ts,
        )

        def op(conn: sqlite3.Connection) -> None:
            self._fenced(conn, thread_id)
            # A version can be written again (a provisional blob landing on a
            # version it kept): the newer blob wins, as in MemorySaver.
            conn.executemany(
                "INSERT OR REPLACE INTO blobs (thread_id, channel, version, kind, data, base)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute(
                "INSERT OR REPLACE INTO checkpoints"
                " (thread_id, checkpoint_id, parent_id, record, step, source, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )

        self._write(op)
        return checkpoint_config(thread_id, checkpoint.id)

    def put_writes(self, config: Config, writes: Sequence[PendingWrite]) -> None:
        thread_id = thread_id_of(config)
        cid = checkpoint_id_of(config)
        if cid is None:
            raise ValueError("put_writes needs a config naming a checkpoint_id")
        rows = [(w.task_id, w.channel, serde.dumps(w.value)) for w in writes]
        if not rows:
            return

        def op(conn: sqlite3.Connection) -> None:
            self._fenced(conn, thread_id)
            # Each row takes the next index on its checkpoint as it is inserted: one
            # statement per call, no separate read of the last index.
            conn.executemany(
                "INSERT INTO writes (thread_id, checkpoint_id, task_id, idx, channel, data)"
                " VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(idx) + 1, 0) FROM writes"
                " WHERE thread_id = ?1 AND checkpoint_id = ?2), ?4, ?5)",
                [(thread_id, cid, task_id, channel, data) for task_id, channel, data in rows],
            )

        self._write(op)

    def delete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)

        low, high = nested_keys(thread_id)  # its subgraphs' checkpoints go with it

        def op(conn: sqlite3.Connection) -> None:
            self._fenced(conn, thread_id)
            for table in ("checkpoints", "blobs", "writes"):
                conn.execute(
                    f"DELETE FROM {table} WHERE thread_id = ? OR (thread_id >= ? AND thread_id < ?)",
                    (thread_id, low, high),
                )

        self._write(op)  # inside a batch(), part of its transaction

    def rewind(self, thread_id: str, since: str, keep_writes: int = 0) -> None:
        thread_id = str(thread_id)

        def op(conn: sqlite3.Connection) -> None:
            self._fenced(conn, thread_id)
            (head,) = conn.execute(
                "SELECT MAX(checkpoint_id) FROM checkpoints"
                " WHERE thread_id = ? AND checkpoint_id < ?",
                (thread_id, since),
            ).fetchone()
            for sql in (
                "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id >= ?",
                "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id >= ?",
                "DELETE FROM blobs WHERE thread_id = ? AND version >= ?",
            ):
                conn.execute(sql, (thread_id, since))
            if head is not None:  # a checkpoint's writes are numbered 0, 1, ... as put
                conn.execute(
                    "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id = ? AND idx >= ?",
                    (thread_id, head, keep_writes),
                )

        self._write(op)  # one transaction (or part of the caller's batch)

    def list_threads(self) -> list[str]:
        """Thread ids, in the order their first checkpoint was made."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT thread_id FROM checkpoints GROUP BY thread_id ORDER BY MIN(checkpoint_id)"
            ).fetchall()
        return [r[0] for r in rows if not is_nested_key(r[0])]

    # -- extras ----------------------------------------------------------------

    def storage_bytes(self, thread_id: str) -> int:
        """Bytes a thread stores: checkpoint records, blob data and pending writes."""
        thread_id = str(thread_id)
        with self._lock, self._transaction("DEFERRED"):
            total = 0
            for sql in (
                "SELECT COALESCE(SUM(LENGTH(record)), 0) FROM checkpoints WHERE thread_id = ?",
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blobs WHERE thread_id = ?",
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM writes WHERE thread_id = ?",
            ):
                total += self._conn.execute(sql, (thread_id,)).fetchone()[0]
        return total

    # -- helpers ---------------------------------------------------------------

    def _fenced(self, conn: sqlite3.Connection, thread_id: str) -> None:
        if self.fence is not None:
            self.fence(conn, thread_id)

    def _read_tuple(self, thread_id: str, row: Row) -> CheckpointTuple:
        """One checkpoint row with its blob chains and pending writes (lock held)."""
        checkpoint, metadata = serde.loads(row[2])
        chains = self._read_chains(thread_id, checkpoint.channel_versions)
        writes = self._conn.execute(
            "SELECT task_id, channel, data FROM writes"
            " WHERE thread_id = ? AND checkpoint_id = ? ORDER BY idx",
            (thread_id, row[0]),
        ).fetchall()
        return make_tuple(thread_id, row, checkpoint, metadata, chains, writes)

    def _read_chains(self, thread_id: str, versions: dict[str, str]) -> dict[str, list[Blob]]:
        chains: dict[str, list[Blob]] = {}
        if not versions:
            return chains
        rows = self._conn.execute(
            _CHAINS, {"heads": json.dumps(versions), "thread": thread_id}
        ).fetchall()
        for channel, kind, data, base in rows:
            value = None if data is None else serde.loads(data)
            chains.setdefault(channel, []).append(Blob(kind, value, base))
        return chains
