"""The asyncio client: `AsyncClient` has `Client`'s surface, with awaitables and async iterators.

Requests are built, and responses converted, by the same functions as the sync
client's (`_calls`, `_requests`), so both refuse the same arguments with the same
messages, before any call is made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import grpc
import grpc.aio

from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
    message_pb2,
    runs_service_pb2,
    runs_service_pb2_grpc,
    store_service_pb2_grpc,
    threads_service_pb2_grpc,
)
from lockstep_client import _calls as calls
from lockstep_client import _requests as rq
from lockstep_client._channel import PemSource, channel_credentials
from lockstep_client.errors import NotFoundError, from_rpc_error
from lockstep_client.types import (
    Config,
    GraphInfo,
    Run,
    RunResult,
    StateSnapshot,
    StreamPart,
    Thread,
    ThreadPage,
)

if TYPE_CHECKING:
    from lockstep_client.remote import AsyncRemoteGraph

__all__ = [
    "AsyncClient",
    "AsyncGraphsClient",
    "AsyncRunsClient",
    "AsyncStoreClient",
    "AsyncThreadsClient",
]

T = TypeVar("T")

_DEFAULT_PAGE = rq.DEFAULT_PAGE


async def _pages(pager: rq.Pager[T], fetch: Callable[[Any], Awaitable[Any]]) -> AsyncIterator[T]:
    """Every item of every page, awaiting `fetch(request)` for a page only as it is needed."""
    while (req := pager.next_request()) is not None:
        for item in pager.take(await fetch(req)):
            yield item


class _AsyncTransport:
    """The aio channel plus the bearer token and default deadline every call carries."""

    def __init__(self, channel: grpc.aio.Channel, token: str | None, timeout: float | None) -> None:
        self.channel = channel
        self.metadata = calls.call_metadata(token)
        self.timeout = timeout

    async def unary(self, method: Callable[..., Awaitable[T]], request: Any) -> T:
        try:
            return await method(request, timeout=self.timeout, metadata=self.metadata)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    async def stream(self, method: Callable[..., Any], request: Any) -> AsyncIterator[Any]:
        """Yield the stream's responses; leaving early cancels the call (and so the run)."""
        call = method(request, timeout=self.timeout, metadata=self.metadata)
        try:
            async for resp in call:
                yield resp
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None
        finally:
            call.cancel()

    async def call(self, stub: Any, call: calls.Call[T]) -> T:
        try:
            resp = await self.unary(getattr(stub, call.method), call.request)
        except NotFoundError as err:
            if calls.is_missing(call, err):
                return None  # type: ignore[return-value]
            raise
        return call.convert(resp)

    async def stream_call(self, stub: Any, call: calls.Call[T]) -> AsyncIterator[T]:
        async for resp in self.stream(getattr(stub, call.method), call.request):
            yield call.convert(resp)


class AsyncGraphsClient:
    """The graphs the server hosts."""

    def __init__(self, transport: _AsyncTransport) -> None:
        self._t = transport
        self._stub = graphs_service_pb2_grpc.GraphsStub(transport.channel)

    async def list(self) -> list[GraphInfo]:
        return await self._t.call(self._stub, calls.list_graphs())

    async def get(self, graph_id: str, xray: int | bool = False) -> GraphInfo:
        return await self._t.call(self._stub, calls.get_graph(graph_id, xray))


