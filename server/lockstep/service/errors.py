"""Turning what went wrong into a gRPC status a client can act on: the one place
where a refusal (`lockstep.runs.errors`) or an engine error becomes a status code,
a message and an `ErrorInfo` reason."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from lockstep.runs.errors import RequestError, classify
from lockstep_api.reasons import DOMAIN

#: Status messages travel in trailers (twice: grpc-message and the details), which
#: clients take up to 8 KB of: a message echoing a caller's huge value is cut.
MAX_MESSAGE_CHARS = 2000


def _fit(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    cut = len(message) - MAX_MESSAGE_CHARS
    return f"{message[:MAX_MESSAGE_CHARS]}... ({cut} more characters cut)"


def to_status(exc: BaseException) -> grpc.Status:
    """The status for an exception: a refusal's own code and reason, or those
    `classify` gives an engine error (INTERNAL for anything unforeseen)."""
    error = classify(exc)
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=DOMAIN)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=int(error.code), message=_fit(error.message), details=[detail])
    return rpc_status.to_status(status)


async def abort(context: grpc.aio.ServicerContext, exc: BaseException) -> None:
    await context.abort_with_status(to_status(exc))


Method = TypeVar("Method", bound=Callable[..., Any])


def statuses(method: Method) -> Method:
    """A servicer method whose exceptions end the call with their status (see
    `to_status`): the method converts and delegates, and raises what goes wrong.
    Works for unary methods and for server-streaming ones (async generators)."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def streaming(self, request, context):
            try:
                async with contextlib.aclosing(method(self, request, context)) as events:
                    async for item in events:
                        yield item
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await abort(context, exc)

        return streaming  # type: ignore[return-value]

    @functools.wraps(method)
    async def unary(self, request, context):
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await abort(context, exc)

    return unary  # type: ignore[return-value]


__all__ = ["DOMAIN", "RequestError", "abort", "statuses", "to_status"]
