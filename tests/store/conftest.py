"""The store backends every contract test in this folder runs on, and a clock the
tests move by hand (TTL expiry without sleeping).

A backend is added by giving `Backend` a way to open a fresh, empty store and the
order its `search` returns items in (`"newest_first"` for the SQL stores, as
LangGraph's SQL stores order results).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lockstep.store import base
from lockstep.store.memory import InMemoryStore
from lockstep.store.postgres import PostgresStore
from lockstep.store.sqlite import SqliteStore


@dataclass
class Backend:
    name: str
    # "insertion": first-written first (LangGraph's InMemoryStore);
    # "newest_first": most recently updated first (LangGraph's SQL stores).
    order: str
    open: Callable[..., base.BaseStore]


class Clock:
    """The time the stores read; starts at a fixed instant and moves only when told."""

    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(base, "now", clock)
    return clock


def _memory(tmp_path: Path, stack: contextlib.ExitStack) -> Callable[..., base.BaseStore]:
    return lambda **kwargs: InMemoryStore(**kwargs)


def _sqlite(tmp_path: Path, stack: contextlib.ExitStack) -> Callable[..., base.BaseStore]:
    def open_store(**kwargs: Any) -> base.BaseStore:
        store = stack.enter_context(
            SqliteStore.from_conn_string(str(tmp_path / "store.db"), **kwargs)
        )
        store.setup()
        return store

    return open_store


def _postgres(url: str, stack: contextlib.ExitStack) -> Callable[..., base.BaseStore]:
    def open_store(**kwargs: Any) -> base.BaseStore:
        store = stack.enter_context(PostgresStore.from_conn_string(url, **kwargs))
        store.setup()
        return store

    return open_store


BACKENDS = {
    "memory": ("insertion", _memory),
    "sqlite": ("newest_first", _sqlite),
    "postgres": ("newest_first", _postgres),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    order, factory = BACKENDS[request.param]
    # PostgreSQL's place is a fresh schema on the session's server.
    place = request.getfixturevalue("postgres_url") if request.param == "postgres" else tmp_path
    with contextlib.ExitStack() as stack:
        yield Backend(request.param, order, factory(place, stack))


@pytest.fixture
def store(backend: Backend) -> base.BaseStore:
    return backend.open()
