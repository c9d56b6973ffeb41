"""One place per RPC for what Client and AsyncClient share: the stub method, the request, the conversion.

A `Call` is pure data (no I/O): each client's transport makes it (`Client` directly,
`AsyncClient` with await) and hands the response to `convert`. Requests are built when
the Call is, so argument mistakes raise before any call is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lockstep_api.v1 import (
    graphs_service_pb2,
    runs_service_pb2,
    store_service_pb2,
    threads_service_pb2,
)
from lockstep_client import _requests as rq
from lockstep_client.errors import Reason
from lockstep_client.types import (
    Config,
    GraphInfo,
    Run,
    RunResult,
    StateSnapshot,
    StreamPart,
    Thread,
    ThreadPage,
    config_from_ref,
    event_from_proto,
    graph_from_proto,
    graph_summary_from_proto,
    item_from_proto,
    run_from_proto,
    snapshot_from_proto,
    thread_from_proto,
    thread_page_from_proto,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """`method` (a stub attribute name) called with `request`; `convert` turns the response
    into T. A call failing NOT_FOUND with reason `missing` returns None instead of raising."""

    method: str
    request: Any
    convert: Callable[[Any], T]
    missing: str = ""


def is_missing(call: Call[Any], err: Exception) -> bool:
    """Whether `err` (an SDK error) is the call's "not there", to be answered with None."""
    return bool(call.missing) and getattr(err, "reason", None) == call.missing


def call_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    """What every call carries: `authorization: Bearer <token>`, if there is a token."""
    return (("authorization", f"Bearer {token}"),) if token else ()


#: run_request's keyword arguments, as Client's and AsyncClient's run methods name their parameters.
RUN_ARGS = (
    "thread_id",
    "graph_id",
    "input",
    "command",
    "stream_mode",
    "interrupt_before",
    "interrupt_after",
    "checkpoint_id",
    "multitask_strategy",
    "on_disconnect",
    "config",
    "metadata",
    "durability",
    "context",
    "subgraphs",
    "checkpoint_ns",
)


def run_args(params: Mapping[str, Any]) -> dict[str, Any]:
    """The run_request arguments among a run method's parameters (pass `locals()` first thing)."""
    return {k: params[k] for k in RUN_ARGS if k in params}


def _none(_: Any) -> None:
    return None


def event_of(resp: Any) -> StreamPart:
    """A StreamRun/JoinRun response -> the StreamPart of its event."""
    return event_from_proto(resp.event)


def list_graphs() -> Call[list[GraphInfo]]:
    return Call(
        "ListGraphs",
        graphs_service_pb2.ListGraphsRequest(),
        lambda resp: [graph_summary_from_proto(g) for g in resp.graphs],
    )


def get_graph(graph_id: str, xray: int | bool) -> Call[GraphInfo]:
    """xray as LangGraph's get_graph takes it: True every level of subgraphs, an int that many."""
    levels = -1 if xray is True else int(xray)
    return Call(
        "GetGraph",
        graphs_service_pb2.GetGraphRequest(graph_id=graph_id, xray=levels),
        lambda resp: graph_from_proto(resp.graph),
    )


def create_thread(
    thread_id: str | None,
    graph_id: str | None,
    metadata: Mapping[str, Any] | None,
    if_exists: str | None,
) -> Call[Thread]:
    req = rq.create_thread_request(thread_id, graph_id, metadata, if_exists)
    return Call("CreateThread", req, lambda resp: thread_from_proto(resp.thread))


def get_thread(thread_id: str) -> Call[Thread]:
    req = threads_service_pb2.GetThreadRequest(thread_id=thread_id)
    return Call("GetThread", req, lambda resp: thread_from_proto(resp.thread))


def list_threads_page(
    graph_id: str | None,
    status: str | None,
    metadata: Mapping[str, Any] | None,
    page_size: int,
    page_token: str,
) -> Call[ThreadPage]:
    req = rq.list_threads_request(graph_id, status, metadata, page_size, page_token)
    return Call("ListThreads", req, thread_page_from_proto)


def delete_thread(thread_id: str) -> Call[None]:
    return Call("DeleteThread", threads_service_pb2.DeleteThreadRequest(thread_id=thread_id), _none)


