"""Fixtures: a live server (tests/server's helper) and `lockstep` run as a subprocess against it."""

from __future__ import annotations

import pytest
from cli_helpers import cli_env, run_cli
from server_process import ServerProcess


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
