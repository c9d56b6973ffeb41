"""lockstep.v1.Threads: create, read, edit and travel back in threads.

Each method converts its request into the run layer's terms, delegates to
`lockstep.runs.threads.Threads`, and converts what comes back; refusals are
raised and become statuses in `service.errors`.
"""

from __future__ import annotations

import uuid

from lockstep.runs.errors import InvalidArgument, Reason
from lockstep.runs.threads import IfExists, Threads
from lockstep.service import messages
from lockstep.service.errors import statuses
from lockstep_api import convert
from lockstep_api.v1 import threads_service_pb2 as pb
from lockstep_api.v1 import threads_service_pb2_grpc


class ThreadsService(threads_service_pb2_grpc.ThreadsServicer):
    def __init__(self, threads: Threads) -> None:
        self.threads = threads
        # A listing page is cut to fit one reply under the server's message limit.
        self._reply_limit = threads.runs.limits.max_message_bytes

    @statuses
    async def CreateThread(self, request, context):
        if_exists = IfExists.RAISE  # when not set
        if request.if_exists:
            if_exists = messages.IF_EXISTS_OF.get(request.if_exists)
            if if_exists is None:
                raise InvalidArgument(
                    f"unknown if_exists {request.if_exists}; use RAISE or DO_NOTHING",
                    Reason.UNKNOWN_IF_EXISTS,
                )
        thread = self.threads.create(
            request.thread_id or str(uuid.uuid4()),
            request.graph_id,
            metadata=convert.from_struct(request.metadata) if request.HasField("metadata") else {},
            if_exists=if_exists,
        )
        return pb.CreateThreadResponse(thread=messages.thread(thread))

    @statuses
    async def GetThread(self, request, context):
        thread = await self.threads.get(request.thread_id)
        return pb.GetThreadResponse(thread=messages.thread(thread))

    @statuses
    async def ListThreads(self, request, context):
        size = messages.page_size(request.page_size)
        status = None
        if request.status:
            status = messages.THREAD_STATUS_OF.get(request.status)
            if status is None:
                raise InvalidArgument(f"unknown thread status {request.status}")
        found = self.threads.list(
            request.graph_id,
            status,
            metadata=convert.from_struct(request.metadata)
            if request.HasField("metadata")
            else None,
        )
        threads, token = messages.page(
            found, request.page_token, size, messages.thread, self._reply_limit, "thread"
        )
        return pb.ListThreadsResponse(threads=threads, next_page_token=token)

    @statuses
    async def DeleteThread(self, request, context):
        await self.threads.delete(request.thread_id)
        return pb.DeleteThreadResponse()

    @statuses
    async def GetState(self, request, context):
        snap = await self.threads.state(
            request.thread_id,
            _checkpoint_id(request),
            graph_id=request.graph_id,
            checkpoint_ns=request.checkpoint_ns,
            subgraphs=request.subgraphs,
        )
        return pb.GetStateResponse(state=messages.snapshot(snap))

    @statuses
    async def UpdateState(self, request, context):
        values = (
            messages.finite(convert.from_struct(request.values), "values")
            if request.HasField("values")
            else None
        )
        new = await self.threads.update_state(
            request.thread_id,
            values,
            request.as_node or None,
            checkpoint_id=_checkpoint_id(request),
            graph_id=request.graph_id,
            checkpoint_ns=request.checkpoint_ns,
        )
        return pb.UpdateStateResponse(checkpoint=messages.checkpoint_ref(new))

    @statuses
    async def GetStateHistory(self, request, context):
        size = messages.page_size(request.page_size)
        # A page token is where this server's last page ended; `before`, the caller's word.
        before = request.page_token and messages.token_checkpoint(request.page_token)
        given = not before and request.HasField("before")
        snaps = await self.threads.history(
            request.thread_id,
            size + 1,  # one more than a page: is there a next one?
            before=request.before if given else before,
            filter=convert.from_struct(request.filter) if request.HasField("filter") else None,
            graph_id=request.graph_id,
            checkpoint_ns=request.checkpoint_ns,
            checked=given,
        )
        states = [messages.snapshot(s) for s in snaps[:size]]
        del states[messages.fitting(states, self._reply_limit, "checkpoint's state") :]
        token = ""
        if len(states) < len(snaps):  # more to come: the next page starts before the last sent
            last = snaps[len(states) - 1]
            token = messages.checkpoint_token(last.config["configurable"]["checkpoint_id"])
        return pb.GetStateHistoryResponse(states=states, next_page_token=token)


def _checkpoint_id(request) -> str:
    return request.checkpoint_id if request.HasField("checkpoint_id") else ""
