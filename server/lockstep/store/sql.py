"""What the SQL stores (`SqliteStore`, `PostgresStore`) share: the queries that
read and write `store_items`, written once with `?` placeholders (a store that
takes another style converts them in `_sql`), over a transaction the store opens.
The filter, namespace and TTL rules are `lockstep.store.matching`'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from lockstep.store import base
from lockstep.store.base import (
    GetOp,
    Item,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    SyncBatchedStore,
)
from lockstep.store.matching import expiry, list_namespaces, matches, page, split_batch
from lockstep.store.sweeper import SweepsTTL

__all__ = ["SqlStore"]


def _micros(at: datetime) -> int:
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


def _prefix_text(namespace: tuple[str, ...]) -> str:
    return ".".join(namespace)


def _namespace(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


def _under(namespace: tuple[str, ...]) -> tuple[str, list[Any]]:
    """SQL for "prefix is `namespace` or below it". Labels hold no '.', and '/' is
    the character after '.', so the range is exactly the descendants (and an index
    can serve it)."""
    if not namespace:
        return "TRUE", []
    text = _prefix_text(namespace)
    return "(prefix = ? OR (prefix > ? AND prefix < ?))", [text, text + ".", text + "/"]


_LIVE = "(expires_at IS NULL OR expires_at > ?)"


class SqlStore(SweepsTTL, SyncBatchedStore):
    """The queries of a store whose items are rows of `store_items`. A subclass
    sets `is_setup`, `ttl_config`, `_deserializer` and `_sweeper`, and gives
    `setup` and `_transaction` (a cursor inside one transaction, under its lock)."""

    supports_ttl = True
    #: The next `seq` (write order) for a row written now.
    _NEXT_SEQ = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM store_items)"
    is_setup: bool
    ttl_config: Any
    _deserializer: Callable[[Any], Any]

    def setup(self) -> None:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        """A query in the placeholder style of the store's driver (`?` as written)."""
        return text

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        reads, writes = split_batch(ops)
        results: list[Result] = [None] * len(ops)
        if not self.is_setup:
            self.setup()
        with self._transaction() as cur:
            at = _micros(base.now())
            for i, op in reads:
                results[i] = self._read(cur, op, at)
            for op in writes:
                self._put(cur, op, at)
        return results

    def sweep_ttl(self) -> int:
        """Delete every expired item now; how many were deleted."""
        if not self.is_setup:
            self.setup()
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    "DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= ?"
                ),
                (_micros(base.now()),),
            )
            return cur.rowcount

    def _read(self, cur: Any, op: Op, at: int) -> Result:
        if isinstance(op, GetOp):
            return self._get(cur, op, at)
        if isinstance(op, SearchOp):
            return self._search(cur, op, at)
        prefixes = cur.execute(
            self._sql(f"SELECT DISTINCT prefix FROM store_items WHERE {_LIVE}"), (at,)
        )
        return list_namespaces((_namespace(row[0]) for row in prefixes), op)  # type: ignore[arg-type]

    def _get(self, cur: Any, op: GetOp, at: int) -> Item | None:
        row = cur.execute(
            self._sql(
                "SELECT key, value, created_at, updated_at, prefix FROM store_items"
                f" WHERE prefix = ? AND key = ? AND {_LIVE}"
            ),
            (_prefix_text(op.namespace), op.key, at),
        ).fetchone()
        if row is None:
            return None
        if op.refresh_ttl:
            self._refresh(cur, [(row[4], row[0])], at)
        return Item(
            value=self._load(row[1]),
            key=row[0],
            namespace=op.namespace,
            created_at=_from_micros(row[2]),
            updated_at=_from_micros(row[3]),
        )

    def _put(self, cur: Any, op: PutOp, at: int) -> None:
        prefix = _prefix_text(op.namespace)
        if op.value is None:
            cur.execute(
                self._sql("DELETE FROM store_items WHERE prefix = ? AND key = ?"), (prefix, op.key)
            )
            return
        value = json.dumps(dict(op.value))
        expires = None if op.ttl is None else _micros(expiry(_from_micros(at), op.ttl))  # type: ignore[arg-type]
        # An expired row is replaced as if new, so it does not lend its created_at.
        cur.execute(
            self._sql(f"""
            INSERT INTO store_items (prefix, key, value, created_at, updated_at, seq, ttl_minutes, expires_at)
            VALUES (?, ?, ?, ?, ?, {self._NEXT_SEQ}, ?, ?)
            ON CONFLICT (prefix, key) DO UPDATE SET
                value = excluded.value,
                created_at = CASE WHEN store_items.expires_at IS NOT NULL AND store_items.expires_at <= ?
                                  THEN excluded.created_at ELSE store_items.created_at END,
                updated_at = excluded.updated_at,
                seq = excluded.seq,
                ttl_minutes = excluded.ttl_minutes,
                expires_at = excluded.expires_at
            """),
            (prefix, op.key, value, at, at, op.ttl, expires, at),
        )

    def _search(self, cur: Any, op: SearchOp, at: int) -> list[SearchItem]:
        where, params = _under(op.namespace_prefix)
        sql = (
            "SELECT prefix, key, value, created_at, updated_at FROM store_items "
            f"WHERE {where} AND {_LIVE} ORDER BY updated_at DESC, seq DESC"
        )
        params.append(at)
        if not op.filter and min(op.offset, op.limit) >= 0:
            sql += " LIMIT ? OFFSET ?"
            params += [op.limit, op.offset]
            rows = cur.execute(self._sql(sql), params).fetchall()
            found = [(row, self._load(row[2])) for row in rows]
        else:
            matched = []
            stop = op.offset + op.limit if min(op.offset, op.limit) >= 0 else None
            for row in cur.execute(self._sql(sql), params):
                value = self._load(row[2])
                if matches(value, op.filter):
                    matched.append((row, value))
                    if len(matched) == stop:
                        break
            found = page(matched, op.offset, op.limit)
        if op.refresh_ttl and found:
            self._refresh(cur, [(row[0], row[1]) for row, _ in found], at)
        return [
            SearchItem(
                _namespace(row[0]), row[1], value, _from_micros(row[3]), _from_micros(row[4])
            )
            for row, value in found
        ]

    def _refresh(self, cur: Any, rows: Sequence[tuple[str, str]], at: int) -> None:
        """Restart the TTL timers of the items just read."""
        cur.executemany(
            self._sql(
                "UPDATE store_items SET expires_at = ? + CAST(ttl_minutes * 60000000 AS BIGINT) "
                "WHERE prefix = ? AND key = ? AND ttl_minutes IS NOT NULL"
            ),
            [(at, prefix, key) for prefix, key in rows],
        )

    def _load(self, text: str) -> dict[str, Any]:
        value = self._deserializer(text)
        if not isinstance(value, Mapping):
            raise TypeError(
                f"the store's deserializer must return a dict, got {type(value).__name__}"
            )
        return dict(value)
