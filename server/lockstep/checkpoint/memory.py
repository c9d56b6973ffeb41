"""An in-process store for tests and notebooks: gone when the process ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from lockstep.checkpoint import serde
from lockstep.checkpoint.base import (
    BaseSaver,
    Blob,
    Checkpoint,
    CheckpointTuple,
    Config,
    PendingWrite,
    checkpoint_config,
    checkpoint_id_of,
    new_tuple,
    thread_id_of,
)
from lockstep.checkpoint.namespaced import is_nested_key, nested_keys


class _Joint:
    """One pickle of a task's writes together with the blobs of the checkpoint they
    made: a value in both (a message appended to a list) is pickled once."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def writes(self) -> list[PendingWrite]:
        return [PendingWrite(*write) for write in serde.loads(self.data)[0]]


class _Part:
    """A blob's value within a _Joint."""

    __slots__ = ("joint", "index")

    def __init__(self, joint: _Joint, index: int) -> None:
        self.joint, self.index = joint, index

    def value(self) -> Any:
        return serde.loads(self.joint.data)[1][self.index]


class _Thread:
    __slots__ = ("order", "checkpoints", "blobs", "writes", "valued")

    def __init__(self) -> None:
        self.order: list[str] = []  # checkpoint ids, oldest first (ids sort by time)
        # id -> ((checkpoint, metadata), parent id); values live in blobs
        self.checkpoints: dict[str, tuple[tuple[Checkpoint, dict[str, Any]], str | None]] = {}
        # (channel, version) -> the Blob as given if its value is atomic, else
        # (kind, pickled value or its part of a _Joint, base)
        self.blobs: dict[tuple[str, str], Blob | tuple[str, bytes | _Part | None, str | None]] = {}
        # checkpoint id -> write batches: pickled (alone or in a _Joint), or kept as
        # given when nothing in them can change (see _kept)
        self.writes: dict[str, list[bytes | _Joint | tuple[PendingWrite, ...]]] = {}
        self.valued: set[str] = set()  # channels with any stored blob (not triggers)


