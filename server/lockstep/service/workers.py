"""`lockstep serve --workers N`: N server processes on one port, one store.

A Python process runs on one core; N processes use N. Each worker is a whole
`lockstep serve --replica` on the same address: gRPC listens with SO_REUSEPORT,
so the kernel spreads new connections over them, and the store (a SQLite file)
keeps them one server (see `lockstep.stores.coordination`). This parent only
starts them, relays what they print, restarts one that dies (its runs are taken
over by the others meanwhile), passes SIGUSR1/SIGHUP on, and on SIGTERM or
SIGINT stops them all (each lets its runs reach a checkpoint) and then itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

_LISTENING = re.compile(r"lockstep serving (.*) on (\S+):(\d+) \(store ")
_READY_SECONDS = 120.0
_PR_SET_PDEATHSIG = 1


def count(value: str) -> int:
    """`--workers`: a positive number, or "auto" for the machine's cores."""
    if value == "auto":
        return os.cpu_count() or 1
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"--workers must be a positive number or auto, got {value!r}")
    return number


def run(argv: Sequence[str], address: str, store: str, workers: int) -> int:
    """Serve with `workers` processes of `lockstep serve ARGV` (ARGV without --address,
    --workers and --replica); returns the exit code once they all stopped."""
    if not store.startswith("sqlite:///"):
        raise ValueError(
            "--workers needs a store the workers share: a sqlite:/// file "
            "(replicas on PostgreSQL are not built yet)"
        )
    host, _, port = address.rpartition(":")
    reserved = None
    if port == "0":
        # One port for all: pick a free one, held (bound, not listening) until they listen.
        reserved = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET)
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserved.bind((host.strip("[]"), 0))
        port = str(reserved.getsockname()[1])
    address = f"{host}:{port}"
    command = [sys.executable, "-m", "lockstep", "serve", "--address", address, "--replica"]
    command += list(argv)
    pool = _Pool(command, workers)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    for sig in (signal.SIGUSR1, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: pool.signal(number))
    try:
        graphs = pool.start_all()
        print(
            f"lockstep serving {graphs} on {host}:{port} (store {store}, {workers} workers "
            f"sharing the port): pids {' '.join(str(p) for p in pool.pids())}",
            flush=True,
        )
        if reserved is not None:
            reserved.close()
            reserved = None
        while not stop.wait(0.5):
            pool.restart_dead()
        print("lockstep: stopping the workers", flush=True)
        return pool.stop_all()
    finally:
        if reserved is not None:
            reserved.close()
        pool.kill_all()


class _Pool:
    def __init__(self, command: list[str], size: int) -> None:
        self.command = command
        self.procs: list[subprocess.Popen | None] = [None] * size
        self.ready = [threading.Event() for _ in range(size)]
        self.graphs = ""
        self.stopping = False
        self._print_lock = threading.Lock()

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None]

    def start_all(self) -> str:
        for i in range(len(self.procs)):
            self._start(i)
        deadline = time.monotonic() + _READY_SECONDS
        for i, ready in enumerate(self.ready):
            while not ready.wait(0.1):
                proc = self.procs[i]
                if proc is not None and proc.poll() is not None:
                    raise OSError(f"worker {i} exited with code {proc.returncode} while starting")
                if time.monotonic() > deadline:
                    raise OSError(f"worker {i} was not serving within {_READY_SECONDS:.0f}s")
        return self.graphs

    def _start(self, i: int) -> None:
        self.ready[i].clear()
        proc = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.procs[i] = proc
        threading.Thread(target=self._relay, args=(i, proc), daemon=True).start()

    def _relay(self, i: int, proc: subprocess.Popen) -> None:
        """Print the worker's lines as the parent's, marked with its number."""
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            found = _LISTENING.search(line)
            if found:
                self.graphs = found.group(1)
                self.ready[i].set()
                line = line.replace("lockstep serving", "lockstep: worker serving", 1)
            with self._print_lock:  # whole lines: two workers' never run together
                sys.stdout.write(f"[worker {i} pid {proc.pid}] {line}\n")
                sys.stdout.flush()

    def restart_dead(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is not None and not self.stopping:
                print(
                    f"lockstep: worker {i} (pid {proc.pid}) exited with code "
                    f"{proc.returncode}; starting another",
                    flush=True,
                )
                self._start(i)

    def signal(self, number: int) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(number)

    def stop_all(self) -> int:
        """SIGTERM every worker and wait: 0 if all stopped cleanly."""
        self.stopping = True
        self.signal(signal.SIGTERM)
        code = 0
        for proc in self.procs:
            if proc is not None:
                proc.wait()
                code = code or proc.returncode
        return code

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def _die_with_parent() -> None:
    """In the worker, before it runs: the kernel ends it if the parent dies (kill -9)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
