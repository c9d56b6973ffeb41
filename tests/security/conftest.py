"""Fixtures: a live server with bearer tokens for two tenants, callers for each,
throw-away certificates, and unique thread ids."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "server"), str(TESTS / "cli")]

from callers import TOKENS, Caller  # noqa: E402
from certs import Certs, make_certs  # noqa: E402
from server_process import ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def tokens_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "tokens"
    lines = ["# test tokens: TOKEN TENANT", ""]
    lines += [f"{token} {tenant}  # {tenant}'s" for tenant, token in TOKENS.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory, tokens_file) -> ServerProcess:
    """Examples + test graphs; every call but health needs alice's or bob's token."""
    proc = ServerProcess(
        tmp_path_factory.mktemp("auth-server"), extra_args=("--auth-tokens", str(tokens_file))
    ).start()
    yield proc
    proc.stop()


@pytest.fixture
def alice(auth_server) -> Caller:
    return Caller(auth_server.channel, f"Bearer {TOKENS['alice']}")


@pytest.fixture
def bob(auth_server) -> Caller:
    return Caller(auth_server.channel, f"Bearer {TOKENS['bob']}")


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def spawn_server(tmp_path):
    """Start private servers; all are stopped afterwards."""
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
    """Thread ids unique to this test run."""
    run = uuid.uuid4().hex[:8]

    def make(label: str = "t") -> str:
        return f"{request.node.name}-{label}-{run}"

    return make