def get_state(
    thread_id: str,
    checkpoint_id: str | None,
    checkpoint_ns: str,
    graph_id: str | None,
    subgraphs: bool = False,
) -> Call[StateSnapshot]:
    req = rq.get_state_request(thread_id, checkpoint_id, checkpoint_ns, graph_id, subgraphs)
    return Call("GetState", req, lambda resp: snapshot_from_proto(resp.state))


def update_state(
    thread_id: str,
    values: Any,
    as_node: str | None,
    checkpoint_id: str | None,
    checkpoint_ns: str,
    graph_id: str | None,
) -> Call[Config]:
    req = rq.update_state_request(
        thread_id, values, as_node, checkpoint_id, checkpoint_ns, graph_id
    )
    return Call("UpdateState", req, lambda resp: config_from_ref(resp.checkpoint))


def wait_run(raise_error: bool, **run_args: Any) -> Call[RunResult]:
    """WaitRun with `rq.run_request`'s keyword arguments."""
    req = rq.run_request(runs_service_pb2.WaitRunRequest, **run_args)
    return Call("WaitRun", req, lambda resp: rq.result_from_wait(resp, raise_error))


def create_run(**run_args: Any) -> Call[Run]:
    """CreateRun with `rq.run_request`'s keyword arguments."""
    req = rq.run_request(runs_service_pb2.CreateRunRequest, **run_args)
    return Call("CreateRun", req, lambda resp: run_from_proto(resp.run))


def cancel_run(run_id: str, wait: bool) -> Call[Run]:
    req = runs_service_pb2.CancelRunRequest(run_id=run_id, wait=wait)
    return Call("CancelRun", req, lambda resp: run_from_proto(resp.run))


def stream_run(**run_args: Any) -> Call[StreamPart]:
    """StreamRun with `rq.run_request`'s keyword arguments; `convert` applies to each response."""
    req = rq.run_request(runs_service_pb2.StreamRunRequest, **run_args)
    return Call("StreamRun", req, event_of)


def join_run(run_id: str) -> Call[StreamPart]:
    """JoinRun; `convert` applies to each response."""
    return Call("JoinRun", runs_service_pb2.JoinRunRequest(run_id=run_id), event_of)


def put_item(
    namespace: Sequence[str], key: str, value: Mapping[str, Any], index: Any, ttl: float | None
) -> Call[None]:
    return Call("PutItem", rq.put_item_request(namespace, key, value, index, ttl), _none)


def get_item(
    namespace: Sequence[str], key: str, refresh_ttl: bool | None
) -> Call[dict[str, Any] | None]:
    """GetItem; a missing item is None, as langgraph_sdk's get_item and the store's get
    give it (the wire says NOT_FOUND, reason ITEM_NOT_FOUND)."""
    req = rq.get_item_request(namespace, key, refresh_ttl)
    return Call("GetItem", req, lambda resp: item_from_proto(resp.item), Reason.ITEM_NOT_FOUND)


def delete_item(namespace: Sequence[str], key: str) -> Call[None]:
    req = store_service_pb2.DeleteItemRequest(namespace=rq.namespace(namespace), key=key)
    return Call("DeleteItem", req, _none)


def search_items(
    namespace_prefix: Sequence[str],
    filter: Mapping[str, Any] | None,  # noqa: A002 - langgraph_sdk's name
    limit: int,
    offset: int,
    query: str | None,
    refresh_ttl: bool | None,
) -> Call[dict[str, Any]]:
    """SearchItems, answered as langgraph_sdk's search_items: {"items": [...]}."""
    req = rq.search_items_request(namespace_prefix, filter, limit, offset, query, refresh_ttl)
    return Call(
        "SearchItems",
        req,
        lambda resp: {"items": [item_from_proto(i, score=True) for i in resp.items]},
    )


def list_namespaces(
    prefix: Sequence[str] | None,
    suffix: Sequence[str] | None,
    max_depth: int | None,
    limit: int,
    offset: int,
) -> Call[dict[str, Any]]:
    """ListNamespaces, answered as langgraph_sdk's list_namespaces: {"namespaces": [[...]]}."""
    req = rq.list_namespaces_request(prefix, suffix, max_depth, limit, offset)
    return Call(
        "ListNamespaces",
        req,
        lambda resp: {"namespaces": [list(ns.labels) for ns in resp.namespaces]},
    )
