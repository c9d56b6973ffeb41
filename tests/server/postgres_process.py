"""A throwaway PostgreSQL server for the tests, and a fresh schema per test on it.

`with PostgresProcess() as pg:` runs `initdb` and `pg_ctl` (from PATH, else from
Debian's /usr/lib/postgresql/<version>/bin) in a temporary directory, listening on a
free loopback port and a socket in that directory; as root it runs them as the
`postgres` user, since PostgreSQL refuses to run as root. `LOCKSTEP_TEST_POSTGRES`
(a postgresql:// URL) points the tests at an existing server instead.

Each test gets a schema of its own (`fresh_url`): creating one costs a
millisecond, a database a second; the URL sets `search_path` to it, so every
connection made from it (a server process's too) sees only that schema.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ENV_URL = "LOCKSTEP_TEST_POSTGRES"
USER = "postgres"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise RuntimeError(
        f"{name} not found: install the PostgreSQL server (`make test` does: apt-get "
        f"install postgresql) or set {ENV_URL}=postgresql://... to use a running one"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresProcess:
    """One PostgreSQL server in `workdir`, started and stopped by the tests."""

    def __init__(self, workdir: Path | None = None, *, durable: bool = False) -> None:
        """`durable=True` keeps PostgreSQL's own settings (fsync on), for benchmarks."""
        # Its own directory under the system's temp dir: the `postgres` user must be
        # able to reach it, which pytest's per-user temp dirs do not allow.
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lockstep-pg-"))
        self.data = self.workdir / "data"
        self.port = _free_port()
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"
        self._as_root = os.geteuid() == 0
        self._durable = durable

    def _run(self, *args: str) -> None:
        command = [_binary(args[0]), *args[1:]]
        if self._as_root:
            command = ["su", USER, "-s", "/bin/sh", "-c", " ".join(map(_quoted, command))]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> PostgresProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.workdir, USER)
            os.chmod(self.workdir, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        # Throwaway: no fsync, so tests do not wait on the disk (durability across a
        # crash of the process is what the tests check, not of the machine).
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200"
        )
        if not self._durable:
            options += " -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.workdir / "postgres.log"), "-w", "-t", "60", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PostgresProcess:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _quoted(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def fresh_url(base_url: str) -> str:
    """A URL on `base_url`'s database whose connections see only a new, empty schema."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base_url else "?"
    return f"{base_url}{joiner}options={quote(f'-csearch_path={schema}')}"


def wait_ready(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
