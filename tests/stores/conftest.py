"""The backends every contract test in this folder runs on.

A backend joins by adding itself to BACKENDS: how to open one on a fresh place
(`tmp_path`), and whether what it keeps outlives the object (`durable`: a
reopened backend on the same place sees it). Each backend is also in the saver
contract's list (tests/checkpoint/test_savers.py) and the memory store's (tests/store).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lockstep.stores import Backend
from lockstep.stores.memory import MemoryBackend
from lockstep.stores.postgres import PostgresBackend
from lockstep.stores.sqlite import SqliteBackend


@dataclass
class Kind:
    open: Callable[[Path | str], Backend]
    durable: bool
    # The place it opens on: tmp_path, or (PostgreSQL) a fresh schema's URL.
    place: Callable[[pytest.FixtureRequest, Path], Path | str] = lambda _request, path: path
    shared: bool = False  # other servers read what it keeps (passing states too)


BACKENDS = {
    "memory": Kind(lambda _path: MemoryBackend(), durable=False),
    "sqlite": Kind(lambda path: SqliteBackend(path / "lockstep.db"), durable=True),
    "postgres": Kind(
        PostgresBackend,
        durable=True,
        place=lambda request, _path: request.getfixturevalue("postgres_url"),
    ),
    # One of several servers on the file: its records are read from the tables.
    "sqlite-replica": Kind(
        lambda path: SqliteBackend(path / "lockstep.db", replica=True),
        durable=True,
        shared=True,
    ),
}


# The backends several servers can share (claims, queue, events and cancels seen
# by every server on the store): how to open one more server's view of `path`,
# with a lease of `lease` seconds.
REPLICA_BACKENDS: dict[str, Callable[[Path, float], Backend]] = {
    "sqlite": lambda path, lease: SqliteBackend(
        path / "lockstep.db", replica=True, lease_seconds=lease
    ),
}


class Opened:
    """The backend under test, and a way to close it and open it again on the same
    place (a server restart), for the durable ones."""

    def __init__(self, kind: Kind, path: Path | str) -> None:
        self.kind = kind
        self.path = path
        self.backend = kind.open(path)

    def reopen(self) -> Backend:
        self.backend.close()
        self.backend = self.kind.open(self.path)
        return self.backend


@pytest.fixture(params=sorted(BACKENDS))
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opened]:
    kind = BACKENDS[request.param]
    opened = Opened(kind, kind.place(request, tmp_path))
    yield opened
    opened.backend.close()


@pytest.fixture
def backend(opened: Opened) -> Backend:
    return opened.backend


@pytest.fixture(params=sorted(name for name, kind in BACKENDS.items() if kind.durable))
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opened]:
    """Only the backends whose records outlive the object: a restart keeps them."""
    kind = BACKENDS[request.param]
    opened = Opened(kind, kind.place(request, tmp_path))
    yield opened
    opened.backend.close()


class Replicas:
    """Servers' views of one shared store; `open()` adds one, all closed at the end."""

    def __init__(self, open_one: Callable[[Path, float], Backend], path: Path) -> None:
        self._open = open_one
        self.path = path
        self.opened: list[Backend] = []

    def open(self, lease: float = 10.0) -> Backend:
        backend = self._open(self.path, lease)
        self.opened.append(backend)
        return backend

    def close(self) -> None:
        for backend in self.opened:
            backend.close()


@pytest.fixture(params=sorted(REPLICA_BACKENDS))
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replicas]:
    """A store several servers share, for tests of what one server sees of another."""
    opened = Replicas(REPLICA_BACKENDS[request.param], tmp_path)
    yield opened
    opened.close()


@pytest.fixture(params=sorted(BACKENDS))
def coordinated(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[float], Backend]]:
    """Opens a backend with a lease of the given seconds."""
    opened: list[Backend] = []

    def open_one(lease: float = 10.0) -> Backend:
        kind = BACKENDS[request.param]
        backend = kind.open(kind.place(request, tmp_path))
        backend.coordination.lease_seconds = lease
        opened.append(backend)
        return backend

    yield open_one
    for backend in opened:
        backend.close()
