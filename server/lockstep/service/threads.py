"""lockstep.v1.Threads: create, read, edit and travel back in threads."""

from __future__ import annotations

import asyncio
import uuid

from lockstep.pregel import snapshot
from lockstep.runs.errors import AlreadyExists, InvalidArgument, NotFound
from lockstep.runs.hosting import Hosting, current_tenant
from lockstep.runs.manager import RunManager
from lockstep.service import messages
from lockstep.service.errors import statuses
from lockstep.stores.threads import ThreadRecord
from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, threads_service_pb2_grpc
from lockstep_api.v1 import threads_service_pb2 as pb


class ThreadsService(threads_service_pb2_grpc.ThreadsServicer):
    def __init__(self, hosting: Hosting, runs: RunManager) -> None:
        self.hosting = hosting
        self.runs = runs
        self._reply_limit = runs.limits.max_message_bytes  # a listing page is cut to fit it

    @statuses
    async def CreateThread(self, request, context):
        thread_id = request.thread_id or str(uuid.uuid4())
        if request.if_exists not in enums_pb2.IfExists.values():
            raise InvalidArgument(
                f"unknown if_exists {request.if_exists}; use RAISE or DO_NOTHING",
                "UNKNOWN_IF_EXISTS",
            )
        if request.graph_id:
            self.hosting.graph(request.graph_id)
        existing = self.hosting.store.threads.get(thread_id)
        if existing is not None and existing.tenant != current_tenant():
            raise AlreadyExists(
                f"thread id {thread_id!r} is taken; choose another (or let the server pick one)",
                "THREAD_ID_TAKEN",
            )
        if existing is not None:
            if request.if_exists == enums_pb2.IF_EXISTS_DO_NOTHING:
                return pb.CreateThreadResponse(thread=messages.thread(existing))
            raise AlreadyExists(
                f"thread {thread_id!r} already exists",
                "THREAD_EXISTS",
            )
        metadata = convert.from_struct(request.metadata) if request.HasField("metadata") else {}
        record = self.hosting.new_thread(thread_id, request.graph_id, metadata=metadata)
        return pb.CreateThreadResponse(thread=messages.thread(record))

    @statuses
    async def GetThread(self, request, context):
        record = self.hosting.thread(request.thread_id)
        snap = await self._snapshot(record, "")
        return pb.GetThreadResponse(thread=messages.thread(record, snap))

    @statuses
    async def ListThreads(self, request, context):
        size = messages.page_size(request.page_size)
        status = ""
        if request.status:
            if request.status not in messages.THREAD_STATUS_NAME:
                raise InvalidArgument(f"unknown thread status {request.status}")
            status = messages.THREAD_STATUS_NAME[request.status]
        records = self.hosting.store.threads.list(
            request.graph_id, status, tenant=current_tenant()
        )
        wanted = convert.from_struct(request.metadata) if request.HasField("metadata") else {}
        if wanted:
            records = [
                r for r in records if all(r.metadata.get(k) == v for k, v in wanted.items())
            ]
        threads, token = messages.page(
            records, request.page_token, size, messages.thread, self._reply_limit, "thread"
        )
        return pb.ListThreadsResponse(threads=threads, next_page_token=token)

    @statuses
    async def DeleteThread(self, request, context):
        record = self.hosting.thread(request.thread_id)
        # Held, as for an edit: a run that started while the checkpoints were being
        # deleted would write into a thread whose record then goes.
        async with self.runs.editing(record.thread_id):
            await asyncio.to_thread(self.hosting.store.saver.delete_thread, record.thread_id)
            self.hosting.store.threads.delete(record.thread_id)
            # Waits for its write (the runs table must not list them meanwhile): off the loop.
            await asyncio.to_thread(self.hosting.store.runs.delete_thread, record.thread_id)
        return pb.DeleteThreadResponse()

    async def _checkpoint(self, thread_id: str, request) -> tuple[str, str]:
        """The (checkpoint_id, checkpoint_ns) a request names, both checked: NOT_FOUND
        for a namespace the thread has no checkpoints in, or a checkpoint not in it."""
        checkpoint_id = request.checkpoint_id if request.HasField("checkpoint_id") else ""
        checkpoint_ns = request.checkpoint_ns
        if checkpoint_ns:
            await self.hosting.require_namespace(thread_id, checkpoint_ns)
        if checkpoint_id:
            await self.hosting.require_checkpoint(thread_id, checkpoint_id, checkpoint_ns)
        return checkpoint_id, checkpoint_ns

    @statuses
    async def GetState(self, request, context):
        record = self.hosting.thread(request.thread_id)
        checkpoint_id, checkpoint_ns = await self._checkpoint(record.thread_id, request)
        hosted = self.hosting.graph_of(record, request.graph_id)
        if hosted is None:
            return pb.GetStateResponse(state=messages.snapshot(snapshot.empty(record.thread_id)))
        config = self.hosting.config(record.thread_id, checkpoint_id, checkpoint_ns)
        snap = await hosted.graph.aget_state(config, subgraphs=request.subgraphs)
        return pb.GetStateResponse(state=messages.snapshot(snap))

    @statuses
    async def UpdateState(self, request, context):
        record = self.hosting.thread(request.thread_id)
        hosted = self.hosting.graph_of(record, request.graph_id)
        if hosted is None:
            raise InvalidArgument(
                f"thread {record.thread_id!r} has no graph yet: pass graph_id",
                "GRAPH_REQUIRED",
            )
        checkpoint_id, checkpoint_ns = await self._checkpoint(record.thread_id, request)
        values = (
            messages.finite(convert.from_struct(request.values), "values")
            if request.HasField("values")
            else None
        )
        as_node = request.as_node or None
        config = self.hosting.config(record.thread_id, checkpoint_id, checkpoint_ns)
        async with self.runs.editing(record.thread_id):
            if self.hosting.store.threads.get(record.thread_id) is None:
                raise NotFound("thread", record.thread_id)  # deleted meanwhile
            new = await hosted.graph.update_for_host(
                config, values, as_node, max_state_bytes=self.runs.limits.max_state_bytes
            )
        if not record.graph_id:
            self.hosting.store.threads.update(record.thread_id, graph_id=hosted.graph_id)
        return pb.UpdateStateResponse(checkpoint=messages.checkpoint_ref(new))

    @statuses
    async def GetStateHistory(self, request, context):
        record = self.hosting.thread(request.thread_id)
        size = messages.page_size(request.page_size)
        before = request.page_token and messages.token_checkpoint(request.page_token)
        ns = request.checkpoint_ns
        if ns:
            await self.hosting.require_namespace(record.thread_id, ns)
        if not before and request.HasField("before"):
            before = request.before
            await self.hosting.require_checkpoint(record.thread_id, before, ns)
        hosted = self.hosting.graph_of(record, request.graph_id)
        if hosted is None:
            return pb.GetStateHistoryResponse()
        filt = convert.from_struct(request.filter) if request.HasField("filter") else None
        config = self.hosting.config(record.thread_id, None, ns)
        before_config = self.hosting.config(record.thread_id, before, ns) if before else None
        graph = hosted.graph

        def page():
            return list(
                graph.get_state_history(config, filter=filt, before=before_config, limit=size + 1)
            )

        snaps = await asyncio.to_thread(page)
        states = [messages.snapshot(s) for s in snaps[:size]]
        del states[messages.fitting(states, self._reply_limit, "checkpoint's state") :]
        token = ""
        if len(states) < len(snaps):  # more to come: the next page starts before the last sent
            last = snaps[len(states) - 1]
            token = messages.checkpoint_token(last.config["configurable"]["checkpoint_id"])
        return pb.GetStateHistoryResponse(states=states, next_page_token=token)

    async def _snapshot(self, record: ThreadRecord, graph_id: str):
        hosted = self.hosting.graph_of(record, graph_id)
        if hosted is None:
            return None
        return await hosted.graph.aget_state(self.hosting.config(record.thread_id))
