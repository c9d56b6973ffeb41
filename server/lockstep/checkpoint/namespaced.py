"""A subgraph's checkpoints, kept on its parent's thread under its `checkpoint_ns`.

A subgraph run checkpoints on the thread of the run it is part of, under its own
namespace (`"<node>:<task id>"`, nested ones joined by `|`, as LangGraph names
them). A store keeps one chain of checkpoints per key; a namespace's chain is
kept under the key `thread_id + NS_KEY_SEP + checkpoint_ns`, so every store gets
namespaces without a schema of its own for them. `Namespaced` is the view of a
store a subgraph's run is given: it speaks in the thread's own id and namespace,
and the store in keys. A store deletes a thread's namespaced keys with the
thread (`nested_keys`) and lists only the threads themselves (`is_nested_key`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

from lockstep.checkpoint.base import (
    BaseSaver,
    Blob,
    Checkpoint,
    CheckpointTuple,
    Config,
    Done,
    Lane,
    PendingWrite,
)

#: Between a thread's id and a namespace in a store key: the ASCII unit separator,
#: a control character that thread ids (names, UUIDs) do not hold.
NS_KEY_SEP = "\x1f"


def stored_thread(thread_id: str, checkpoint_ns: str) -> str:
    """The key a namespace's checkpoints are stored under."""
    return f"{thread_id}{NS_KEY_SEP}{checkpoint_ns}" if checkpoint_ns else str(thread_id)


def is_nested_key(key: str) -> bool:
    """Whether a store key holds a subgraph's checkpoints rather than a thread's."""
    return NS_KEY_SEP in key


def nested_keys(thread_id: str) -> tuple[str, str]:
    """The range [low, high) of the keys of a thread's namespaces, for a store that
    deletes them with the thread (every one starts with `low`)."""
    return f"{thread_id}{NS_KEY_SEP}", f"{thread_id}{chr(ord(NS_KEY_SEP) + 1)}"


class Namespaced(BaseSaver):
    """`base` seen from one namespace of a thread: configs in, configs out, as the
    engine names them (thread id and checkpoint_ns)."""

    def __init__(self, base: BaseSaver, checkpoint_ns: str) -> None:
        self.base = base
        self.checkpoint_ns = checkpoint_ns
        self.blocking = base.blocking

    def _in(self, config: Config | None) -> Config | None:
        if not config:
            return config
        conf = config.get("configurable") or {}
        if "thread_id" not in conf:
            return config
        inner = {**conf, "thread_id": stored_thread(conf["thread_id"], self.checkpoint_ns)}
        inner.pop("checkpoint_ns", None)
        return {**config, "configurable": inner}

    def _out(self, config: Config | None) -> Config | None:
        if not config:
            return config
        conf = config.get("configurable") or {}
        thread = str(conf.get("thread_id", ""))
        thread = thread.split(NS_KEY_SEP, 1)[0]
        return {**config, "configurable": {**conf, "thread_id": thread, "checkpoint_ns": self.checkpoint_ns}}

    def _tuple_out(self, saved: CheckpointTuple | None) -> CheckpointTuple | None:
        if saved is None:
            return None
        return dataclasses.replace(
            saved, config=self._out(saved.config), parent_config=self._out(saved.parent_config)
        )

    def get_tuple(self, config: Config) -> CheckpointTuple | None:
        return self._tuple_out(self.base.get_tuple(self._in(config)))

    def list(
        self, config: Config, *, before: Config | None = None, limit: int | None = None
    ) -> Iterator[CheckpointTuple]:
        for saved in self.base.list(self._in(config), before=before, limit=limit):
            yield self._tuple_out(saved)  # type: ignore[misc]

    def put(
        self, config: Config, checkpoint: Checkpoint, metadata: dict[str, Any], blobs: dict[str, Blob]
    ) -> Config:
        return self._out(self.base.put(self._in(config), checkpoint, metadata, blobs))  # type: ignore[return-value,arg-type]

    def put_writes(self, config: Config, writes: Sequence[PendingWrite]) -> None:
        self.base.put_writes(self._in(config), writes)  # type: ignore[arg-type]

    def put_step(
        self,
        config: Config,
        writes: Sequence[PendingWrite],
        checkpoint: Checkpoint,
        metadata: dict[str, Any],
        blobs: dict[str, Blob],
    ) -> Config:
        saved = self.base.put_step(self._in(config), writes, checkpoint, metadata, blobs)  # type: ignore[arg-type]
        return self._out(saved)  # type: ignore[return-value]

    def delete_thread(self, thread_id: str) -> None:
        self.base.delete_thread(stored_thread(thread_id, self.checkpoint_ns))

    def list_threads(self) -> list[str]:
        raise NotImplementedError("list threads on the thread's own store, not a subgraph's view")

    def rewind(self, thread_id: str, since: str, keep_writes: int = 0) -> None:
        self.base.rewind(stored_thread(thread_id, self.checkpoint_ns), since, keep_writes)

    def batch(self) -> contextlib.AbstractContextManager[None]:
        return self.base.batch()

    def batch_later(self, lane: Lane, on_done: Done) -> contextlib.AbstractContextManager[None]:
        return self.base.batch_later(lane, on_done)

    def flush(self) -> None:
        self.base.flush()

    def after_queued(self, on_done: Done) -> None:
        self.base.after_queued(on_done)


def root_saver(saver: BaseSaver | None) -> BaseSaver | None:
    """The store itself under any namespaced view of it."""
    return saver.base if isinstance(saver, Namespaced) else saver
