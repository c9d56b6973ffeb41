"""A real `python -m lockstep inspect` process on a free loopback port, pointed at a server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from server_process import EXAMPLES_DIR
from server_process import HERE as SERVER_TESTS

# The graphs the inspected server hosts: the seed's, one with a subgraph, and one slow
# enough to cancel.
GRAPHS = (
    f"dynamic_breakpoints={EXAMPLES_DIR / 'dynamic_breakpoints.py'}:graph",
    f"nested={EXAMPLES_DIR / 'nested.py'}:graph",
    f"slow={SERVER_TESTS / 'graphs' / 'slow.py'}:graph",
)
READY_TIMEOUT = 30.0
_LISTENING = re.compile(r"lockstep inspector on (http://\S+/)")
# Loopback calls must not go through a proxy the machine may have configured.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class InspectorProcess:
    """`lockstep inspect --address 127.0.0.1:0 --target TARGET [extra args]`; `url` once up."""

    def __init__(self, workdir: Path, target: str, extra_args: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.target = target
        self.extra_args = extra_args
        self.log_path = workdir / "inspector.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> InspectorProcess:
        args = [sys.executable, "-m", "lockstep", "inspect", "--address", "127.0.0.1:0"]
        args += ["--target", self.target, *self.extra_args]
        env = {k: v for k, v in os.environ.items() if k != "LOCKSTEP_TOKEN"}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.url:
            if self.proc.poll() is not None:
                raise RuntimeError(f"inspector exited {self.proc.returncode}:\n{self.log()}")
            found = _LISTENING.search(self.log())
            if found:
                self.url = found.group(1)
            elif time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"inspector did not start:\n{self.log()}")
            else:
                time.sleep(0.05)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def request(self, path: str, body: Any = None) -> tuple[int, Any, str]:
        """(HTTP status, JSON document or None, raw text) of GET path, or POST body as JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url.rstrip("/") + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with _OPENER.open(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        return status, doc, text
