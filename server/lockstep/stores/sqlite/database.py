"""The SQLite backend's file: the one place its connections are opened, its schema
migrated, and its writes queued and committed.

Everything the backend keeps in the file (checkpoints, thread and run records)
writes through one `Database`, so a record queued before a checkpoint is never
durable after it. Writers either wait (`batch`: their ops commit together, and
with every batch queued by then, in one transaction: group commit) or queue
(`batch_later`, `write_later`: a flusher thread commits them, in order, and tells
the caller). One connection serves writes and the saver's reads, behind `lock`;
`another_connection()` opens more, for reads that must not wait for a commit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from lockstep.checkpoint.base import Done, Lane
from lockstep.stores.sqlite.migrations import migrate

log = logging.getLogger(__name__)

# How long the flusher holds records that need not hurry (a run's start) for the
# run's first checkpoint, to commit them together.
_GATHER_SECONDS = 0.002

Op = Callable[[sqlite3.Connection], None]


class _Batch:
    """One thread's puts, waiting for a commit."""

    __slots__ = ("ops", "done", "error", "on_done", "lane")

    def __init__(
        self, ops: list[Op], on_done: Done | None = None, lane: Lane | None = None
    ) -> None:
        self.ops = ops
        self.done = False
        self.error: BaseException | None = None
        self.on_done = on_done  # told the outcome, on the thread that committed it
        self.lane = lane


class Database:
    """One SQLite file (WAL) and its write queue; safe to share across threads.

    ``Database(path)`` opens (and creates) the file and its parent directories;
    ``Database(conn)`` uses a connection you opened and close (pass
    ``check_same_thread=False`` if several threads will use it).
    """

    def __init__(self, path_or_conn: str | os.PathLike[str] | sqlite3.Connection) -> None:
        given = isinstance(path_or_conn, sqlite3.Connection)
        self.path: str | None = None if given else os.fspath(path_or_conn)  # type: ignore[arg-type]
        self.lock = threading.RLock()
        self._local = threading.local()  # the batch being collected on this thread
        self._queue_lock = threading.Lock()
        self._queue: list[_Batch] = []  # batches waiting for a commit
        self._wake = threading.Event()  # set when a batch is queued for the flusher
        self._hurry = threading.Event()  # set when one queued should not wait for company
        self._flusher: threading.Thread | None = None
        self._closing = False
        if isinstance(path_or_conn, sqlite3.Connection):
            self.conn = path_or_conn
            self._owns_conn = False
        else:
            self.conn = connect(path_or_conn)
            self._owns_conn = True
        try:
            with self.lock:
                self._configure()
                self._migrate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Commit what is queued, then close the connection if this opened it."""
        self._closing = True
        flusher = self._flusher
        if flusher is not None:
            self._wake.set()
            flusher.join()
        with self.lock:
            self._commit_queued()
            if self._owns_conn:
                self.conn.close()

    # -- setup ---------------------------------------------------------------

    def _configure(self) -> None:
        _configure(self.conn)

    def _migrate(self) -> None:
        with self.transaction():
            migrate(self.conn)

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

    def transaction(self, mode: str = "IMMEDIATE") -> Database._Tx:
        """One transaction (joins the caller's if their connection is already in one)."""
        return Database._Tx(self.conn, mode)

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

    def write(self, op: Op) -> None:
        """One op: part of the batch this thread is collecting, if any, else
        committed now, after what was queued before it."""
        ops = getattr(self._local, "ops", None)
        if ops is not None:
            ops.append(op)
            return
        self._commit(_Batch([op]))  # after what write_later queued before it

    def _commit(self, batch: _Batch) -> None:
        with self._queue_lock:
            self._queue.append(batch)
        with self.lock:
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
            with self.lock:
                self._commit_queued()

    def _commit_group(self, group: list[_Batch]) -> None:
        # A run whose earlier batch failed writes none after it: they build on it.
        for batch in group:
            if batch.lane is not None and batch.lane.failed is not None:
                batch.error = batch.lane.failed
        try:
            with self.transaction():
                for batch in group:
                    if batch.error is None:
                        for op in batch.ops:
                            op(self.conn)
        except BaseException:
            # Try each batch alone, so one bad batch fails only its own run.
            for batch in group:
                lane = batch.lane
                if lane is not None and lane.failed is not None:
                    batch.error = lane.failed
                if batch.error is not None:
                    continue
                try:
                    with self.transaction():
                        for op in batch.ops:
                            op(self.conn)
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

    def another_connection(self) -> sqlite3.Connection:
        """Another connection to the file, for work that must not wait behind the
        write lock (WAL lets reads see the last commit meanwhile); the caller
        closes it. Only for a database on a file it opened."""
        if self.path is None or self.path == ":memory:":
            raise ValueError("only a Database on a file it opened can open readers")
        conn = connect(self.path)
        _configure(conn)
        return conn


def _write_nothing(_conn: sqlite3.Connection) -> None:
    pass


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")  # ":memory:" stays "memory"
    conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints, no fsync per write


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    name = os.fspath(path)
    uri = name.startswith("file:")
    if name != ":memory:" and not uri and name:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    return sqlite3.connect(name, check_same_thread=False, isolation_level=None, uri=uri)
