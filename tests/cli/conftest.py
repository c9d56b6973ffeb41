"""Fixtures: a live server (tests/server's helper) and `lockstep` run as a subprocess against it."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from cli_helpers import cli_env, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_process import ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> ServerProcess:
    """Examples + test graphs (slow, flaky, counter) on a fresh SQLite store."""
    proc = ServerProcess(tmp_path_factory.mktemp("cli-server")).start()
    yield proc
    proc.stop()


@pytest.fixture
def lockstep(server):
    """lockstep("state", "t1") -> Result(code, out, err): `python -m lockstep ...` on the server."""

    def run(*args: str, env: dict[str, str] | None = None):
        return run_cli(*args, env=env or cli_env(server.address))

    return run


@pytest.fixture
def tid(request):
    """Thread ids unique to this test run: tid("2") -> "test_name-2-1a2b3c4d"."""
    run = uuid.uuid4().hex[:8]

    def make(label: str = "t") -> str:
        return f"{request.node.name}-{label}-{run}"

    return make
