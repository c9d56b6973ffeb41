"""A store in one SQLite file (WAL): the server's embedded default.

Three tables, one row per thing the Saver interface names:

- ``checkpoints``: one row per checkpoint; ``record`` is the pickled
  ``(Checkpoint, metadata)``, with ``step``, ``source`` and ``created_at``
  copied out so they can be queried without unpickling.
- ``blobs``: one row per (thread, channel, version): a full value, an empty
  marker, or a delta (the writes of one step) that folds onto ``base``.
- ``writes``: pending writes kept on the checkpoint a step started from;
  ``idx`` keeps them in the order they were put.

Each ``put`` is one transaction, so a reader never sees a checkpoint without
its blobs. ``PRAGMA user_version`` records the schema version, so a later
release can migrate an older file in place.

Only the stdlib ``sqlite3`` is used. One connection is shared by all threads
behind a lock (``check_same_thread=False``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from lockstep.checkpoint import serde
from lockstep.checkpoint.base import (
    BaseSaver,
    Blob,
    Checkpoint,
    CheckpointTuple,
    Config,
    Done,
    Lane,
    PendingWrite,
    checkpoint_config,
    checkpoint_id_of,
    thread_id_of,
)

log = logging.getLogger(__name__)

# Each entry brings a file from schema version i to i + 1; append, never edit.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
)
SCHEMA_VERSION = len(_MIGRATIONS)

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

# How long the flusher holds records that need not hurry (a run's start) for the
# run's first checkpoint, to commit them together.
_GATHER_SECONDS = 0.002

# Above this many checkpoints, `list` reads the thread's blobs in one pass
# instead of walking each checkpoint's chains separately (they overlap)...
_PRELOAD_AT = 8
# ... unless it reads a page of at most this many (as GetStateHistory does): the
# one pass reads the whole thread's blobs, so a page's cost would grow with the
# thread's history (10,000 checkpoints: 100 ms for a page of 10, against 1 ms).
_PAGE_WALK_UP_TO = 100

_Row = tuple[str, str | None, bytes]  # checkpoint id, parent id, record
_StoredBlob = tuple[str, bytes | None, str | None]  # kind, data, base


Op = Callable[[sqlite3.Connection], None]


class _Batch:
    """One thread's puts, waiting for a commit."""

    __slots__ = ("ops", "done", "error", "on_done", "lane")

    def __init__(self, ops: list[Op], on_done: Done | None = None, lane: Lane | None = None) -> None:
        self.ops = ops
        self.done = False
        self.error: BaseException | None = None
        self.on_done = on_done  # told the outcome, on the thread that committed it
        self.lane = lane


