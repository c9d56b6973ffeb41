"""A tiny in-process gRPC server with canned responses, so SDK tests need no real Lockstep server."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from sdk_fake import Fake

from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
    runs_service_pb2_grpc,
    threads_service_pb2_grpc,
)


@pytest.fixture(scope="session")
def server() -> Iterator[tuple[Fake, str]]:
    fake = Fake()
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    runs_service_pb2_grpc.add_RunsServicer_to_server(fake, srv)
    threads_service_pb2_grpc.add_ThreadsServicer_to_server(fake, srv)
    graphs_service_pb2_grpc.add_GraphsServicer_to_server(fake, srv)
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    yield fake, f"127.0.0.1:{port}"
    srv.stop(None)


@pytest.fixture
def fake(server: tuple[Fake, str]) -> Fake:
    fake = server[0]
    fake.__init__()  # a clean script per test
    return fake


@pytest.fixture
def target(server: tuple[Fake, str]) -> str:
    return server[1]
