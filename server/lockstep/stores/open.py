"""Opening the server's storage from a URL: the backend its scheme names."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from lockstep.stores.base import Backend
from lockstep.stores.coordination import DEFAULT_LEASE_SECONDS
from lockstep.stores.memory import MemoryBackend

DEFAULT_STORE = "sqlite:///.lockstep/lockstep.db"


def redacted(url: str) -> str:
    """A store URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


def open_store(
    url: str = DEFAULT_STORE,
    *,
    password: str | None = None,
    replica: bool = False,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> Backend:
    """`memory://`, `sqlite:///PATH` (a relative PATH, or `sqlite:////abs/path`) or
    `postgresql://USER:PASSWORD@HOST:PORT/DB` (also `postgres://`; without a
    password in the URL, `password`, else libpq's PGPASSWORD or ~/.pgpass).
    `replica`: this server is one of several on the store (see `coordination`)."""
    if url in ("memory://", "memory"):
        if replica:
            raise ValueError("memory:// lives in one process: replicas need a store file")
        return MemoryBackend(url)
    if url.startswith("sqlite:///"):
        from lockstep.stores.sqlite import SqliteBackend

        path = url.removeprefix("sqlite:///")
        if not path:
            raise ValueError("sqlite:/// needs a file path, e.g. sqlite:///.lockstep/lockstep.db")
        return SqliteBackend(path, url, replica=replica, lease_seconds=lease_seconds)
    if url.startswith(("postgresql://", "postgres://")):
        from lockstep.stores.postgres.database import psycopg

        psycopg()  # says what to install when it is missing
        if replica:
            raise ValueError(
                "replicas on PostgreSQL are not built yet: its backend keeps claims, "
                "queue and events in memory (one server); use a sqlite:/// file"
            )
        from lockstep.stores.postgres import PostgresBackend

        return PostgresBackend(url, password=password)
    raise ValueError(
        f"unknown store {url!r}: use memory://, sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST:PORT/DB"
    )
