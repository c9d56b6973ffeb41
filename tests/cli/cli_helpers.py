"""Running `python -m lockstep ...` as a subprocess (its own module: tests import no conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

CLI_TIMEOUT = 60


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_env(address: str, **extra: str) -> dict[str, str]:
    """This environment without any LOCKSTEP_* variable, pointed at `address`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    env.update(LOCKSTEP_ADDRESS=address, PYTHONUNBUFFERED="1", **extra)
    return env


def run_cli(*args: str, env: dict[str, str]) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "lockstep", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=CLI_TIMEOUT,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
