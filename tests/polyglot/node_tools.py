"""Node.js for the clients under clients/: node and npm from PATH, and `npm ci` run once
per lock file.

Without node or npm a test fails (it does not skip): the contract's promise to other
languages is part of what is tested.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NPM_TIMEOUT = 240
# Written into node_modules after a successful `npm ci`: the sha256 of the lock file it
# installed, so a changed package-lock.json installs again.
STAMP_NAME = ".lockstep-npm-ci"


def tool(name: str) -> str:
    """The path of `node` or `npm`; the test fails with how to get it when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not on PATH: the clients under clients/ need Node.js 20+ and npm. "
            "Install them (e.g. apt-get install nodejs npm) and run the tests again."
        )
    return path


def show(proc: subprocess.CompletedProcess) -> str:
    return f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def ensure_node_modules(client: Path) -> None:
    """`npm ci` in client unless its node_modules was installed from this very lock file.

    A lock in the temp directory keeps two concurrent test runs from installing at once."""
    npm = tool("npm")
    wanted = hashlib.sha256((client / "package-lock.json").read_bytes()).hexdigest()
    stamp = client / "node_modules" / STAMP_NAME
    key = hashlib.sha256(str(client).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"lockstep-npm-ci-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().strip() == wanted:
            return
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=client,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
        if proc.returncode != 0:
            pytest.fail(f"`npm ci` in {client} failed ({proc.returncode}):\n{show(proc)}")
        stamp.write_text(wanted + "\n")
