"""What the run layer and every servicer share: the hosted graphs, the store, the
thread records and long-term memory, and whose they are.

Threads belong to the tenant that made them: another tenant's thread is looked
up as if it did not exist (NOT_FOUND), so every request that names a thread goes
through `thread` or `own_thread`. The caller's tenant is the `TENANT` context
variable, set per request by the host (the gRPC auth interceptor).
"""

from __future__ import annotations

import asyncio
import datetime
from contextvars import ContextVar
from dataclasses import dataclass

from lockstep.checkpoint.base import BaseSaver
from lockstep.checkpoint.namespaced import Namespaced
from lockstep.registry import HostedGraph
from lockstep.runs.errors import InvalidArgument, NotFound, Reason
from lockstep.runs.memory import TenantStore
from lockstep.stores import Backend
from lockstep.stores.threads import DEFAULT_TENANT, ThreadRecord

TENANT: ContextVar[str] = ContextVar("lockstep_tenant", default=DEFAULT_TENANT)


def current_tenant() -> str:
    """The tenant of the request being served (`default` without authentication)."""
    return TENANT.get()


@dataclass
class Hosting:
    graphs: dict[str, HostedGraph]
    store: Backend

    def graph(self, graph_id: str) -> HostedGraph:
        if not graph_id:
            raise InvalidArgument("graph_id is required")
        hosted = self.graphs.get(graph_id)
        if hosted is None:
            raise NotFound("graph", graph_id)
        return hosted

    def memory(self) -> TenantStore:
        """The caller's long-term memory: the backend's store as its tenant sees it
        (the Store service's, and the `store` its runs' nodes get)."""
        return TenantStore(self.store.memory, current_tenant())

    def thread(self, thread_id: str) -> ThreadRecord:
        """The caller's thread; NOT_FOUND if there is none (or it is another tenant's)."""
        if not thread_id:
            raise InvalidArgument("thread_id is required")
        record = self.own_thread(thread_id)
        if record is None:
            raise NotFound("thread", thread_id)
        return record

    def own_thread(self, thread_id: str) -> ThreadRecord | None:
        """The caller's thread, or None if the id is free; NOT_FOUND if another tenant
        has it (the caller may not use that id, nor learn more about it)."""
        record = self.store.threads.get(thread_id)
        if record is not None and record.tenant != current_tenant():
            raise NotFound("thread", thread_id)
        return record

    def new_thread(self, thread_id: str, graph_id: str = "", **fields) -> ThreadRecord:
        """Record a thread for the calling tenant."""
        return self.store.threads.put(
            ThreadRecord(thread_id, graph_id, tenant=current_tenant(), **fields)
        )

    def owns_run(self, thread_id: str, created_at: datetime.datetime) -> bool:
        """Whether a run (of `thread_id`, made at `created_at`) is the caller's: its thread
        is, and is not a later thread that reused the id of a deleted one."""
        record = self.store.threads.get(thread_id)
        return (
            record is not None
            and record.tenant == current_tenant()
            and record.created_at <= created_at
        )

    def graph_of(self, record: ThreadRecord, graph_id: str = "") -> HostedGraph | None:
        """The graph a thread runs; a request may name it when the thread has none yet."""
        if graph_id and record.graph_id and graph_id != record.graph_id:
            raise InvalidArgument(
                f"thread {record.thread_id!r} runs graph {record.graph_id!r}, not {graph_id!r}",
                Reason.GRAPH_MISMATCH,
            )
        name = record.graph_id or graph_id
        return self.graph(name) if name else None

    @staticmethod
    def config(thread_id: str, checkpoint_id: str | None = None, checkpoint_ns: str = "") -> dict:
        conf = {"thread_id": thread_id}
        if checkpoint_id:
            conf["checkpoint_id"] = checkpoint_id
        if checkpoint_ns:
            conf["checkpoint_ns"] = checkpoint_ns
        return {"configurable": conf}

    def _saver(self, checkpoint_ns: str) -> BaseSaver:
        """The store, seen from a subgraph's namespace when one is given."""
        saver = self.store.saver
        return Namespaced(saver, checkpoint_ns) if checkpoint_ns else saver

    async def require_checkpoint(
        self, thread_id: str, checkpoint_id: str, checkpoint_ns: str = ""
    ) -> None:
        saver = self._saver(checkpoint_ns)
        config = self.config(thread_id, checkpoint_id, checkpoint_ns)
        found = await asyncio.to_thread(saver.get_tuple, config)
        if found is None or _namespace(found.config) != checkpoint_ns:
            where = f" in checkpoint_ns {checkpoint_ns!r}" if checkpoint_ns else ""
            raise NotFound(
                "checkpoint",
                checkpoint_id,
                f"checkpoint {checkpoint_id!r} not found on thread {thread_id!r}{where}",
            )

    async def require_namespace(self, thread_id: str, checkpoint_ns: str) -> None:
        """NOT_FOUND unless the thread has a checkpoint in `checkpoint_ns` (a subgraph
        task of the thread ran there)."""
        saver = self._saver(checkpoint_ns)
        found = await asyncio.to_thread(saver.get_tuple, self.config(thread_id, None, checkpoint_ns))
        if found is None or _namespace(found.config) != checkpoint_ns:
            raise NotFound(
                "namespace",
                checkpoint_ns,
                f"thread {thread_id!r} has no checkpoints in checkpoint_ns {checkpoint_ns!r} "
                "(a subgraph task's namespace, as Task.subgraph or a run event's namespace "
                "gives it)",
            )


def _namespace(config: dict) -> str:
    """The checkpoint_ns a saved checkpoint's config is in ("" the root graph's)."""
    return (config.get("configurable") or {}).get("checkpoint_ns") or ""
