"""Raw stubs that carry a caller's bearer token on every call (or none)."""

from __future__ import annotations

import collections

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
    runs_service_pb2_grpc,
    store_service_pb2_grpc,
    threads_service_pb2_grpc,
)

TOKENS = {"alice": "alice-token-1", "bob": "bob-token-2"}  # the test server's tenants


class _Details(
    collections.namedtuple(
        "_Details",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class _Bearer(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds `authorization: <value>` to every call."""

    def __init__(self, value: str) -> None:
        self.header = ("authorization", value)

    def _with(self, d: grpc.ClientCallDetails) -> _Details:
        metadata = (*(d.metadata or ()), self.header)
        return _Details(d.method, d.timeout, metadata, d.credentials, d.wait_for_ready, d.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with(details), requests)


class Caller:
    """One caller's stubs on `channel`: `authorization` is the whole header value
    ('Bearer tok'), or None to send none."""

    def __init__(self, channel: grpc.Channel, authorization: str | None) -> None:
        if authorization is not None:
            channel = grpc.intercept_channel(channel, _Bearer(authorization))
        self.channel = channel
        self.graphs = graphs_service_pb2_grpc.GraphsStub(channel)
        self.threads = threads_service_pb2_grpc.ThreadsStub(channel)
        self.runs = runs_service_pb2_grpc.RunsStub(channel)
        self.store = store_service_pb2_grpc.StoreStub(channel)
        self.reflection = reflection_pb2_grpc.ServerReflectionStub(channel)

    def list_services(self) -> list[str]:
        """The services reflection names."""
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        replies = list(self.reflection.ServerReflectionInfo(iter([request]), timeout=30))
        return sorted(s.name for s in replies[0].list_services_response.service)

