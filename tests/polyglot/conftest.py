"""Fixtures for clients in other languages: a real server process (tests/server's helper)."""

from __future__ import annotations

import pytest
from server_process import ServerProcess


@pytest.fixture
def live_server(tmp_path) -> ServerProcess:
    """`python -m lockstep serve --address 127.0.0.1:0 --store memory://`, the default
    graphs (the examples, the seed graph as `dynamic_breakpoints`), stopped afterwards."""
    proc = ServerProcess(tmp_path, store="memory://", graphs=()).start()
    yield proc
    proc.stop()
