"""The synchronous client: `Client(target).graphs / .threads / .runs / .store`, shaped like the LangGraph SDK.

Each resource is a thin layer: build the request (`_calls`, `_requests`), make one
call with the client's token and default deadline, convert the response (`_calls`,
`types`), and turn a grpc.RpcError into the SDK exception that keeps its status code
(`errors`). AsyncClient shares all but the calling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import grpc

from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
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
    from lockstep_client.remote import RemoteGraph

__all__ = ["Client", "GraphsClient", "RunsClient", "StoreClient", "ThreadsClient"]

T = TypeVar("T")

_DEFAULT_PAGE = rq.DEFAULT_PAGE


def _pages(pager: rq.Pager[T], fetch: Callable[[Any], Any]) -> Iterator[T]:
    """Every item of every page, calling `fetch(request)` for a page only as it is needed."""
    while (req := pager.next_request()) is not None:
        yield from pager.take(fetch(req))


class _Transport:
    """The channel plus what every call carries: the bearer token and the default deadline."""

    def __init__(self, channel: grpc.Channel, token: str | None, timeout: float | None) -> None:
        self.channel = channel
        self.metadata = calls.call_metadata(token)
        self.timeout = timeout

    def unary(self, method: Callable[..., T], request: Any) -> T:
        try:
            return method(request, timeout=self.timeout, metadata=self.metadata)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    def stream(self, method: Callable[..., Any], request: Any) -> Iterator[Any]:
        """Yield the stream's responses; leaving early cancels the call (and so the run)."""
        call = method(request, timeout=self.timeout, metadata=self.metadata)
        try:
            yield from call
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None
        finally:
            call.cancel()

    def call(self, stub: Any, call: calls.Call[T]) -> T:
        try:
            resp = self.unary(getattr(stub, call.method), call.request)
        except NotFoundError as err:
            if calls.is_missing(call, err):
                return None  # type: ignore[return-value]
            raise
        return call.convert(resp)

    def stream_call(self, stub: Any, call: calls.Call[T]) -> Iterator[T]:
        for resp in self.stream(getattr(stub, call.method), call.request):
            yield call.convert(resp)


class GraphsClient:
    """The graphs the server hosts."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport
        self._stub = graphs_service_pb2_grpc.GraphsStub(transport.channel)

    def list(self) -> list[GraphInfo]:
        """Every hosted graph (id, description, metadata), sorted by id."""
        return self._t.call(self._stub, calls.list_graphs())

    def get(self, graph_id: str, xray: int | bool = False) -> GraphInfo:
        """One graph in full: nodes, edges, state keys, breakpoints, Mermaid text; `xray`
        draws subgraphs in place of their nodes (True: every level, N: that many)."""
        return self._t.call(self._stub, calls.get_graph(graph_id, xray))


class ThreadsClient:
    """Threads and their checkpointed state: inspect, edit, travel back."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport
        self._stub = threads_service_pb2_grpc.ThreadsStub(transport.channel)

    def create(
        self,
        thread_id: str | None = None,
        graph_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        if_exists: str | None = None,
    ) -> Thread:
        """Create a thread (server-picked id if None); if_exists: 'raise' or 'do_nothing'."""
        call = calls.create_thread(thread_id, graph_id, metadata, if_exists)
        return self._t.call(self._stub, call)

    def get(self, thread_id: str) -> Thread:
        return self._t.call(self._stub, calls.get_thread(thread_id))

    def list(
        self,
        graph_id: str | None = None,
        status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        page_size: int = _DEFAULT_PAGE,
        limit: int | None = None,
    ) -> list[Thread]:
        """Threads, most recently updated first, paging transparently up to `limit`."""
        pager = rq.threads_pager(graph_id, status, metadata, limit, page_size)
        return list(_pages(pager, partial(self._t.unary, self._stub.ListThreads)))

    def list_page(
        self,
        graph_id: str | None = None,
        status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        page_size: int = _DEFAULT_PAGE,
        page_token: str = "",
    ) -> ThreadPage:
        """One page of `list`, for a caller that pages itself (a web page's "next")."""
        call = calls.list_threads_page(graph_id, status, metadata, page_size, page_token)
        return self._t.call(self._stub, call)

    def delete(self, thread_id: str) -> None:
        self._t.call(self._stub, calls.delete_thread(thread_id))

    def get_state(
        self,
        thread_id: str,
        checkpoint_id: str | None = None,
        *,
        checkpoint_ns: str = "",
        graph_id: str | None = None,
        subgraphs: bool = False,
    ) -> StateSnapshot:
        """The thread's state at its latest checkpoint, or at `checkpoint_id`."""
        call = calls.get_state(thread_id, checkpoint_id, checkpoint_ns, graph_id, subgraphs)
        return self._t.call(self._stub, call)

    def update_state(
        self,
        thread_id: str,
        values: Any,
        as_node: str | None = None,
        checkpoint_id: str | None = None,
        *,
        checkpoint_ns: str = "",
        graph_id: str | None = None,
    ) -> Config:
        """Write values as if `as_node` returned them; returns the new checkpoint's config."""
        call = calls.update_state(
            thread_id, values, as_node, checkpoint_id, checkpoint_ns, graph_id
        )
        return self._t.call(self._stub, call)

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
    ) -> Iterator[StateSnapshot]:
        """Snapshots newest first, fetching pages only as they are consumed."""
        pager = rq.history_pager(
            thread_id, limit, before, checkpoint_ns, filter, graph_id, page_size
        )
        return _pages(pager, partial(self._t.unary, self._stub.GetStateHistory))

    def get_history(
        self,
        thread_id: str,
        limit: int | None = None,
        before: str | Mapping[str, Any] | None = None,
        *,
        checkpoint_ns: str = "",
        filter: Mapping[str, Any] | None = None,
        graph_id: str | None = None,
    ) -> list[StateSnapshot]:
        """The thread's checkpoints, newest first (all of them unless `limit`)."""
        return list(
            self.iter_history(
                thread_id,
                limit,
                before,
                checkpoint_ns=checkpoint_ns,
                filter=filter,
                graph_id=graph_id,
            )
        )


