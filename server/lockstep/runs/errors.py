"""What the run layer refuses, as typed exceptions a host maps to its own statuses.

Each refusal carries a canonical status code (google.rpc.Code's numbers, which
gRPC and HTTP gateways share), a message for a person and a machine-readable
reason; the gRPC service turns them into a status in one place
(`lockstep.service.errors`). A run that fails keeps the same code in its error.
"""

from __future__ import annotations

import enum

from lockstep.errors import (
    CheckpointNotFound,
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
    StateTooLargeError,
)
from lockstep.store.base import InvalidNamespaceError


class Code(enum.IntEnum):
    """The canonical status codes (google.rpc.Code): what a refusal or a run's error is."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class Reason(enum.StrEnum):
    """Why a request was refused, for a program (`ErrorInfo.reason` on the wire): the
    contract's `lockstep.v1.ErrorReason` values without their prefix. Kept here in
    plain Python, as the run layer loads no protobuf; a contract test holds the two
    lists to each other (tests/contract/test_error_reasons.py)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INTERNAL = "INTERNAL"
    GRAPH_NOT_FOUND = "GRAPH_NOT_FOUND"
    THREAD_NOT_FOUND = "THREAD_NOT_FOUND"
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    CHECKPOINT_NOT_FOUND = "CHECKPOINT_NOT_FOUND"
    THREAD_BUSY = "THREAD_BUSY"
    NOTHING_TO_RESUME = "NOTHING_TO_RESUME"
    DRAINING = "DRAINING"
    GRAPH_MISMATCH = "GRAPH_MISMATCH"
    GRAPH_REQUIRED = "GRAPH_REQUIRED"
    UNKNOWN_NODE = "UNKNOWN_NODE"
    UNKNOWN_MULTITASK_STRATEGY = "UNKNOWN_MULTITASK_STRATEGY"
    UNKNOWN_ON_DISCONNECT = "UNKNOWN_ON_DISCONNECT"
    UNKNOWN_DURABILITY = "UNKNOWN_DURABILITY"
    UNKNOWN_STREAM_MODE = "UNKNOWN_STREAM_MODE"
    UNKNOWN_IF_EXISTS = "UNKNOWN_IF_EXISTS"
    BAD_CONFIG = "BAD_CONFIG"
    INVALID_UPDATE = "INVALID_UPDATE"
    STATE_TOO_LARGE = "STATE_TOO_LARGE"
    RECURSION_LIMIT = "RECURSION_LIMIT"
    REPLY_TOO_LARGE = "REPLY_TOO_LARGE"
    TOO_MANY_EVENTS = "TOO_MANY_EVENTS"
    RUN_TIMEOUT = "RUN_TIMEOUT"
    THREAD_EXISTS = "THREAD_EXISTS"
    THREAD_ID_TAKEN = "THREAD_ID_TAKEN"
    TOKEN_MISSING = "TOKEN_MISSING"
    TOKEN_INVALID = "TOKEN_INVALID"
    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    NOT_JSON = "NOT_JSON"
    TOO_DEEP = "TOO_DEEP"
    TOO_LONG = "TOO_LONG"
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
    INVALID_NAMESPACE = "INVALID_NAMESPACE"
    INVALID_FILTER = "INVALID_FILTER"
    NAMESPACE_NOT_FOUND = "NAMESPACE_NOT_FOUND"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"


class RequestError(Exception):
    """A request refused: its status code, a message for a person and a reason for a
    program (`ErrorInfo.reason` on the wire; the subclass's own when not given)."""

    code: Code = Code.INVALID_ARGUMENT
    default_reason: Reason | None = None

    def __init__(self, message: str, reason: Reason | None = None, code: Code | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.reason: Reason = reason or self.default_reason or Reason(self.code.name)


class InvalidArgument(RequestError):
    """The request itself is wrong (a bad field, an unknown name, a malformed value)."""


class NotFound(RequestError):
    """What the request names does not exist (or belongs to another tenant)."""

    code = Code.NOT_FOUND

    def __init__(self, what: str, name: str, message: str = "") -> None:
        super().__init__(message or f"{what} {name!r} not found", Reason(f"{what.upper()}_NOT_FOUND"))


class AlreadyExists(RequestError):
    code = Code.ALREADY_EXISTS


class FailedPrecondition(RequestError):
    """The request is fine but the thread is not in a state to take it."""

    code = Code.FAILED_PRECONDITION


class ThreadBusy(FailedPrecondition):
    """The thread has an active run (or an edit in progress)."""

    default_reason = Reason.THREAD_BUSY


class NothingToResume(FailedPrecondition):
    """A run without input on a thread with nothing to continue from."""

    default_reason = Reason.NOTHING_TO_RESUME


class Draining(RequestError):
    """The server is shutting down and takes no new runs."""

    code = Code.UNAVAILABLE
    default_reason = Reason.DRAINING


class LimitExceeded(RequestError):
    """A run or request went past one of the server's limits (its error_type on the wire)."""

    code = Code.RESOURCE_EXHAUSTED


def classify(exc: BaseException) -> RequestError:
    """A refusal for what a caller's request made the engine (or a conversion) raise."""
    if isinstance(exc, RequestError):
        return exc
    if isinstance(exc, CheckpointNotFound):
        return RequestError(str(exc), Reason.CHECKPOINT_NOT_FOUND, Code.NOT_FOUND)
    if isinstance(exc, StateTooLargeError):
        return RequestError(str(exc), Reason.STATE_TOO_LARGE, Code.RESOURCE_EXHAUSTED)
    if isinstance(exc, GraphRecursionError):  # the run used up the steps its config allows
        return RequestError(str(exc), Reason.RECURSION_LIMIT, Code.RESOURCE_EXHAUSTED)
    if isinstance(exc, InvalidUpdateError):
        return InvalidArgument(str(exc), Reason.INVALID_UPDATE)
    if isinstance(exc, InvalidNamespaceError):  # a store namespace the caller gave
        return InvalidArgument(str(exc), Reason.INVALID_NAMESPACE)
    if isinstance(exc, EmptyInputError):
        return NothingToResume(str(exc))
    if isinstance(exc, NotImplementedError):  # a LangGraph feature Lockstep lacks as yet
        return RequestError(str(exc), Reason.NOT_IMPLEMENTED, Code.UNIMPLEMENTED)
    if isinstance(exc, TypeError | ValueError):
        return InvalidArgument(str(exc))
    return RequestError(f"internal error: {type(exc).__name__}: {exc}", code=Code.INTERNAL)
