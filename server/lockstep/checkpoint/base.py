"""The Saver interface: the one narrow door between the runtime and a store.

A store keeps, per thread, a chain of checkpoints. A checkpoint names the
version of every channel (the id of the checkpoint that last changed it) and
what each node has seen; the values themselves are stored once per version as
blobs, so a step that changes one key stores one blob. A blob is the value, or
only the writes of that step to be folded onto the previous version ("delta").
Writes of tasks that finished in a step that did not complete are kept as
pending writes on the checkpoint the step started from.

To write a new store, subclass `BaseSaver` and implement the seven sync methods;
the async twins run them in a worker thread unless overridden, and `batch` and
`put_step` have defaults a store may improve on, as have `flush`, `after_queued`
and `close` (for a store that queues writes or holds files). A store is taken to
do I/O (`blocking = True`: the engine calls it off the event loop); one cheap
enough to call on the loop sets the class attribute to False.
`SqliteSaver` (stores/sqlite/saver.py) is the worked example of a real store;
`tests/checkpoint/test_savers.py` is the contract a new one must pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Config = dict[str, Any]


class Blob(NamedTuple):
    """One channel's change in one checkpoint (a tuple: made at every step, so cheap)."""

    kind: Literal["full", "delta", "empty"]
    value: Any = None
    base: str | None = None  # for a delta: the version it folds onto


@dataclass(slots=True)
class Checkpoint:
    id: str
    ts: str
    channel_versions: dict[str, str]
    versions_seen: dict[str, dict[str, str]]
    # Nodes that may be waiting to run here (an index, so reading a thread need
    # not test every node); None means unknown: test them all.
    pending: tuple[str, ...] | None = None


class PendingWrite(NamedTuple):
    """A finished task's write, kept until its step completes."""

    task_id: str
    channel: str
    value: Any


#: Makes a Blob or PendingWrite from a tuple of its fields, `new_tuple(Blob, ("full",
#: value, None))`: the same object as Blob("full", value), at half the cost, as a
#: NamedTuple's own constructor is a Python function. For paths taken at every step.
new_tuple = tuple.__new__


@dataclass(slots=True)
class CheckpointTuple:
    config: Config
    checkpoint: Checkpoint
    metadata: dict[str, Any]
    parent_config: Config | None
    pending_writes: list[PendingWrite] = field(default_factory=list)
    # channel -> blobs from the last full one to the current version, oldest first
    blobs: dict[str, list[Blob]] = field(default_factory=dict)


def thread_id_of(config: Config) -> str:
    try:
        return str(config["configurable"]["thread_id"])
    except (KeyError, TypeError):
        raise ValueError(
            'a checkpointer needs config={"configurable": {"thread_id": ...}}'
        ) from None


def checkpoint_id_of(config: Config | None) -> str | None:
    if not config:
        return None
    return (config.get("configurable") or {}).get("checkpoint_id")


def checkpoint_config(thread_id: str, checkpoint_id: str, ns: str = "") -> Config:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


# Told whether a batch of puts made it to the store (None) or why not.
Done = Callable[[BaseException | None], None]


class Lane:
    """One run's batches queued with `BaseSaver.batch_later`; `failed` is the first
    error among them, after which the store writes none of the run's later ones."""

    __slots__ = ("failed",)

    def __init__(self) -> None:
        self.failed: BaseException | None = None


class BaseSaver:
    """Stores checkpoints per thread. Implementations must be safe to share across threads."""

    #: Whether a call may wait on I/O: the engine then makes it off the event loop.
    #: A store cheap enough to call on the loop (in memory) sets it to False.
    blocking: bool = True

    def get_tuple(self, config: Config) -> CheckpointTuple | None:
        """The checkpoint the config names, or the thread's latest; None if there is none."""
        raise NotImplementedError

    def list(
        self,
        config: Config,
        *,
        before: Config | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """The thread's checkpoints, newest first."""
        raise NotImplementedError

    def put(
        self,
        config: Config,
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        """Save a checkpoint after the one `config` names; blobs are at the new versions.

        The store may keep the checkpoint and metadata objects as given: a caller
        must not change them afterwards (the runtime builds a new one per step)."""
        raise NotImplementedError

    def put_writes(self, config: Config, writes: Sequence[PendingWrite]) -> None:
        """Keep a task's writes on the checkpoint `config` names, until the step completes."""
        raise NotImplementedError

    def put_step(
        self,
        config: Config,
        writes: Sequence[PendingWrite],
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        """A step's end in one call: its last task's writes on the checkpoint `config`
        names, then the checkpoint the step made. Optional: a store that can do both
        at once more cheaply than in one batch overrides it."""
        with self.batch():
            self.put_writes(config, writes)
            return self.put(config, checkpoint, metadata, blobs)

    def delete_thread(self, thread_id: str) -> None:
        raise NotImplementedError

    def list_threads(self) -> list[str]:
        """Every thread id with at least one checkpoint."""
        raise NotImplementedError

    def rewind(self, thread_id: str, since: str, keep_writes: int = 0) -> None:
        """Undo what was added to a thread from checkpoint id `since` on (a run's
        start: every id it makes sorts after it), in one atomic write: the
        checkpoints whose ids sort at or after `since`, with their pending writes
        and the blobs of versions made since, and the pending writes past the
        first `keep_writes` on the latest checkpoint before it (the run's head).
        The thread is left as it was when the run started."""
        raise NotImplementedError

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Group several puts into one atomic write (a store may make it one transaction)."""
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def batch_later(self, lane: Lane, on_done: Done) -> Iterator[None]:
        """As `batch`, but a store may return before the puts are durable and tell
        `on_done` later, from another thread: a run goes on with its next step
        while the store writes its last one. `lane` is the run's: once one of its
        batches fails, its later ones are not written (each builds on the one
        before). By default the batch is written now and `on_done` told at once."""
        if lane.failed is not None:
            raise lane.failed
        with self.batch():
            yield
        on_done(None)

    def flush(self) -> None:
        """Wait until every write queued so far (`batch_later`) is durable or has
        failed. A store that writes each batch before returning has nothing to wait for."""

    def after_queued(self, on_done: Done) -> None:
        """Tell `on_done` once every write queued so far is durable (or has failed),
        without waiting for it here. By default nothing is queued: told at once."""
        on_done(None)

    def close(self) -> None:
        """Release what the store holds (files, connections) once queued writes are
        durable. A store holding nothing needs nothing here."""

    async def aget_tuple(self, config: Config) -> CheckpointTuple | None:
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self, config: Config, *, before: Config | None = None, limit: int | None = None
    ) -> AsyncIterator[CheckpointTuple]:
        items = await asyncio.to_thread(lambda: list(self.list(config, before=before, limit=limit)))
        for item in items:
            yield item

    async def aput(
        self,
        config: Config,
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, blobs)

    async def aput_writes(self, config: Config, writes: Sequence[PendingWrite]) -> None:
        await asyncio.to_thread(self.put_writes, config, writes)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)
