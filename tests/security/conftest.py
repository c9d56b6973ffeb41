"""Fixtures: a live server with bearer tokens for two tenants, callers for each,
and throw-away certificates."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "cli"))

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