class SqliteSaver(BaseSaver):
    """Checkpoints in a SQLite file; safe to share across threads.

    ``SqliteSaver("state/lockstep.db")`` opens (and creates) the file and its
    parent directories; ``SqliteSaver(conn)`` uses a connection you opened (pass
    ``check_same_thread=False`` if several threads will use it; you close it).
    ``SqliteSaver.from_conn_string(path)`` works both directly and as
    ``with SqliteSaver.from_conn_string(path) as saver:``, which closes it.
    """

    blocking = True  # disk I/O: the engine calls it off the event loop

    def __init__(self, path_or_conn: str | os.PathLike[str] | sqlite3.Connection) -> None:
        self._lock = threading.RLock()
        self._local = threading.local()  # the batch being collected on this thread
        self._queue_lock = threading.Lock()
        self._queue: list[_Batch] = []  # batches waiting for a commit
        self._wake = threading.Event()  # set when a batch is queued for the flusher
        self._hurry = threading.Event()  # set when one queued should not wait for company
        self._flusher: threading.Thread | None = None
        self._closing = False
        if isinstance(path_or_conn, sqlite3.Connection):
            self._conn = path_or_conn
            self._owns_conn = False
        else:
            self._conn = _connect(path_or_conn)
            self._owns_conn = True
        try:
            with self._lock:
                self._configure()
                self._migrate()
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_conn_string(cls, path: str | os.PathLike[str]) -> SqliteSaver:
        """A saver on `path` (a file, or ":memory:"); usable with `with`, which closes it."""
        return cls(path)

    def __enter__(self) -> SqliteSaver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit what is queued, then close the connection if this saver opened it."""
        self._closing = True
        flusher = self._flusher
        if flusher is not None:
            self._wake.set()
            flusher.join()
        with self._lock:
            self._commit_queued()
            if self._owns_conn:
                self._conn.close()

    # -- setup ---------------------------------------------------------------

    def _configure(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")  # ":memory:" stays "memory"
        conn.execute("PRAGMA synchronous = NORMAL")

    def _migrate(self) -> None:
        with self._transaction():
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"this SQLite file has schema version {version}; this lockstep "
                    f"knows up to {SCHEMA_VERSION}: upgrade lockstep to open it"
                )
            for statements in _MIGRATIONS[version:]:
                for sql in statements:
                    self._conn.execute(sql)
            if version != SCHEMA_VERSION:
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    class _Tx:
        __slots__ = ("conn", "mode", "began")

        def __init__(self, conn: sqlite3.Connection, mode: str) -> None:
            self.conn = conn
            self.mode = mode
            self.began = False

        def __enter__(self) -> None:
            if not self.conn.in_transaction:
                self.conn.execute(f"BEGIN {self.mode}")
                self.began = True

        def __exit__(self, exc_type: object, *rest: object) -> None:
            if not self.began:
                return
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()

    def _transaction(self, mode: str = "IMMEDIATE") -> SqliteSaver._Tx:
        """One transaction (joins the caller's if their connection is already in one)."""
        return SqliteSaver._Tx(self._conn, mode)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Collect this thread's puts and commit them together (group commit).

        Whoever holds the write lock commits every batch queued by then in one
        transaction, so runs on many threads share commits instead of queueing
        for one each; a lone run commits its own batch at once. Returns only
        when this batch is durable; a batch that fails raises in its own thread.
        """
        if getattr(self._local, "ops", None) is not None:
            yield  # nested: the outer batch commits
            return
        with self._collecting() as ops:
            yield
        if ops:
            self._commit(_Batch(ops))

    @contextlib.contextmanager
    def batch_later(self, lane: Lane, on_done: Done) -> Iterator[None]:
        """Collect this thread's puts as `batch` does, queue them and return: the
        flusher thread (or whichever commit comes first) makes them durable and
        tells `on_done`. The run goes on meanwhile; its events wait for `on_done`."""
        if lane.failed is not None:
            raise lane.failed
        if getattr(self._local, "ops", None) is not None:
            raise RuntimeError("batch_later cannot be nested in another batch")
        with self._collecting() as ops:
            yield
        self._enqueue(_Batch(ops, on_done, lane))

    @contextlib.contextmanager
    def _collecting(self) -> Iterator[list[Op]]:
        """Puts made on this thread meanwhile go into the list, not to the file."""
        ops: list[Op] = []
        self._local.ops = ops
        try:
            yield ops
        finally:
            self._local.ops = None

    def _write(self, op: Op) -> None:
        ops = getattr(self._local, "ops", None)
        if ops is not None:
            ops.append(op)
            return
        self._commit(_Batch([op]))  # after what write_later queued before it

    def _commit(self, batch: _Batch) -> None:
        with self._queue_lock:
            self._queue.append(batch)
        with self._lock:
            if not batch.done:
                self._commit_queued()
        if batch.error is not None:
            raise batch.error

    def _commit_queued(self) -> None:
        """Commit every batch queued by now in one transaction (write lock held)."""
        with self._queue_lock:
            group, self._queue = self._queue, []
        if group:
            self._commit_group(group)

    def write_later(self, op: Op, on_done: Done | None = None, hurry: bool = True) -> None:
        """Queue a write of the caller's own tables in this file, without waiting.

        It commits in order with everything queued before and after it (a
        checkpoint queued later is never durable before it), in the next group:
        a run's commit takes it along, or a flusher thread commits it if no run
        does. `on_done` is told the outcome. For records the server keeps beside
        the checkpoints, written from the event loop, which must not wait on disk.
        With `hurry=False` the flusher waits a moment for a batch that hurries
        (a run's first checkpoint) to commit both at once.
        """
        self._enqueue(_Batch([op], on_done), hurry)

    def _enqueue(self, batch: _Batch, hurry: bool = True) -> None:
        """Queue a batch for the flusher thread (started on first use)."""
        if hurry:
            self._hurry.set()
        with self._queue_lock:
            self._queue.append(batch)
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_forever, name="lockstep-sqlite-flusher", daemon=True
                )
                self._flusher.start()
        self._wake.set()

    def flush(self) -> None:
        """Wait until every write queued so far is committed (or has failed)."""
        done = threading.Event()
        self.after_queued(lambda error: done.set())
        done.wait()

    def after_queued(self, on_done: Done) -> None:
        """Tell `on_done` once every write queued so far is committed (or has failed):
        a write of nothing, queued last, commits after them."""
        self.write_later(_write_nothing, on_done)

    def _flush_forever(self) -> None:
        while not self._closing:
            self._wake.wait()
            if not self._hurry.is_set():
                self._hurry.wait(_GATHER_SECONDS)  # only records so far: wait for their run's step
            self._hurry.clear()
            self._wake.clear()
            with self._lock:
                self._commit_queued()

    def _commit_group(self, group: list[_Batch]) -> None:
        # A run whose earlier batch failed writes none after it: they build on it.
        for batch in group:
            if batch.lane is not None and batch.lane.failed is not None:
                batch.error = batch.lane.failed
        try:
            with self._transaction():
                for batch in group:
                    if batch.error is None:
                        for op in batch.ops:
                            op(self._conn)
        except BaseException:
            # Try each batch alone, so one bad batch fails only its own run.
            for batch in group:
                lane = batch.lane
                if lane is not None and lane.failed is not None:
                    batch.error = lane.failed
                if batch.error is not None:
                    continue
                try:
                    with self._transaction():
                        for op in batch.ops:
                            op(self._conn)
                except BaseException as exc:
                    batch.error = exc
                    if lane is not None:
                        lane.failed = exc
        for batch in group:
            batch.done = True
            if batch.on_done is not None:
                try:
                    batch.on_done(batch.error)
                except Exception:  # a caller's callback must not fail the others
                    log.exception("a write_later callback failed")

    # -- the Saver interface ---------------------------------------------------

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
            rows: list[_Row] = self._conn.execute(sql, args).fetchall()
            if len(rows) < _PRELOAD_AT or (limit is not None and limit <= _PAGE_WALK_UP_TO):
                # Few checkpoints: walk each one's chains in SQL.
                items = [self._read_tuple(thread_id, row) for row in rows]
                preloaded = None
            else:
                # Many: their chains overlap, so read the thread's blobs once.
                items = None
                stored: dict[tuple[str, str], _StoredBlob] = {
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
        stored, pending = preloaded
        for row in rows:
            checkpoint, metadata = serde.loads(row[2])
            chains = {}
            for channel, version in checkpoint.channel_versions.items():
                chain = _walk(stored, channel, version)
                if chain:
                    chains[channel] = chain
            yield _tuple(thread_id, row, checkpoint, metadata, chains, pending.get(row[0], ()))

    def put(
        self,
        config: Config,
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        thread_id = thread_id_of(config)
        parent = checkpoint_id_of(config)
        blob_rows = []
        for channel, blob in blobs.items():
            version = checkpoint.channel_versions[channel]
            data = None if blob.kind == "empty" else serde.dumps(blob.value)
            base = blob.base if blob.kind == "delta" else None
            blob_rows.append((thread_id, channel, version, blob.kind, data, base))
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
            # A version can be written again (a provisional blob landing on a
            # version it kept): the newer blob wins, as in MemorySaver.
            conn.executemany(
                "INSERT OR REPLACE INTO blobs (thread_id, channel, version, kind, data, base)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                blob_rows,
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

        def op(conn: sqlite3.Connection) -> None:
            for table in ("checkpoints", "blobs", "writes"):
                conn.execute(f"DELETE FROM {table} WHERE thread_id = ?", (thread_id,))

        self._write(op)  # inside a batch(), part of its transaction

    def rewind(self, thread_id: str, since: str, keep_writes: int = 0) -> None:
        thread_id = str(thread_id)

        def op(conn: sqlite3.Connection) -> None:
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
        return [r[0] for r in rows]

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

    def _read_tuple(self, thread_id: str, row: _Row) -> CheckpointTuple:
        """One checkpoint row with its blob chains and pending writes (lock held)."""
        checkpoint, metadata = serde.loads(row[2])
        chains = self._read_chains(thread_id, checkpoint.channel_versions)
        writes = self._conn.execute(
            "SELECT task_id, channel, data FROM writes"
            " WHERE thread_id = ? AND checkpoint_id = ? ORDER BY idx",
            (thread_id, row[0]),
        ).fetchall()
        return _tuple(thread_id, row, checkpoint, metadata, chains, writes)

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


def _write_nothing(_conn: sqlite3.Connection) -> None:
    pass


def _connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    name = os.fspath(path)
    uri = name.startswith("file:")
    if name != ":memory:" and not uri and name:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    return sqlite3.connect(name, check_same_thread=False, isolation_level=None, uri=uri)


def _walk(
    stored: dict[tuple[str, str], _StoredBlob], channel: str, version: str | None
) -> list[Blob]:
    chain: list[Blob] = []
    while version is not None:
        found = stored.get((channel, version))
        if found is None:
            break
        kind, data, base = found
        chain.append(Blob(kind, None if data is None else serde.loads(data), base))
        version = base if kind == "delta" else None
    chain.reverse()
    return chain


def _tuple(
    thread_id: str,
    row: _Row,
    checkpoint: Checkpoint,
    metadata: dict[str, Any],
    chains: dict[str, list[Blob]],
    writes: Sequence[tuple[str, str, bytes]],
) -> CheckpointTuple:
    cid, parent, _ = row
    return CheckpointTuple(
        config=checkpoint_config(thread_id, cid),
        checkpoint=checkpoint,
        metadata=metadata,
        parent_config=checkpoint_config(thread_id, parent) if parent else None,
        pending_writes=[PendingWrite(t, c, serde.loads(d)) for t, c, d in writes],
        blobs=chains,
    )
