"""The seed scenario from a second language: clients/node (Node.js, @grpc/grpc-js and
@grpc/proto-loader reading protos/ at run time) against a real server process.

Needs node and npm on PATH; `npm ci` runs when clients/node/node_modules is missing or
was installed from another package-lock.json. Without node or npm the test fails (it
does not skip): the contract's promise to other languages is part of what is tested.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_CLIENT = ROOT / "clients" / "node"
LOCKFILE = NODE_CLIENT / "package-lock.json"
NODE_MODULES = NODE_CLIENT / "node_modules"
# Written after a successful `npm ci`: the sha256 of the package-lock.json it installed.
STAMP = NODE_MODULES / ".lockstep-npm-ci"
NPM_TIMEOUT = 240
NODE_TIMEOUT = 120

pytestmark = pytest.mark.timeout(NPM_TIMEOUT + NODE_TIMEOUT + 60)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not on PATH: the Node.js client test (clients/node) needs Node.js 20+ "
            "and npm. Install them (e.g. apt-get install nodejs npm) and run the tests again."
        )
    return path


def _show(proc: subprocess.CompletedProcess) -> str:
    return f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def ensure_node_modules() -> None:
    """`npm ci` in clients/node unless node_modules was installed from this very lock file.

    A lock in the temp directory keeps two concurrent test runs from installing at once."""
    npm = _tool("npm")
    wanted = hashlib.sha256(LOCKFILE.read_bytes()).hexdigest()
    key = hashlib.sha256(str(NODE_CLIENT).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"lockstep-npm-ci-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if STAMP.exists() and STAMP.read_text().strip() == wanted:
            return
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_CLIENT,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
        if proc.returncode != 0:
            pytest.fail(f"`npm ci` in {NODE_CLIENT} failed ({proc.returncode}):\n{_show(proc)}")
        STAMP.write_text(wanted + "\n")


def test_node_client_runs_the_seed_scenario(live_server):
    node = _tool("node")
    ensure_node_modules()
    env = {**os.environ, "LOCKSTEP_ADDRESS": live_server.address}
    proc = subprocess.run(
        [node, "--test", "seed.mjs"],
        cwd=NODE_CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
    )
    assert proc.returncode == 0, (
        f"`node --test seed.mjs` against {live_server.address} failed ({proc.returncode}):\n"
        f"{_show(proc)}\n--- server log ---\n{live_server.log()}"
    )
    # The runner really ran the scenario (not zero tests).
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, _show(proc)
