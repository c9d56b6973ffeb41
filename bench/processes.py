"""The servers a benchmark starts, stopped however the benchmark ends.

A benchmark that fails, is interrupted (Ctrl-C), terminated (SIGTERM) or killed
outright (kill -9) must leave no server behind: each one is started in a `with`
block that stops it on the way out, SIGTERM is turned into an exit that runs
those blocks, and on Linux a server is also told by the kernel to die with the
benchmark's process (PR_SET_PDEATHSIG), the one way a kill -9 is covered.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before it runs: SIGKILL when the process that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def exit_on_sigterm() -> None:
    """Make SIGTERM raise SystemExit, so the `with` blocks stopping servers run."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@contextlib.contextmanager
def started(
    args: list[str], pattern: str, log: Path, cwd: Path | None = None, wait: float = 30
) -> Iterator[re.Match[str]]:
    """Run `python ARGS`, its output in `log`, until the `with` block ends; yields the
    match of `pattern` in its output (the line saying where it serves), waited for."""
    exit_on_sigterm()
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=preexec,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + wait
        while (found := re.search(pattern, log.read_text(errors="replace"))) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(args)} did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield found
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


#: The line `lockstep serve` prints once it listens: group 1 is host:port.
SERVING = r"lockstep serving .* on (\S+:\d+) \(store"
