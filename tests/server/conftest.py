"""Fixtures: the shared live server (private ones and thread ids: tests/conftest.py).

The session server hosts the examples and the test graphs in graphs/ on a fresh
SQLite store; its stdout/stderr go to a file that tests read (`server.log()`).
Tests that stop or restart a server start their own with `spawn_server`.
"""

from __future__ import annotations

import pytest
from server_process import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> ServerProcess:
    """The shared server: examples + test graphs, SQLite store in a fresh directory."""
    proc = ServerProcess(tmp_path_factory.mktemp("server")).start()
    yield proc
    proc.stop()
