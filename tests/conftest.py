"""Fixtures every test folder shares: the live server, private ones, unique thread ids.

tests/server holds the helpers that start a real server (server_process.py) and
speak to it with the raw stubs (wire.py); every folder may import them.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed seed, so a landing is judged on the same cases
# every time; a developer's run (and `make fuzz`) draws new ones and keeps failures in
# .hypothesis to replay.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))

from server_process import ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> ServerProcess:
    """The shared server: the examples and tests/server/graphs on a fresh SQLite store.

    Its stdout/stderr go to a file that tests read (`server.log()`). Tests that stop or
    restart a server start their own with `spawn_server`.
    """
    with ServerProcess(tmp_path_factory.mktemp("server")) as proc:
        yield proc


@pytest.fixture
def spawn_server(tmp_path):
    """Start private servers (shutdown, restart, auth and TLS tests); all are stopped afterwards."""
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


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    """A PostgreSQL server for the session: LOCKSTEP_TEST_POSTGRES, else a throwaway one."""
    from postgres_process import ENV_URL, PostgresProcess, wait_ready

    if os.environ.get(ENV_URL):
        wait_ready(os.environ[ENV_URL])
        yield os.environ[ENV_URL]
        return
    with PostgresProcess() as pg:
        wait_ready(pg.url)
        yield pg.url


@pytest.fixture
def postgres_url(postgres_base_url: str) -> str:
    """A URL whose connections see a new, empty schema of their own."""
    from postgres_process import fresh_url

    return fresh_url(postgres_base_url)
