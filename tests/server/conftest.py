"""Fixtures: the shared live server, private servers for shutdown tests, unique thread ids.

The session server hosts the examples and the test graphs in graphs/ on a fresh
SQLite store; its stdout/stderr go to a file that tests read (`server.log()`).
Tests that stop or restart a server start their own with `spawn_server`.
"""

from __future__ import annotations

import uuid

import pytest
from server_process import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> ServerProcess:
    """The shared server: examples + test graphs, SQLite store in a fresh directory."""
    proc = ServerProcess(tmp_path_factory.mktemp("server")).start()
    yield proc
    proc.stop()


@pytest.fixture
def spawn_server(tmp_path):
    """Start private servers (for shutdown and restart tests); all are stopped afterwards."""
    started: list[ServerProcess] = []

    def spawn(**kwargs) -> ServerProcess:
        kwargs.setdefault("name", f"server{len(started)}")
        proc = ServerProcess(tmp_path, **kwargs).start()
        started.append(proc)
        return proc

    yield spawn
    for proc in started:
        proc.stop()


@pytest.fixture
def tid(request):
    """Thread ids unique to this test run: tid("2") -> "test_name-2-1a2b3c4d"."""
    run = uuid.uuid4().hex[:8]

    def make(label: str = "t") -> str:
        return f"{request.node.name}-{label}-{run}"

    return make