class RunsClient:
    """Runs: stream one, wait for one, start one in the background, join, cancel, list."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport
        self._stub = runs_service_pb2_grpc.RunsStub(transport.channel)

    def stream_events(self, request: runs_service_pb2.StreamRunRequest) -> Iterator[Any]:
        """The raw RunEvent protos of a StreamRun (RemoteGraph rebuilds chunks from them)."""
        for resp in self._t.stream(self._stub.StreamRun, request):
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
    ) -> Iterator[StreamPart]:
        """Start a run and yield its events (metadata first, end last) as StreamParts.

        An `error` event is yielded, not raised: the caller sees the whole run.
        """
        call = calls.stream_run(**calls.run_args(locals()))
        return self._t.stream_call(self._stub, call)

    def wait(
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
        """Run to the end (or an interrupt); a failed node raises RunFailedError unless raise_error=False."""
        call = calls.wait_run(raise_error, **calls.run_args(locals()))
        return self._t.call(self._stub, call)

    def create(
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
        """Start a run in the background; `stream_mode` is what a later `join` streams."""
        call = calls.create_run(**calls.run_args(locals()))
        return self._t.call(self._stub, call)

    def join(self, run_id: str) -> Iterator[StreamPart]:
        """Stream a background run's events from now on (a finished run: final values, end)."""
        return self._t.stream_call(self._stub, calls.join_run(run_id))

    def cancel(self, run_id: str, wait: bool = False) -> Run:
        """Cancel a run; with wait=True, return once it has stopped."""
        return self._t.call(self._stub, calls.cancel_run(run_id, wait))

    def list(
        self,
        thread_id: str | None = None,
        status: str | None = None,
        page_size: int = _DEFAULT_PAGE,
        limit: int | None = None,
    ) -> list[Run]:
        """Runs, newest first, paging transparently up to `limit`."""
        pager = rq.runs_pager(thread_id, status, limit, page_size)
        return list(_pages(pager, partial(self._t.unary, self._stub.ListRuns)))


class StoreClient:
    """Long-term memory on the server, shaped like langgraph_sdk's `client.store`: the
    store the served graphs' nodes get as `store`, the caller's tenant's only.
    Items come back as dicts ({"namespace", "key", "value", "created_at", "updated_at"})."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport
        self._stub = store_service_pb2_grpc.StoreStub(transport.channel)

    def put_item(
        self,
        namespace: Sequence[str],
        /,
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        ttl: float | None = None,
    ) -> None:
        """Write `value` at (namespace, key), replacing what was there; `ttl` in minutes."""
        self._t.call(self._stub, calls.put_item(namespace, key, value, index, ttl))

    def get_item(
        self, namespace: Sequence[str], /, key: str, *, refresh_ttl: bool | None = None
    ) -> dict[str, Any] | None:
        """The item at (namespace, key), or None if there is none."""
        return self._t.call(self._stub, calls.get_item(namespace, key, refresh_ttl))

    def delete_item(self, namespace: Sequence[str], /, key: str) -> None:
        """Remove the item at (namespace, key), if there is one."""
        self._t.call(self._stub, calls.delete_item(namespace, key))

    def search_items(
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
        return self._t.call(self._stub, call)

    def list_namespaces(
        self,
        prefix: Sequence[str] | None = None,
        suffix: Sequence[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> dict[str, Any]:
        """{"namespaces": [[...], ...]}: the namespaces holding items, sorted."""
        call = calls.list_namespaces(prefix, suffix, max_depth, limit, offset)
        return self._t.call(self._stub, call)


class Client:
    """A connection to a Lockstep server.

    `token` goes out as `authorization: Bearer <token>` on every call; `timeout`
    (seconds) is every call's default deadline, streams included. TLS: `tls=True`
    trusts the system's CAs; `ca_cert` (PEM bytes or a file path) trusts these CAs
    instead; `client_cert` and `client_key` add a client certificate (mutual TLS).
    `credentials` (grpc.ChannelCredentials) replaces all of these; `options` are
    grpc channel options.
    """

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
            channel = grpc.secure_channel(target, credentials, options=options)
        else:
            channel = grpc.insecure_channel(target, options=options)
        self._transport = _Transport(channel, token, timeout)
        self.graphs = GraphsClient(self._transport)
        self.threads = ThreadsClient(self._transport)
        self.runs = RunsClient(self._transport)
        self.store = StoreClient(self._transport)

    def graph(self, graph_id: str) -> RemoteGraph:
        """A LangGraph-like handle (invoke/stream/get_state/...) on one hosted graph."""
        from lockstep_client.remote import RemoteGraph

        return RemoteGraph(self, graph_id)

    def close(self) -> None:
        self._transport.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