class AsyncThreadsClient:
    """Threads and their checkpointed state (see ThreadsClient)."""

    def __init__(self, transport: _AsyncTransport) -> None:
        self._t = transport
        self._stub = threads_service_pb2_grpc.ThreadsStub(transport.channel)

    async def create(
        self,
        thread_id: str | None = None,
        graph_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        if_exists: str | None = None,
    ) -> Thread:
        call = calls.create_thread(thread_id, graph_id, metadata, if_exists)
        return await self._t.call(self._stub, call)

    async def get(self, thread_id: str) -> Thread:
        return await self._t.call(self._stub, calls.get_thread(thread_id))

    async def list(
        self,
        graph_id: str | None = None,
        status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        page_size: int = _DEFAULT_PAGE,
        limit: int | None = None,
    ) -> list[Thread]:
        pager = rq.threads_pager(graph_id, status, metadata, limit, page_size)
        return [t async for t in _pages(pager, partial(self._t.unary, self._stub.ListThreads))]

    async def list_page(
        self,
        graph_id: str | None = None,
        status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        page_size: int = _DEFAULT_PAGE,
        page_token: str = "",
    ) -> ThreadPage:
        call = calls.list_threads_page(graph_id, status, metadata, page_size, page_token)
        return await self._t.call(self._stub, call)

    async def delete(self, thread_id: str) -> None:
        await self._t.call(self._stub, calls.delete_thread(thread_id))

    async def get_state(
        self,
        thread_id: str,
        checkpoint_id: str | None = None,
        *,
        checkpoint_ns: str = "",
        graph_id: str | None = None,
        subgraphs: bool = False,
    ) -> StateSnapshot:
        call = calls.get_state(thread_id, checkpoint_id, checkpoint_ns, graph_id, subgraphs)
        return await self._t.call(self._stub, call)

    async def update_state(
        self,
        thread_id: str,
        values: Any,
        as_node: str | None = None,
        checkpoint_id: str | None = None,
        *,
        checkpoint_ns: str = "",
        graph_id: str | None = None,
    ) -> Config:
        call = calls.update_state(
            thread_id, values, as_node, checkpoint_id, checkpoint_ns, graph_id
        )
        return await self._t.call(self._stub, call)

    def iter_history(
        self,
        thread_id: str,
        limit: int | None = None,
        before: str | Mapping[str, Any] | None = None,
        *,
        checkpoint_ns: str = "",
        filter: Mapping[str, Any] | None = None,
        graph_id: str | None = None,
        page_size: int = _DEFAULT_PAGE,
    ) -> AsyncIterator[StateSnapshot]:
        pager = rq.history_pager(
            thread_id, limit, before, checkpoint_ns, filter, graph_id, page_size
        )
        return _pages(pager, partial(self._t.unary, self._stub.GetStateHistory))

    async def get_history(
        self,
        thread_id: str,
        limit: int | None = None,
        before: str | Mapping[str, Any] | None = None,
        *,
        checkpoint_ns: str = "",
        filter: Mapping[str, Any] | None = None,
        graph_id: str | None = None,
    ) -> list[StateSnapshot]:
        return [
            s
            async for s in self.iter_history(
                thread_id,
                limit,
                before,
                checkpoint_ns=checkpoint_ns,
                filter=filter,
                graph_id=graph_id,
            )
        ]


class AsyncRunsClient:
    """Runs (see RunsClient)."""

    def __init__(self, transport: _AsyncTransport) -> None:
        self._t = transport
        self._stub = runs_service_pb2_grpc.RunsStub(transport.channel)

    async def stream_events(
        self, request: runs_service_pb2.StreamRunRequest
    ) -> AsyncIterator[message_pb2.RunEvent]:
        async for resp in self._t.stream(self._stub.StreamRun, request):
            yield resp.event

    def stream(
        self,
        thread_id: str | None,
        graph_id: str,
        input: Mapping[str, Any] | None = None,
        command: Any = None,
        stream_mode: str | Sequence[str] = "values",
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        checkpoint_id: str | None = None,
        multitask_strategy: str | None = None,
        config: Mapping[str, Any] | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        on_disconnect: str | None = None,
        durability: str | None = None,
        context: Any = None,
        subgraphs: bool = False,
        checkpoint_ns: str = "",
    ) -> AsyncIterator[StreamPart]:
        """`async for part in client.runs.stream(...)`; bad arguments raise here, at once."""
        call = calls.stream_run(**calls.run_args(locals()))
        return self._t.stream_call(self._stub, call)

    async def wait(
        self,
        thread_id: str | None,
        graph_id: str,
        input: Mapping[str, Any] | None = None,
        command: Any = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        checkpoint_id: str | None = None,
        multitask_strategy: str | None = None,
        config: Mapping[str, Any] | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        raise_error: bool = True,
        durability: str | None = None,
        context: Any = None,
        subgraphs: bool = False,
        checkpoint_ns: str = "",
    ) -> RunResult:
        call = calls.wait_run(raise_error, **calls.run_args(locals()))
        return await self._t.call(self._stub, call)

    async def create(
        self,
        thread_id: str | None,
        graph_id: str,
        input: Mapping[str, Any] | None = None,
        command: Any = None,
        stream_mode: str | Sequence[str] = "values",
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        checkpoint_id: str | None = None,
        multitask_strategy: str | None = None,
        config: Mapping[str, Any] | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        durability: str | None = None,
        context: Any = None,
        subgraphs: bool = False,
        checkpoint_ns: str = "",
    ) -> Run:
        call = calls.create_run(**calls.run_args(locals()))
        return await self._t.call(self._stub, call)

    def join(self, run_id: str) -> AsyncIterator[StreamPart]:
        return self._t.stream_call(self._stub, calls.join_run(run_id))

    async def cancel(self, run_id: str, wait: bool = False) -> Run:
        return await self._t.call(self._stub, calls.cancel_run(run_id, wait))

    async def list(
        self,
        thread_id: str | None = None,
        status: str | None = None,
        page_size: int = _DEFAULT_PAGE,
        limit: int | None = None,
    ) -> list[Run]:
        pager = rq.runs_pager(thread_id, status, limit, page_size)
        return [r async for r in _pages(pager, partial(self._t.unary, self._stub.ListRuns))]


