"""errors: one function turns any grpc.RpcError into the SDK exception that keeps its code."""

from __future__ import annotations

import grpc
import pytest

from lockstep_client import errors
from lockstep_client.errors import (
    AbortedError,
    CallCancelledError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    LockstepError,
    NotFoundError,
    PermissionDeniedError,
    Reason,
    RunFailedError,
    ThreadBusyError,
    UnauthenticatedError,
    UnavailableError,
    from_rpc_error,
)


class FakeRpcError(grpc.RpcError, grpc.Call):
    """Stands in for the error grpc raises from a failed sync call."""

    def __init__(self, code, details="", trailers=()):
        self._code, self._details, self._trailers = code, details, trailers

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers

    def initial_metadata(self):
        return ()

    def is_active(self):
        return False

    def time_remaining(self):
        return None

    def cancel(self):
        return False

    def add_callback(self, callback):
        return False


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (grpc.StatusCode.NOT_FOUND, NotFoundError),
        (grpc.StatusCode.INVALID_ARGUMENT, InvalidArgumentError),
        (grpc.StatusCode.FAILED_PRECONDITION, FailedPreconditionError),
        (grpc.StatusCode.ABORTED, AbortedError),
        (grpc.StatusCode.UNAUTHENTICATED, UnauthenticatedError),
        (grpc.StatusCode.PERMISSION_DENIED, PermissionDeniedError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, DeadlineExceededError),
        (grpc.StatusCode.UNAVAILABLE, UnavailableError),
        (grpc.StatusCode.INTERNAL, InternalError),
    ],
)
def test_each_code_has_its_class(code, cls):
    exc = from_rpc_error(FakeRpcError(code, "thread '7' not found"))
    assert type(exc) is cls
    assert isinstance(exc, LockstepError)
    assert exc.code is code
    assert exc.message == "thread '7' not found"
    assert code.name in str(exc)


def test_unmapped_code_is_the_base_class():
    exc = from_rpc_error(FakeRpcError(grpc.StatusCode.DATA_LOSS, "gone"))
    assert type(exc) is LockstepError and exc.code is grpc.StatusCode.DATA_LOSS


def test_aio_error_maps_the_same_way():
    aio_err = grpc.aio.AioRpcError(
        grpc.StatusCode.NOT_FOUND,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(),
        details="graph 'nope' not found",
    )
    exc = from_rpc_error(aio_err)
    assert isinstance(exc, NotFoundError) and exc.message == "graph 'nope' not found"


def test_status_details_are_unpacked():
    status_pb2 = pytest.importorskip("google.rpc.status_pb2")
    error_details_pb2 = pytest.importorskip("google.rpc.error_details_pb2")
    info = error_details_pb2.ErrorInfo(reason="THREAD_NOT_FOUND", domain="lockstep")
    status = status_pb2.Status(code=5, message="thread '7' not found")
    status.details.add().Pack(info)
    trailers = (("grpc-status-details-bin", status.SerializeToString()),)
    exc = from_rpc_error(FakeRpcError(grpc.StatusCode.NOT_FOUND, "x", trailers))
    assert exc.details == (info,)


def test_malformed_details_do_not_hide_the_error():
    trailers = (("grpc-status-details-bin", b"\xff\xff\xff"),)
    exc = from_rpc_error(FakeRpcError(grpc.StatusCode.INTERNAL, "boom", trailers))
    assert isinstance(exc, InternalError) and exc.details == ()


def test_run_failed_error_names_the_node():
    exc = RunFailedError(
        "division by zero",
        errors.status_code_from_number(2),
        node="step_2",
        error_type="ZeroDivisionError",
    )
    assert exc.code is grpc.StatusCode.UNKNOWN
    assert str(exc) == "run failed in node 'step_2': ZeroDivisionError: division by zero"
    assert exc.node == "step_2"


def _refusal(code: grpc.StatusCode, reason: str, domain: str = "lockstep.dev") -> FakeRpcError:
    status_pb2 = pytest.importorskip("google.rpc.status_pb2")
    error_details_pb2 = pytest.importorskip("google.rpc.error_details_pb2")
    status = status_pb2.Status(code=code.value[0], message="refused")
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason=reason, domain=domain))
    return FakeRpcError(code, "refused", (("grpc-status-details-bin", status.SerializeToString()),))


def test_the_reason_is_the_protos_error_reason():
    exc = from_rpc_error(_refusal(grpc.StatusCode.NOT_FOUND, "RUN_NOT_FOUND"))
    assert type(exc) is NotFoundError
    assert exc.reason is Reason.RUN_NOT_FOUND and exc.reason == "RUN_NOT_FOUND"


def test_a_busy_thread_is_its_own_class_and_still_a_failed_precondition():
    exc = from_rpc_error(_refusal(grpc.StatusCode.FAILED_PRECONDITION, "THREAD_BUSY"))
    assert type(exc) is ThreadBusyError and isinstance(exc, FailedPreconditionError)
    assert exc.reason is Reason.THREAD_BUSY and exc.code is grpc.StatusCode.FAILED_PRECONDITION


def test_a_reason_this_sdk_does_not_know_is_kept_as_sent():
    exc = from_rpc_error(_refusal(grpc.StatusCode.FAILED_PRECONDITION, "SOMETHING_NEW"))
    assert type(exc) is FailedPreconditionError and exc.reason == "SOMETHING_NEW"
    other = from_rpc_error(_refusal(grpc.StatusCode.FAILED_PRECONDITION, "THREAD_BUSY", "x.dev"))
    assert type(other) is FailedPreconditionError and other.reason == ""


def test_the_call_cancelled_error_does_not_shadow_asyncios():
    import asyncio

    import lockstep_client

    assert not hasattr(lockstep_client, "CancelledError")
    exc = from_rpc_error(FakeRpcError(grpc.StatusCode.CANCELLED, "cancelled"))
    assert type(exc) is CallCancelledError and not isinstance(exc, asyncio.CancelledError)
