"""`lockstep inspect`'s own mistakes: a bad or taken --address is a clear line and exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)


def inspect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lockstep", "inspect", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_bad_address_is_refused():
    done = inspect("--address", "localhost")
    assert done.returncode == 2
    assert "--address must be HOST:PORT, got 'localhost'" in done.stderr


def test_a_taken_port_is_refused():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = inspect("--address", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert done.stderr.startswith("lockstep: ") and str(port) in done.stderr