class AsyncStoreClient:
    """Long-term memory on the server (see StoreClient)."""

    def __init__(self, transport: _AsyncTransport) -> None:
        self._t = transport
        self._stub = store_service_pb2_grpc.StoreStub(transport.channel)

    async def put_item(
        self,
        namespace: Sequence[str],
        /,
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        ttl: float | None = None,
    ) -> None:
        """Write `value` at (namespace, key), replacing what was there; `ttl` in minutes."""
        await self._t.call(self._stub, calls.put_item(namespace, key, value, index, ttl))

    async def get_item(
        self, namespace: Sequence[str], /, key: str, *, refresh_ttl: bool | None = None
    ) -> dict[str, Any] | None:
        """The item at (namespace, key), or None if there is none."""
        return await self._t.call(self._stub, calls.get_item(namespace, key, refresh_ttl))

    async def delete_item(self, namespace: Sequence[str], /, key: str) -> None:
        """Remove the item at (namespace, key), if there is one."""
        await self._t.call(self._stub, calls.delete_item(namespace, key))

    async def search_items(
        self,
        namespace_prefix: Sequence[str],
        /,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - langgraph_sdk's name
        limit: int = 10,
        offset: int = 0,
        query: str | None = None,
        refresh_ttl: bool | None = None,
    ) -> dict[str, Any]:
        """{"items": [...]}: items under `namespace_prefix` whose values match `filter`."""
        call = calls.search_items(namespace_prefix, filter, limit, offset, query, refresh_ttl)
        return await self._t.call(self._stub, call)

    async def list_namespaces(
        self,
        prefix: Sequence[str] | None = None,
        suffix: Sequence[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> dict[str, Any]:
        """{"namespaces": [[...], ...]}: the namespaces holding items, sorted."""
        call = calls.list_namespaces(prefix, suffix, max_depth, limit, offset)
        return await self._t.call(self._stub, call)


class AsyncClient:
    """Client for asyncio (grpc.aio). Create it inside the event loop that will use it."""

    def __init__(
        self,
        target: str,
        token: str | None = None,
        timeout: float | None = None,
        *,
        tls: bool = False,
        ca_cert: PemSource | None = None,
        client_cert: PemSource | None = None,
        client_key: PemSource | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] | None = None,
    ) -> None:
        self.target = target
        credentials = channel_credentials(credentials, tls, ca_cert, client_cert, client_key)
        if credentials is not None:
            channel = grpc.aio.secure_channel(target, credentials, options=options)
        else:
            channel = grpc.aio.insecure_channel(target, options=options)
        self._transport = _AsyncTransport(channel, token, timeout)
        self.graphs = AsyncGraphsClient(self._transport)
        self.threads = AsyncThreadsClient(self._transport)
        self.runs = AsyncRunsClient(self._transport)
        self.store = AsyncStoreClient(self._transport)

    def graph(self, graph_id: str) -> AsyncRemoteGraph:
        """A LangGraph-like handle (ainvoke/astream/aget_state/...) on one hosted graph."""
        from lockstep_client.remote import AsyncRemoteGraph

        return AsyncRemoteGraph(self, graph_id)

    async def close(self) -> None:
        await self._transport.channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
