"""Every lockstep.v1 request is screened before a servicer sees it.

grpc answers a request that does not parse (corrupt bytes, invalid UTF-8 in a
string field, nesting deeper than protobuf allows) with UNKNOWN, as if the server
had failed; it is the caller's mistake, so here it is INVALID_ARGUMENT. A request
that parses is then held to what no servicer should have to check again: no
NaN or infinity anywhere in its JSON payloads (JSON has none), payloads nested
at most `max_struct_depth` levels, and short strings elsewhere (ids, node names,
page tokens: an id of 10 MB would be stored, then echoed in every error).
"""

from __future__ import annotations

import math
from typing import Any

import grpc
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import ListValue, Struct, Value

from lockstep.runs.errors import InvalidArgument, Reason, RequestError
from lockstep.runs.limits import Limits
from lockstep.service.errors import to_status

SCREENED = "/lockstep.v1."
#: The longest string a request may carry outside its Struct/Value payloads (ids,
#: node names, page tokens): none needs more, and every one may be echoed in an error.
MAX_NAME_CHARS = 1024
_JSON_TYPES = ("google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue")


class _Refused:
    """What the deserializer hands over instead of a request it refused."""

    __slots__ = ("error",)

    def __init__(self, error: RequestError) -> None:
        self.error = error


class _Bad(Exception):
    """Raised deep in a walk; each level prepends its segment of the path on the way out."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.segments: list[str] = []


def _key(key: str) -> str:
    return repr(key if len(key) <= 40 else key[:40] + "...")


def check(request: Message, limits: Limits) -> None:
    """Raise an INVALID_ARGUMENT RequestError naming the first field that breaks the rules."""
    try:
        _message(request, limits.max_struct_depth)
    except _Bad as bad:
        where = "".join(reversed(bad.segments)).lstrip(".")
        raise InvalidArgument(f"{where}: {bad.reason}", bad.code) from None


def _message(msg: Message, most: int) -> None:
    for field, value in msg.ListFields():
        try:
            _field(field, value, most)
        except _Bad as bad:
            bad.segments.append(f".{field.name}")
            raise


def _field(field: Any, value: Any, most: int) -> None:
    kind = field.message_type
    if kind is not None and kind.GetOptions().map_entry:
        value_kind = kind.fields_by_name["value"]
        for key, item in value.items():
            _name(key)
            try:
                if value_kind.message_type is not None:
                    _payload_or_message(value_kind.message_type.full_name, item, most)
                elif isinstance(item, str):
                    _name(item)
            except _Bad as bad:
                bad.segments.append(f"[{_key(key)}]")
                raise
        return
    items = value if field.is_repeated else (value,)
    for index, item in enumerate(items):
        try:
            if kind is not None:
                _payload_or_message(kind.full_name, item, most)
            elif isinstance(item, str):
                _name(item)
        except _Bad as bad:
            if field.is_repeated:
                bad.segments.append(f"[{index}]")
            raise


def _payload_or_message(type_name: str, item: Any, most: int) -> None:
    if type_name in _JSON_TYPES:
        _json(item, 1, most)
    else:
        _message(item, most)


def _name(text: str) -> None:
    if len(text) > MAX_NAME_CHARS:
        raise _Bad(
            f"{len(text)} characters long; ids, names and tokens are at most {MAX_NAME_CHARS}",
            Reason.TOO_LONG,
        )


def _json(item: Struct | Value | ListValue, depth: int, most: int) -> None:
    """Walk a JSON payload: `depth` is the nesting level of `item` (a top-level Struct is 1)."""
    if isinstance(item, Value):
        kind = item.WhichOneof("kind")
        if kind == "number_value":
            number = item.number_value
            if not math.isfinite(number):
                what = "NaN" if math.isnan(number) else f"{number}"
                raise _Bad(f"{what} is not a JSON value", Reason.NOT_JSON)
        elif kind == "struct_value":
            _json(item.struct_value, depth, most)
        elif kind == "list_value":
            _json(item.list_value, depth, most)
        return
    if depth > most:
        raise _Bad(
            f"nested more than {most} levels deep, the server's limit "
            "(lockstep serve --max-struct-depth)",
            Reason.TOO_DEEP,
        )
    if isinstance(item, Struct):
        for key, value in item.fields.items():
            try:
                _json(value, depth + 1, most)
            except _Bad as bad:
                bad.segments.append(f"[{_key(key)}]")
                raise
    else:
        for index, value in enumerate(item.values):
            try:
                _json(value, depth + 1, most)
            except _Bad as bad:
                bad.segments.append(f"[{index}]")
                raise


class RequestScreen(grpc.aio.ServerInterceptor):
    """Refuse, as INVALID_ARGUMENT, lockstep.v1 requests that do not parse or break the rules."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        if isinstance(method, bytes):
            method = method.decode()
        screened = self._handlers.get(method)
        if screened is not None:
            return screened
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_streaming or not method.startswith(SCREENED):
            return handler
        screened = self._screen(method.lstrip("/"), handler)
        self._handlers[method] = screened
        return screened

    def _screen(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        parse = handler.request_deserializer
        limits = self.limits

        def deserialize(data: bytes) -> Message | _Refused:
            try:
                request = parse(data)
            except Exception as exc:  # DecodeError, and whatever a corrupt message raises
                return _Refused(
                    InvalidArgument(f"the request to {method} does not parse: {exc}", Reason.MALFORMED_REQUEST)
                )
            try:
                check(request, limits)
            except RequestError as err:
                return _Refused(err)
            return request

        if handler.response_streaming:
            inner_stream = handler.unary_stream

            async def unary_stream(request, context):
                if isinstance(request, _Refused):
                    await context.abort_with_status(to_status(request.error))
                    return
                async for response in inner_stream(request, context):
                    yield response

            return handler._replace(request_deserializer=deserialize, unary_stream=unary_stream)

        inner = handler.unary_unary

        async def unary_unary(request, context):
            if isinstance(request, _Refused):
                await context.abort_with_status(to_status(request.error))
                return None
            return await inner(request, context)

        return handler._replace(request_deserializer=deserialize, unary_unary=unary_unary)
