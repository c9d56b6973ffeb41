"""Fixtures: both clients (`connect`, run once per kind), and a tiny in-process gRPC
server with canned responses (`fake`, `target`) for the tests that need no real server.

Tests against a real server use the shared `server` (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from both import KINDS, open_client
from sdk_fake import Fake

from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
    runs_service_pb2_grpc,
    threads_service_pb2_grpc,
)


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    """'sync' (Client) or 'async' (AsyncClient): every test using `connect` runs on both."""
    return request.param


@pytest.fixture
def connect(kind: str) -> Iterator[Callable[..., Any]]:
    """connect(target, **client_kwargs) -> a client of this run's kind, closed afterwards."""
    with contextlib.ExitStack() as stack:
        yield lambda target, **kwargs: stack.enter_context(open_client(kind, target, **kwargs))


@pytest.fixture(scope="session")
def fake_server() -> Iterator[tuple[Fake, str]]:
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
def fake(fake_server: tuple[Fake, str]) -> Fake:
    fake = fake_server[0]
    fake.__init__()  # a clean script per test
    return fake


@pytest.fixture
def target(fake_server: tuple[Fake, str]) -> str:
    return fake_server[1]
