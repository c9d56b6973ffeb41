"""lockstep.v1.Store: the caller's long-term memory (`Hosting.memory`) over the wire."""

from __future__ import annotations

from typing import Any

from lockstep.runs.errors import InvalidArgument, NotFound, Reason
from lockstep.runs.hosting import Hosting
from lockstep.service import messages
from lockstep.service.errors import statuses
from lockstep.store.base import NOT_PROVIDED, Item
from lockstep.store.matching import check_filter
from lockstep_api import convert
from lockstep_api.v1 import store_service_pb2 as pb
from lockstep_api.v1 import store_service_pb2_grpc

#: What a search and a namespace listing return when the request gives no limit
#: (LangGraph's store's defaults).
SEARCH_LIMIT = 10
NAMESPACES_LIMIT = 100


def item(found: Item) -> pb.Item:
    return pb.Item(
        namespace=list(found.namespace),
        key=found.key,
        value=messages.struct(found.value),
        created_at=messages.timestamp(found.created_at),
        updated_at=messages.timestamp(found.updated_at),
    )


def _count(request: Any, field: str, default: int | None, least: int = 0) -> int | None:
    """An optional count field: its value, or `default` when absent; below `least` is refused."""
    if not request.HasField(field):
        return default
    number = getattr(request, field)
    if number < least:
        raise InvalidArgument(f"{field} must be at least {least}, got {number}")
    return number


def _offset(request: Any) -> int:
    if request.offset < 0:
        raise InvalidArgument(f"offset must not be negative, got {request.offset}")
    return request.offset


def _refresh(request: Any) -> bool | None:
    return request.refresh_ttl if request.HasField("refresh_ttl") else None


class StoreService(store_service_pb2_grpc.StoreServicer):
    def __init__(self, hosting: Hosting) -> None:
        self.hosting = hosting

    @statuses
    async def PutItem(self, request, context):
        if not request.HasField("value"):
            raise InvalidArgument(
                "value is required (a JSON object); to remove an item use DeleteItem"
            )
        value = messages.finite(convert.from_struct(request.value), "value")
        ttl: Any = NOT_PROVIDED
        if request.HasField("ttl"):
            seconds = request.ttl.ToTimedelta().total_seconds()
            if seconds <= 0:
                raise InvalidArgument(
                    f"ttl must be positive, got {seconds:g}s; leave it out for no expiry"
                )
            ttl = seconds / 60  # the store counts minutes
        await self.hosting.memory().aput(tuple(request.namespace), request.key, value, ttl=ttl)
        return pb.PutItemResponse()

    @statuses
    async def GetItem(self, request, context):
        namespace = tuple(request.namespace)
        found = await self.hosting.memory().aget(
            namespace, request.key, refresh_ttl=_refresh(request)
        )
        if found is None:
            raise NotFound(
                "item", request.key, f"no item {request.key!r} in namespace {list(namespace)}"
            )
        return pb.GetItemResponse(item=item(found))

    @statuses
    async def DeleteItem(self, request, context):
        await self.hosting.memory().adelete(tuple(request.namespace), request.key)
        return pb.DeleteItemResponse()

    @statuses
    async def SearchItems(self, request, context):
        filt = convert.from_struct(request.filter) if request.HasField("filter") else None
        try:
            check_filter(filt)
        except ValueError as exc:
            raise InvalidArgument(str(exc), Reason.INVALID_FILTER) from None
        found = await self.hosting.memory().asearch(
            tuple(request.namespace_prefix),
            query=request.query or None,
            filter=filt,
            limit=_count(request, "limit", SEARCH_LIMIT),
            offset=_offset(request),
            refresh_ttl=_refresh(request),
        )
        return pb.SearchItemsResponse(items=[item(f) for f in found])

    @statuses
    async def ListNamespaces(self, request, context):
        found = await self.hosting.memory().alist_namespaces(
            prefix=tuple(request.prefix) or None,
            suffix=tuple(request.suffix) or None,
            max_depth=_count(request, "max_depth", None, least=1),
            limit=_count(request, "limit", NAMESPACES_LIMIT),
            offset=_offset(request),
        )
        return pb.ListNamespacesResponse(namespaces=[pb.Namespace(labels=list(ns)) for ns in found])