class MemorySaver(BaseSaver):
    """Keeps serialized checkpoints in a dict, so later mutation of live objects cannot leak in."""

    blocking = False  # cheap enough to call on the event loop

    def __init__(self) -> None:
        self._threads: dict[str, _Thread] = {}
        self._lock = threading.RLock()

    def get_tuple(self, config: Config) -> CheckpointTuple | None:
        with self._lock:
            thread = self._threads.get(thread_id_of(config))
            if thread is None or not thread.order:
                return None
            cid = checkpoint_id_of(config) or thread.order[-1]
            if cid not in thread.checkpoints:
                return None
            return self._tuple(thread_id_of(config), thread, cid)

    def list(
        self, config: Config, *, before: Config | None = None, limit: int | None = None
    ) -> Iterator[CheckpointTuple]:
        thread_id = thread_id_of(config)
        with self._lock:
            thread = self._threads.get(thread_id)
            ids = list(reversed(thread.order)) if thread else []
        before_id = checkpoint_id_of(before)
        if before_id:
            ids = [i for i in ids if i < before_id]
        if limit is not None:
            ids = ids[: max(limit, 0)]
        for cid in ids:
            with self._lock:
                yield self._tuple(thread_id, thread, cid)

    def put(
        self, config: Config, checkpoint: Checkpoint, metadata: dict[str, Any], blobs: dict[str, Blob]
    ) -> Config:
        thread_id = thread_id_of(config)
        with self._lock:
            self._put(self._thread(thread_id), checkpoint_id_of(config), checkpoint, metadata, blobs)
        return checkpoint_config(thread_id, checkpoint.id)

    def put_writes(self, config: Config, writes: Sequence[PendingWrite]) -> None:
        with self._lock:
            self._put_writes(self._thread(thread_id_of(config)), checkpoint_id_of(config), writes, _kept(writes))

    def put_step(
        self,
        config: Config,
        writes: Sequence[PendingWrite],
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        thread_id = thread_id_of(config)
        parent = checkpoint_id_of(config)
        with self._lock:
            thread = self._thread(thread_id)
            kept = _kept(writes)
            pickled = [channel for channel, blob in blobs.items() if _pickled(blob)]
            if kept is None and pickled:
                self._put_joint(thread, parent, writes, checkpoint, metadata, blobs, pickled)
            else:
                self._put_writes(thread, parent, writes, kept)
                self._put(thread, parent, checkpoint, metadata, blobs)
        return checkpoint_config(thread_id, checkpoint.id)

    @classmethod
    def _put_joint(
        cls,
        thread: _Thread,
        parent: str | None,
        writes: Sequence[PendingWrite],
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
        pickled: list[str],
    ) -> None:
        joint = _Joint(
            serde.dumps(
                (
                    [(w.task_id, w.channel, w.value) for w in writes],
                    [blobs[channel].value for channel in pickled],
                )
            )
        )
        thread.writes.setdefault(parent, []).append(joint)
        versions = checkpoint.channel_versions
        for index, channel in enumerate(pickled):
            blob = blobs[channel]
            thread.blobs[(channel, versions[channel])] = (blob.kind, _Part(joint, index), blob.base)
        cls._put(thread, parent, checkpoint, metadata, {c: b for c, b in blobs.items() if c not in pickled})
        thread.valued.update(pickled)

    @staticmethod
    def _put(
        thread: _Thread,
        parent: str | None,
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> None:
        for channel, blob in blobs.items():
            version = checkpoint.channel_versions[channel]
            if not _pickled(blob):
                thread.blobs[(channel, version)] = blob  # nothing in it can change
            else:
                thread.blobs[(channel, version)] = (blob.kind, serde.dumps(blob.value), blob.base)
            thread.valued.add(channel)
        # Kept as given: a caller never changes a checkpoint it has put (see
        # BaseSaver.put); reads hand out copies, which callers may change.
        thread.checkpoints[checkpoint.id] = ((checkpoint, metadata), parent)
        thread.order.append(checkpoint.id)

    @staticmethod
    def _put_writes(
        thread: _Thread,
        cid: str | None,
        writes: Sequence[PendingWrite],
        kept: tuple[PendingWrite, ...] | None,
    ) -> None:
        """Keep `writes` as `kept` (what _kept made of them), or pickled when that is None."""
        if kept is None:  # one pickle per call (a task's writes together), not one per write
            kept = serde.dumps([(w.task_id, w.channel, w.value) for w in writes])
        thread.writes.setdefault(cid, []).append(kept)

    def delete_thread(self, thread_id: str) -> None:
        low, high = nested_keys(thread_id)  # its subgraphs' checkpoints go with it
        with self._lock:
            self._threads.pop(thread_id, None)
            for key in [k for k in self._threads if low <= k < high]:
                del self._threads[key]

    def list_threads(self) -> list[str]:
        with self._lock:
            return [t for t, data in self._threads.items() if data.order and not is_nested_key(t)]

    def rewind(self, thread_id: str, since: str, keep_writes: int = 0) -> None:
        with self._lock:  # held throughout: no reader sees the thread half rewound
            thread = self._threads.get(thread_id)
            if thread is None:
                return
            for cid in thread.order:
                if cid >= since:
                    del thread.checkpoints[cid]
                    thread.writes.pop(cid, None)
            thread.order = [cid for cid in thread.order if cid < since]
            for key in [key for key in thread.blobs if key[1] >= since]:
                del thread.blobs[key]
            if not thread.order:
                return
            head = thread.order[-1]
            writes = _stored_writes(thread, head)
            if len(writes) > keep_writes:
                del thread.writes[head]
                if keep_writes:
                    kept = writes[:keep_writes]
                    self._put_writes(thread, head, kept, _kept(kept))

    def _thread(self, thread_id: str) -> _Thread:
        thread = self._threads.get(thread_id)
        if thread is None:
            thread = self._threads[thread_id] = _Thread()
        return thread

    def _tuple(self, thread_id: str, thread: _Thread, cid: str) -> CheckpointTuple:
        (stored, meta), parent = thread.checkpoints[cid]
        checkpoint, metadata = _copy(stored), _copy_meta(meta)
        chains = {}
        stored_blobs = thread.blobs
        versions = checkpoint.channel_versions
        for channel in thread.valued:  # trigger channels store nothing: skip them
            version = versions.get(channel)
            if version is not None and (channel, version) in stored_blobs:
                chains[channel] = self._chain(thread, channel, version)
        writes = _stored_writes(thread, cid)
        return CheckpointTuple(
            config=checkpoint_config(thread_id, cid),
            checkpoint=checkpoint,
            metadata=metadata,
            parent_config=checkpoint_config(thread_id, parent) if parent else None,
            pending_writes=writes,
            blobs=chains,
        )

    @staticmethod
    def _chain(thread: _Thread, channel: str, version: str | None) -> list[Blob]:
        chain: list[Blob] = []
        while version is not None:
            stored = thread.blobs.get((channel, version))
            if stored is None:
                break
            if type(stored) is Blob:
                chain.append(stored)  # an atomic value: shared, as it cannot change
                kind, base = stored.kind, stored.base
            else:
                kind, data, base = stored
                value = data.value() if type(data) is _Part else serde.loads(data)
                chain.append(Blob(kind, value, base))
            version = base if kind == "delta" else None
        chain.reverse()
        return chain


# Exact types whose values cannot change once made (a subclass might add state): a
# blob holding one is kept as given rather than pickled, and shared by reads.
_ATOMIC = frozenset({str, int, float, bool, bytes, type(None)})


def _stored_writes(thread: _Thread, cid: str) -> list[PendingWrite]:
    """The writes kept on checkpoint `cid`, as copies a reader may change."""
    writes: list[PendingWrite] = []
    for batch in thread.writes.get(cid, ()):
        if type(batch) is bytes:
            writes += [PendingWrite(*write) for write in serde.loads(batch)]
        elif type(batch) is _Joint:
            writes += batch.writes()
        else:
            writes += [_handed_out(w) if type(w.value) is dict else w for w in batch]
    return writes


def _pickled(blob: Blob) -> bool:
    """Whether the store keeps a pickle of the blob rather than the blob as given."""
    return type(blob.value) not in _ATOMIC or type(blob) is not Blob


def _kept(writes: Sequence[PendingWrite]) -> tuple[PendingWrite, ...] | None:
    """A task's writes as the store can keep them without pickling, or None: when
    every value is atomic, or a dict of atomic keys and values (a node's usual
    return), copied so the caller's dict can change without reaching the store."""
    kept = []
    for write in writes:
        kind = type(write[2])  # (task_id, channel, value)
        if kind is dict:
            write = _handed_out(write)
            for key, value in write[2].items():
                if type(key) not in _ATOMIC or type(value) not in _ATOMIC:
                    return None
        elif kind not in _ATOMIC:
            return None
        kept.append(write)
    return tuple(kept)


def _handed_out(write: PendingWrite) -> PendingWrite:
    """A write with its dict value copied: the store's own copy, kept apart from its
    writer's, or one handed to a reader, who may change what it is given."""
    return new_tuple(PendingWrite, (write[0], write[1], dict(write[2])))


def _copy(checkpoint: Checkpoint) -> Checkpoint:
    """Checkpoints hold only strings in two levels of dicts, and the runtime replaces
    inner dicts rather than editing them: copying the outer ones keeps stored
    checkpoints from changing, without the cost of serializing them."""
    return Checkpoint(
        checkpoint.id,
        checkpoint.ts,
        dict(checkpoint.channel_versions),
        dict(checkpoint.versions_seen),
        checkpoint.pending,
    )


def _copy_meta(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in metadata.items()}


InMemorySaver = MemorySaver
