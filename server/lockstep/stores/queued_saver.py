"""`QueuedSaver`: what the savers of the database backends (SQLite, PostgreSQL)
share: their writes go through the backend's `WriteQueue`, and checkpoints are
rebuilt from rows the same way (a pickled record, blob chains, pending writes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from lockstep.checkpoint import serde
from lockstep.checkpoint.base import (
    BaseSaver,
    Blob,
    Checkpoint,
    CheckpointTuple,
    Done,
    Lane,
    PendingWrite,
    checkpoint_config,
)
from lockstep.stores.queue import Op, WriteQueue

Row = tuple[str, str | None, bytes]  # checkpoint id, parent id, record
StoredBlob = tuple[str, bytes | None, str | None]  # kind, data, base


class QueuedSaver(BaseSaver):
    """A saver writing through a backend's queue (`_db`), and closing it if it owns it."""

    blocking = True  # I/O: the engine calls it off the event loop
    _db: WriteQueue
    _owns_db: bool

    def __enter__(self) -> QueuedSaver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit what is queued, then close the database if this saver opened it."""
        if self._owns_db:
            self._db.close()  # type: ignore[attr-defined]
        else:
            self._db.flush()

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Collect this thread's puts and commit them together, with every batch
        queued by then (group commit); returns once they are durable."""
        return self._db.batch()

    def batch_later(self, lane: Lane, on_done: Done) -> contextlib.AbstractContextManager[None]:
        """Collect this thread's puts and queue them: the run goes on while they
        commit; `on_done` is told the outcome."""
        return self._db.batch_later(lane, on_done)

    def write_later(self, op: Op, on_done: Done | None = None, hurry: bool = True) -> None:
        """Queue a write of the caller's own tables (see `WriteQueue.write_later`)."""
        self._db.write_later(op, on_done, hurry)

    def flush(self) -> None:
        self._db.flush()

    def after_queued(self, on_done: Done) -> None:
        self._db.after_queued(on_done)


def blob_rows(
    thread_id: str, checkpoint: Checkpoint, blobs: dict[str, Blob]
) -> list[tuple[str, str, str, str, bytes | None, str | None]]:
    """A put's blobs as rows: thread, channel, version, kind, pickled value, base."""
    rows = []
    for channel, blob in blobs.items():
        version = checkpoint.channel_versions[channel]
        data = None if blob.kind == "empty" else serde.dumps(blob.value)
        base = blob.base if blob.kind == "delta" else None
        rows.append((thread_id, channel, version, blob.kind, data, base))
    return rows


def walk(
    stored: dict[tuple[str, str], StoredBlob], channel: str, version: str | None
) -> list[Blob]:
    """A channel's blobs from the last full (or empty) one to `version`, oldest first."""
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


def chains_of(
    stored: dict[tuple[str, str], StoredBlob], checkpoint: Checkpoint, valued: set[str]
) -> dict[str, list[Blob]]:
    """Every channel's chain at a checkpoint, from a thread's blobs read at once;
    `valued`: the channels with any blob (triggers have none: not looked up)."""
    chains = {}
    versions = checkpoint.channel_versions
    for channel in valued:
        version = versions.get(channel)
        if version is not None:
            chain = walk(stored, channel, version)
            if chain:
                chains[channel] = chain
    return chains


def from_thread(
    thread_id: str,
    rows: list[Row],
    stored: dict[tuple[str, str], StoredBlob],
    pending: dict[str, list[tuple[str, str, bytes]]],
) -> Iterator[CheckpointTuple]:
    """Checkpoint rows as tuples, from their thread's blobs and writes read at once."""
    valued = {channel for channel, _ in stored}
    for row in rows:
        checkpoint, metadata = serde.loads(row[2])
        chains = chains_of(stored, checkpoint, valued)
        yield make_tuple(thread_id, row, checkpoint, metadata, chains, pending.get(row[0], ()))


def make_tuple(
    thread_id: str,
    row: Row,
    checkpoint: Checkpoint,
    metadata: dict[str, Any],
    chains: dict[str, list[Blob]],
    writes: Sequence[tuple[str, str, bytes]],
) -> CheckpointTuple:
    """A checkpoint as the saver hands it out, from its row, chains and pending writes."""
    cid, parent, _ = row
    return CheckpointTuple(
        config=checkpoint_config(thread_id, cid),
        checkpoint=checkpoint,
        metadata=metadata,
        parent_config=checkpoint_config(thread_id, parent) if parent else None,
        pending_writes=[PendingWrite(t, c, serde.loads(d)) for t, c, d in writes],
        blobs=chains,
    )
