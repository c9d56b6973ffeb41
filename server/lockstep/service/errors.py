"""Turning what went wrong into a gRPC status a client can act on."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from lockstep.errors import (
    CheckpointNotFound,
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
    StateTooLargeError,
)

DOMAIN = "lockstep.dev"


class ServiceError(Exception):
    """A refusal with its status code, a message for a person and a machine-readable reason."""

    def __init__(self, code: grpc.StatusCode, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or code.name


def not_found(what: str, name: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, f"{what} {name!r} not found", f"{what.upper()}_NOT_FOUND")


def invalid(message: str, reason: str = "INVALID_ARGUMENT") -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, message, reason)


def from_exception(exc: BaseException) -> ServiceError:
    """Map an engine or conversion error raised by a caller's request to a status."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, CheckpointNotFound):
        return ServiceError(grpc.StatusCode.NOT_FOUND, str(exc), "CHECKPOINT_NOT_FOUND")
    if isinstance(exc, StateTooLargeError):
        return ServiceError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            str(exc),
            "STATE_TOO_LARGE",
        )
    if isinstance(exc, GraphRecursionError):  # the run used up the steps its config allows
        return ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc), "RECURSION_LIMIT")
    if isinstance(exc, InvalidUpdateError):
        return invalid(str(exc), "INVALID_UPDATE")
    if isinstance(exc, EmptyInputError):
        return ServiceError(grpc.StatusCode.FAILED_PRECONDITION, str(exc), "NOTHING_TO_RESUME")
    if isinstance(exc, TypeError | ValueError):
        return invalid(str(exc))
    return ServiceError(grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}")


#: Status messages travel in trailers (twice: grpc-message and the details), which
#: clients take up to 8 KB of: a message echoing a caller's huge value is cut.
MAX_MESSAGE_CHARS = 2000


def _fit(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    cut = len(message) - MAX_MESSAGE_CHARS
    return f"{message[:MAX_MESSAGE_CHARS]}... ({cut} more characters cut)"


def to_status(error: ServiceError) -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=DOMAIN)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(
        code=getattr(code_pb2, error.code.name), message=_fit(error.message), details=[detail]
    )
    return rpc_status.to_status(status)


async def abort(context: grpc.aio.ServicerContext, exc: BaseException) -> None:
    await context.abort_with_status(to_status(from_exception(exc)))
