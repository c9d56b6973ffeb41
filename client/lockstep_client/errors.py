"""SDK exceptions: every failed call keeps the gRPC status code it came from.

Callers branch on the class (`except NotFoundError`), on `.code`, or on
`.reason` (`lockstep_api.reasons.Reason`, declared in the protos as
`lockstep.v1.ErrorReason`: `err.reason == Reason.THREAD_BUSY`); `.message` is the
server's sentence for a person, `.details` the unpacked `google.rpc.Status`
details (e.g. `ErrorInfo`, `BadRequest`) when the server sent any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from lockstep_api.reasons import DOMAIN, Reason, reason

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "CallCancelledError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "LockstepError",
    "NotFoundError",
    "PermissionDeniedError",
    "Reason",
    "ResourceExhaustedError",
    "RunFailedError",
    "ThreadBusyError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "from_rpc_error",
]

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class LockstepError(Exception):
    """A call to a Lockstep server failed; `.code` is the grpc.StatusCode it failed with."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        code: grpc.StatusCode | None = None,
        details: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: tuple[Any, ...] = tuple(details)

    @property
    def reason(self) -> Reason | str:
        """Why the server refused the call (its `ErrorInfo` reason): a `Reason`, the raw
        string for one this SDK does not know yet, or "" when the server gave none
        (or `googleapis-common-protos` is not installed to read it)."""
        return _reason(self.details)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class CallCancelledError(LockstepError):
    """The call was cancelled (by the caller or the server). Not asyncio's
    CancelledError, which stops a task: this one is a failed call."""

    code = grpc.StatusCode.CANCELLED


class InvalidArgumentError(LockstepError):
    """The request is malformed: unknown as_node or stream mode, input not an object, ..."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(LockstepError):
    """The call took longer than its timeout."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFoundError(LockstepError):
    """The graph, thread, checkpoint or run does not exist."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(LockstepError):
    """A thread with that id exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(LockstepError):
    """The caller is known but not allowed to do this."""

    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(LockstepError):
    """The server is out of some resource (too many runs, messages too large, ...)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(LockstepError):
    """The thread is not in a state that allows this (e.g. a run is already active)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class ThreadBusyError(FailedPreconditionError):
    """The thread has an active run (or an edit in progress): wait for it, cancel it,
    or start the run with a multitask strategy (reason THREAD_BUSY)."""


class AbortedError(LockstepError):
    """A concurrent change won (e.g. another run took the thread); retrying may succeed."""

    code = grpc.StatusCode.ABORTED


class UnimplementedError(LockstepError):
    """The server does not implement this RPC."""

    code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(LockstepError):
    """The server broke; never a caller's mistake."""

    code = grpc.StatusCode.INTERNAL


class UnavailableError(LockstepError):
    """The server cannot be reached or is shutting down; retry later."""

    code = grpc.StatusCode.UNAVAILABLE


class UnauthenticatedError(LockstepError):
    """No token, or a token the server does not accept."""

    code = grpc.StatusCode.UNAUTHENTICATED


class RunFailedError(LockstepError):
    """A run ended with an error event: a node raised. The thread stays resumable.

    `.node` names the node that failed, `.error_type` the exception's type name
    (e.g. "ValueError"); `.run_id` and `.thread_id` say where to look.
    """

    def __init__(
        self,
        message: str,
        code: grpc.StatusCode | None = None,
        *,
        node: str = "",
        error_type: str = "",
        run_id: str = "",
        thread_id: str = "",
    ) -> None:
        super().__init__(message, code)
        self.node = node
        self.error_type = error_type
        self.run_id = run_id
        self.thread_id = thread_id

    def __str__(self) -> str:
        where = f" in node {self.node!r}" if self.node else ""
        kind = f"{self.error_type}: " if self.error_type else ""
        return f"run failed{where}: {kind}{self.message}"


_BY_CODE: dict[grpc.StatusCode, type[LockstepError]] = {
    cls.code: cls
    for cls in (
        CallCancelledError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        UnauthenticatedError,
    )
}

#: Classes more specific than their status code's, picked by the error's reason.
_BY_REASON: dict[str, type[LockstepError]] = {Reason.THREAD_BUSY: ThreadBusyError}

_BY_NUMBER: dict[int, grpc.StatusCode] = {c.value[0]: c for c in grpc.StatusCode}


def status_code_from_number(number: int) -> grpc.StatusCode:
    """The grpc.StatusCode for a google.rpc.Code number (UNKNOWN if out of range)."""
    return _BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


def error_class(code: grpc.StatusCode) -> type[LockstepError]:
    """The exception class for a status code (LockstepError itself for the rest)."""
    return _BY_CODE.get(code, LockstepError)


def from_rpc_error(err: grpc.RpcError) -> LockstepError:
    """The SDK exception for a failed call, sync (`grpc.Call`) or aio (`AioRpcError`) alike."""
    code_fn = getattr(err, "code", None)
    code = code_fn() if callable(code_fn) else grpc.StatusCode.UNKNOWN
    if not isinstance(code, grpc.StatusCode):
        code = grpc.StatusCode.UNKNOWN
    details_fn = getattr(err, "details", None)
    message = (details_fn() if callable(details_fn) else None) or str(err)
    trailers_fn = getattr(err, "trailing_metadata", None)
    trailers = trailers_fn() if callable(trailers_fn) else None
    details = _status_details(trailers)
    cls = _BY_REASON.get(_reason(details)) or error_class(code)
    return cls(message, code, details)


def _reason(details: Sequence[Any]) -> Reason | str:
    """The reason of the Lockstep `ErrorInfo` among a status's details ("" if none)."""
    for detail in details:
        if type(detail).__name__ == "ErrorInfo" and getattr(detail, "domain", "") == DOMAIN:
            return reason(detail.reason) or detail.reason
    return ""


def _status_details(trailers: Any) -> tuple[Any, ...]:
    """Unpack google.rpc.Status details from the trailers, if googleapis protos are installed.

    They are optional: the SDK depends on grpcio and protobuf only, so without
    `googleapis-common-protos` the details stay packed as `google.protobuf.Any`.
    """
    raw = None
    for key, value in trailers or ():
        if key == _STATUS_DETAILS_KEY:
            raw = value
            break
    if not raw:
        return ()
    try:
        from google.rpc import (
            error_details_pb2,  # noqa: F401  (registers the detail types)
            status_pb2,
        )
    except ImportError:
        return ()
    from google.protobuf import symbol_database

    status = status_pb2.Status()
    try:
        status.ParseFromString(raw)
    except Exception:  # a malformed trailer must not hide the real error
        return ()
    out: list[Any] = []
    db = symbol_database.Default()
    for any_msg in status.details:
        type_name = any_msg.TypeName()
        try:
            cls = db.GetSymbol(type_name)
        except KeyError:
            out.append(any_msg)
            continue
        msg = cls()
        any_msg.Unpack(msg)
        out.append(msg)
    return tuple(out)
