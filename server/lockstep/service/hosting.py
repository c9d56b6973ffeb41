"""What every servicer shares: the hosted graphs, the store, the thread records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from lockstep.registry import HostedGraph
from lockstep.service.errors import ServiceError, invalid, not_found
from lockstep.store.open import Store
from lockstep.store.threads import ThreadRecord


@dataclass
class Hosting:
    graphs: dict[str, HostedGraph]
    store: Store

    def graph(self, graph_id: str) -> HostedGraph:
        if not graph_id:
            raise invalid("graph_id is required")
        hosted = self.graphs.get(graph_id)
        if hosted is None:
            raise not_found("graph", graph_id)
        return hosted

    def thread(self, thread_id: str) -> ThreadRecord:
        if not thread_id:
            raise invalid("thread_id is required")
        record = self.store.threads.get(thread_id)
        if record is None:
            raise not_found("thread", thread_id)
        return record

    def graph_of(self, record: ThreadRecord, graph_id: str = "") -> HostedGraph | None:
        """The graph a thread runs; a request may name it when the thread has none yet."""
        if graph_id and record.graph_id and graph_id != record.graph_id:
            raise invalid(
                f"thread {record.thread_id!r} runs graph {record.graph_id!r}, not {graph_id!r}",
                "GRAPH_MISMATCH",
            )
        name = record.graph_id or graph_id
        return self.graph(name) if name else None

    @staticmethod
    def config(thread_id: str, checkpoint_id: str | None = None) -> dict:
        conf = {"thread_id": thread_id}
        if checkpoint_id:
            conf["checkpoint_id"] = checkpoint_id
        return {"configurable": conf}

    async def require_checkpoint(self, thread_id: str, checkpoint_id: str) -> None:
        saver = self.store.saver
        found = await asyncio.to_thread(saver.get_tuple, self.config(thread_id, checkpoint_id))
        if found is None:
            raise ServiceError(
                grpc.StatusCode.NOT_FOUND,
                f"checkpoint {checkpoint_id!r} not found on thread {thread_id!r}",
                "CHECKPOINT_NOT_FOUND",
            )
