"""`PostgresStore`: long-term memory in PostgreSQL, shared by every process on the
database, made and used as LangGraph's `langgraph.store.postgres.PostgresStore`:

    with PostgresStore.from_conn_string("postgresql://...") as store:
        store.setup()
        store.put(("users", "42"), "prefs", {"theme": "dark"})

or `PostgresStore(conn)` on a psycopg connection you opened. Its queries are
`SqliteStore`'s (`lockstep.store.sql`), so both order, filter, page and expire
alike (results newest first, as LangGraph's SQL stores order them). Its table
comes with the PostgreSQL backend's schema (`lockstep.stores.postgres.migrations`),
so a server on the same database sees the same items. Needs psycopg 3
(`pip install 'lockstep[postgres]'`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from lockstep.store.base import IndexConfig, TTLConfig, refuse_index
from lockstep.store.sql import SqlStore
from lockstep.store.sweeper import Sweeper

__all__ = ["PostgresStore"]


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database; safe to share between threads (one lock per
    store, over its one connection).

    `ttl` (a `TTLConfig`) sets a default time-to-live and whether reads refresh it;
    `deserializer` turns a stored JSON text into the value dict; `index` (semantic
    search) is refused. `owns_conn=True` closes the connection with the store.
    """

    _NEXT_SEQ = "nextval('store_items_seq')"

    def __init__(
        self,
        conn: Any,
        *,
        deserializer: Callable[[bytes | str], dict[str, Any]] | None = None,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
        owns_conn: bool = False,
    ) -> None:
        refuse_index(index)
        from lockstep.stores.postgres.database import psycopg

        if not isinstance(conn, psycopg().Connection):
            raise TypeError(
                f"PostgresStore takes a psycopg Connection, got {type(conn).__name__}; "
                "for a URL use PostgresStore.from_conn_string(url)"
            )
        self.conn = conn
        self.lock = threading.RLock()
        self.is_setup = False
        self.ttl_config = ttl
        self._deserializer = deserializer or json.loads
        self._sweeper = Sweeper(self.sweep_ttl)
        self._owns_conn = owns_conn

    @classmethod
    @contextmanager
    def from_conn_string(
        cls, conn_string: str, *, index: IndexConfig | None = None, ttl: TTLConfig | None = None
    ) -> Iterator[PostgresStore]:
        """A store on a new connection to `conn_string` (a postgresql:// URL), closed
        when the `with` block ends."""
        refuse_index(index)
        from lockstep.stores.postgres.database import Database

        conn = Database.connect(conn_string)
        store = cls(conn, ttl=ttl, owns_conn=True)
        try:
            yield store
        finally:
            store.close()

    def setup(self) -> None:
        """Create (or bring up to date) the tables; safe to call again, and from
        several processes at once. The first operation calls it when nobody has."""
        from lockstep.stores.postgres.migrations import migrate

        with self.lock:
            if not self.is_setup:
                migrate(self.conn)
                self.is_setup = True

    def close(self) -> None:
        """Stop the TTL sweeper; close the connection if the store owns it."""
        self.stop_ttl_sweeper()
        if self._owns_conn:
            with self.lock:
                self.conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self.lock, self.conn.transaction(), self.conn.cursor() as cur:
            yield cur

    def _sql(self, text: str) -> str:
        return _placeholders(text)


@lru_cache(maxsize=256)
def _placeholders(text: str) -> str:
    """`?` placeholders as psycopg's `%s` (the queries hold no other `?` or `%`)."""
    return text.replace("?", "%s")
