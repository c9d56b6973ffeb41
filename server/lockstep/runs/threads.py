"""Threads in the run layer's terms: made, looked up, listed and deleted for the
calling tenant, their state read and edited, their history read a page at a time.

A host (the gRPC Threads service) converts its requests into these calls and
their results into its messages; every refusal is a `lockstep.runs.errors`
exception. Edits and deletions hold the thread as a run would (`RunManager.editing`),
so neither overlaps a run. Plain Python: no protobuf, no gRPC.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
from dataclasses import dataclass, field
from typing import Any

from lockstep.pregel import snapshot
from lockstep.runs.errors import AlreadyExists, InvalidArgument, NotFound, Reason
from lockstep.runs.hosting import Hosting, current_tenant
from lockstep.runs.manager import RunManager
from lockstep.runs.model import ThreadStatus
from lockstep.stores.threads import ThreadRecord
from lockstep.types import StateSnapshot


class IfExists(enum.Enum):
    """What creating a thread whose id the caller already has does."""

    RAISE = "raise"  # refuse it (THREAD_EXISTS)
    DO_NOTHING = "do_nothing"  # give back the thread there is


@dataclass(frozen=True, slots=True)
class Thread:
    """A thread as a caller sees it; `state` is its head, when asked for and there is one."""

    thread_id: str
    graph_id: str
    status: ThreadStatus
    created_at: datetime.datetime
    updated_at: datetime.datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    state: StateSnapshot | None = None

    @classmethod
    def of(cls, record: ThreadRecord, state: StateSnapshot | None = None) -> Thread:
        return cls(
            thread_id=record.thread_id,
            graph_id=record.graph_id,
            status=ThreadStatus(record.status),
            created_at=record.created_at,
            updated_at=record.updated_at,
            metadata=record.metadata,
            state=state,
        )


class Threads:
    """The thread operations of a host, over its hosted graphs, store and runs."""

    def __init__(self, hosting: Hosting, runs: RunManager) -> None:
        self.hosting = hosting
        self.runs = runs

    def create(
        self,
        thread_id: str,
        graph_id: str = "",
        metadata: dict[str, Any] | None = None,
        if_exists: IfExists = IfExists.RAISE,
    ) -> Thread:
        """A new thread with that id (the caller picked it: a host picks one when not)."""
        if graph_id:
            self.hosting.graph(graph_id)  # NOT_FOUND before anything is written
        existing = self.hosting.store.threads.get(thread_id)
        if existing is not None and existing.tenant != current_tenant():
            raise AlreadyExists(
                f"thread id {thread_id!r} is taken; choose another (or let the server pick one)",
                Reason.THREAD_ID_TAKEN,
            )
        if existing is not None:
            if if_exists is IfExists.DO_NOTHING:
                return Thread.of(existing)
            raise AlreadyExists(f"thread {thread_id!r} already exists", Reason.THREAD_EXISTS)
        return Thread.of(self.hosting.new_thread(thread_id, graph_id, metadata=metadata or {}))

    async def get(self, thread_id: str) -> Thread:
        """The thread and its head state (none while it has no graph)."""
        record = self.hosting.thread(thread_id)
        hosted = self.hosting.graph_of(record)
        state = None
        if hosted is not None:
            state = await hosted.graph.aget_state(self.hosting.config(record.thread_id))
        return Thread.of(record, state)

    def list(
        self,
        graph_id: str = "",
        status: ThreadStatus | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[Thread]:
        """The caller's threads, newest first; only those of the graph, in the status,
        and whose metadata has each of `metadata`'s entries, when given."""
        records = self.hosting.store.threads.list(
            graph_id, status.value if status is not None else "", tenant=current_tenant()
        )
        wanted = metadata or {}
        return [
            Thread.of(r) for r in records if all(r.metadata.get(k) == v for k, v in wanted.items())
        ]

    async def delete(self, thread_id: str) -> None:
        """Forget the thread, its checkpoints and its runs."""
        record = self.hosting.thread(thread_id)
        store = self.hosting.store
        # Held, as for an edit: a run that started while the checkpoints were being
        # deleted would write into a thread whose record then goes.
        async with self.runs.editing(record.thread_id):
            await asyncio.to_thread(store.saver.delete_thread, record.thread_id)
            store.threads.delete(record.thread_id)
            # Waits for its write (the runs table must not list them meanwhile): off the loop.
            await asyncio.to_thread(store.runs.delete_thread, record.thread_id)

    async def _checkpoint(self, thread_id: str, checkpoint_id: str, checkpoint_ns: str) -> None:
        """NOT_FOUND for a namespace the thread has no checkpoints in (a subgraph
        task's), or a checkpoint not in it."""
        if checkpoint_ns:
            await self.hosting.require_namespace(thread_id, checkpoint_ns)
        if checkpoint_id:
            await self.hosting.require_checkpoint(thread_id, checkpoint_id, checkpoint_ns)

    async def state(
        self,
        thread_id: str,
        checkpoint_id: str = "",
        graph_id: str = "",
        checkpoint_ns: str = "",
        subgraphs: bool = False,
    ) -> StateSnapshot:
        """The thread's state at its head or at `checkpoint_id`, in the subgraph
        namespace `checkpoint_ns` when given, with its subgraphs' states inside its
        tasks' when `subgraphs` (empty while the thread has no graph)."""
        record = self.hosting.thread(thread_id)
        await self._checkpoint(record.thread_id, checkpoint_id, checkpoint_ns)
        hosted = self.hosting.graph_of(record, graph_id)
        if hosted is None:
            return snapshot.empty(record.thread_id)
        config = self.hosting.config(record.thread_id, checkpoint_id, checkpoint_ns)
        return await hosted.graph.aget_state(config, subgraphs=subgraphs)

    async def update_state(
        self,
        thread_id: str,
        values: Any,
        as_node: str | None = None,
        checkpoint_id: str = "",
        graph_id: str = "",
        checkpoint_ns: str = "",
    ) -> dict[str, Any]:
        """Write `values` as if `as_node` had (LangGraph's update_state), at the head or
        forking from `checkpoint_id` (of the subgraph namespace `checkpoint_ns`); the
        new checkpoint's config."""
        record = self.hosting.thread(thread_id)
        hosted = self.hosting.graph_of(record, graph_id)
        if hosted is None:
            raise InvalidArgument(
                f"thread {record.thread_id!r} has no graph yet: pass graph_id", Reason.GRAPH_REQUIRED
            )
        await self._checkpoint(record.thread_id, checkpoint_id, checkpoint_ns)
        config = self.hosting.config(record.thread_id, checkpoint_id, checkpoint_ns)
        async with self.runs.editing(record.thread_id):
            if self.hosting.store.threads.get(record.thread_id) is None:
                raise NotFound("thread", record.thread_id)  # deleted meanwhile
            new = await hosted.graph.update_for_host(
                config, values, as_node, max_state_bytes=self.runs.limits.max_state_bytes
            )
        if not record.graph_id:
            self.hosting.store.threads.update(record.thread_id, graph_id=hosted.graph_id)
        return new

    async def history(
        self,
        thread_id: str,
        limit: int,
        before: str = "",
        filter: dict[str, Any] | None = None,
        graph_id: str = "",
        checkpoint_ns: str = "",
        checked: bool = True,
    ) -> list[StateSnapshot]:
        """Up to `limit` of the thread's checkpoints (in the subgraph namespace
        `checkpoint_ns` when given), newest first, from the one before `before` (a
        checkpoint id) when given; only those whose metadata matches `filter`.
        `checked=False` when `before` came from a page this server gave out (a
        checkpoint deleted since just ends the history there)."""
        record = self.hosting.thread(thread_id)
        await self._checkpoint(record.thread_id, before if checked else "", checkpoint_ns)
        hosted = self.hosting.graph_of(record, graph_id)
        if hosted is None:
            return []
        graph = hosted.graph
        config = self.hosting.config(record.thread_id, None, checkpoint_ns)
        before_config = (
            self.hosting.config(record.thread_id, before, checkpoint_ns) if before else None
        )

        def read() -> list[StateSnapshot]:
            return list(
                graph.get_state_history(config, filter=filter, before=before_config, limit=limit)
            )

        return await asyncio.to_thread(read)


__all__ = ["IfExists", "Thread", "Threads"]
