"""The write queue a database backend's connection writes through, whatever the database.

Everything a backend keeps (checkpoints, thread and run records) writes through
one queue on one connection, so a record queued before a checkpoint is never
durable after it. Writers either wait (`batch`: their ops commit together, and
with every batch queued by then, in one transaction: group commit) or queue
(`batch_later`, `write_later`: a flusher thread commits them, in order, and tells
the caller). A backend's `Database` subclasses `WriteQueue`, giving it the
connection (`conn`, used behind `lock`) and how to open a transaction on it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from lockstep.checkpoint.base import Done, Lane

log = logging.getLogger(__name__)

# How long the flusher holds records that need not hurry (a run's start) for the
# run's first checkpoint, to commit them together.
_GATHER_SECONDS = 0.002

#: One write: given the write connection (or what the backend's `transaction`
#: gives in its place), inside the group's transaction.
Op = Callable[[Any], None]


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


class WriteQueue:
    """Group commit and write-behind over one connection; safe to share across threads.

    A subclass sets `conn` and `lock` (an RLock guarding `conn`) and implements
    `transaction()`; it calls `_close_queue()` first when it closes.
    """

    conn: Any
    lock: threading.RLock
    #: The flusher thread's name, to tell backends apart in a thread dump.
    flusher_name = "lockstep-flusher"

    def __init__(self) -> None:
        self._local = threading.local()  # the batch being collected on this thread
        self._queue_lock = threading.Lock()
        self._queue: list[_Batch] = []  # batches waiting for a commit
        self._wake = threading.Event()  # set when a batch is queued for the flusher
        self._hurry = threading.Event()  # set when one queued should not wait for company
        self._flusher: threading.Thread | None = None
        self._closing = False

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """One write transaction (lock held), committed or rolled back; it gives what
        the ops are called with (the connection, or what stands in for it)."""
        raise NotImplementedError

    def _close_queue(self) -> None:
        """Stop the flusher and commit what is queued (the connection stays open)."""
        self._closing = True
        flusher = self._flusher
        if flusher is not None:
            self._wake.set()
            flusher.join()
        with self.lock:
            self._commit_queued()

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
        """Puts made on this thread meanwhile go into the list, not to the database."""
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
        """Queue a write of the caller's own tables, without waiting.

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
                    target=self._flush_forever, name=self.flusher_name, daemon=True
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
            with self.transaction() as target:
                for batch in group:
                    if batch.error is None:
                        for op in batch.ops:
                            op(target)
        except BaseException:
            # Try each batch alone, so one bad batch fails only its own run.
            for batch in group:
                lane = batch.lane
                if lane is not None and lane.failed is not None:
                    batch.error = lane.failed
                if batch.error is not None:
                    continue
                try:
                    with self.transaction() as target:
                        for op in batch.ops:
                            op(target)
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


def _write_nothing(_conn: Any) -> None:
    pass
