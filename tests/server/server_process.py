"""A real `python -m lockstep serve` process on a free loopback port (port 0: the server
prints the port it got), its log file, readiness by grpc.health.v1, and its stubs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
    runs_service_pb2_grpc,
    store_service_pb2_grpc,
    threads_service_pb2_grpc,
)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLES_DIR = ROOT / "server" / "lockstep" / "examples"
EXAMPLES = ("dynamic_breakpoints", "approval", "breakpoints", "map_reduce", "nested")
TEST_GRAPHS = ("slow", "flaky", "counter", "configured", "ticket", "chat")
ALL_GRAPH_SPECS = tuple(f"{name}={EXAMPLES_DIR / name}.py:graph" for name in EXAMPLES) + tuple(
    f"{name}={HERE / 'graphs' / name}.py:graph" for name in TEST_GRAPHS
)
READY_TIMEOUT = 30.0
_LISTENING = re.compile(r"lockstep serving .* on (\S+):(\d+) \(store")


class ServerProcess:
    """One server process: start it, wait for SERVING, talk to it, stop it."""

    def __init__(
        self,
        workdir: Path,
        *,
        store: str | None = None,
        graphs: tuple[str, ...] = ALL_GRAPH_SPECS,
        extra_args: tuple[str, ...] = (),
        name: str = "server",
        env: dict[str, str] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        command: tuple[str, ...] = (sys.executable, "-m", "lockstep"),
    ) -> None:
        """`env`: extra environment variables; `credentials`: TLS for the test's channel;
        `command`: how to run lockstep (e.g. the `lockstep` script of another venv)."""
        self.workdir = workdir
        self.store = store or f"sqlite:///{workdir / 'lockstep.db'}"
        self.graphs = graphs
        self.extra_args = extra_args
        self.env = env or {}
        self.credentials = credentials
        self.command = command
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.address = ""
        self._channel: grpc.Channel | None = None
        self._log_offset = 0

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> ServerProcess:
        args = [*self.command, "serve", "--address", "127.0.0.1:0"]
        args += ["--store", self.store]
        for spec in self.graphs:
            args += ["--graph", spec]
        args += list(self.extra_args)
        # A developer's LOCKSTEP_AUTH_TOKEN must not turn authentication on for every test.
        inherited = {k: v for k, v in os.environ.items() if k != "LOCKSTEP_AUTH_TOKEN"}
        env = {**inherited, "PYTHONUNBUFFERED": "1", **self.env}
        # Append, so a restart on the same workdir keeps the first process's lines too.
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            self.proc = subprocess.Popen(
                args, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            self._wait_ready()
        except BaseException:  # a failed start (a timeout's interrupt too) leaves no process
            self.stop()
            raise
        return self

    def __enter__(self) -> ServerProcess:
        """`with ServerProcess(...) as server:` starts it, and stops it however the block ends."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _fail(self, why: str) -> None:
        raise RuntimeError(f"lockstep server {why}; its log ({self.log_path}):\n{self.log()}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.address:
            if self.proc.poll() is not None:
                self._fail(f"exited with code {self.proc.returncode} before listening")
            found = _LISTENING.search(self.log()[self._log_offset_chars() :])
            if found:
                self.address = f"{found.group(1)}:{found.group(2)}"
                break
            if time.monotonic() > deadline:
                self._fail(f"did not print its address within {READY_TIMEOUT}s")
            time.sleep(0.05)
        health = health_pb2_grpc.HealthStub(self.channel)
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail(f"exited with code {self.proc.returncode} while starting")
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = RuntimeError(f"health status {reply.status}")
            except grpc.RpcError as err:
                last = err
            time.sleep(0.05)
        self._fail(f"was not SERVING within {READY_TIMEOUT}s (last: {last})")

    def _log_offset_chars(self) -> int:
        return len(self.log_path.read_bytes()[: self._log_offset].decode(errors="replace"))

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait for the exit code; kill if it hangs (and say so)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise RuntimeError(
                    f"server ignored SIGTERM for {timeout}s and was killed; log:\n{self.log()}"
                ) from None
        self.close_channel()  # after the exit: streams in flight keep reading until then
        return self.proc.returncode

    def stop(self) -> None:
        """Teardown: like terminate, but never raises."""
        if self.proc is None:
            return
        self.close_channel()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    # -- talking to it -----------------------------------------------------------

    @property
    def channel(self) -> grpc.Channel:
        if self._channel is None:
            if self.credentials is not None:
                self._channel = grpc.secure_channel(self.address, self.credentials)
            else:
                self._channel = grpc.insecure_channel(self.address)
        return self._channel

    def close_channel(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    @property
    def graphs_stub(self) -> graphs_service_pb2_grpc.GraphsStub:
        return graphs_service_pb2_grpc.GraphsStub(self.channel)

    @property
    def threads(self) -> threads_service_pb2_grpc.ThreadsStub:
        return threads_service_pb2_grpc.ThreadsStub(self.channel)

    @property
    def runs(self) -> runs_service_pb2_grpc.RunsStub:
        return runs_service_pb2_grpc.RunsStub(self.channel)

    @property
    def store_stub(self) -> store_service_pb2_grpc.StoreStub:
        return store_service_pb2_grpc.StoreStub(self.channel)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_mark(self) -> int:
        """A position in the log; `log_since(mark)` is what was printed after it."""
        return len(self.log())

    def log_since(self, mark: int) -> str:
        return self.log()[mark:]
