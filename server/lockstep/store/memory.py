"""`InMemoryStore`: long-term memory in a dict, for tests and single-process programs.

Results come in LangGraph's InMemoryStore order: namespaces in the order they were
first written, keys in the order they were first written within one (an update keeps
an item's place). Values are copied in and out, so changing a dict after `put` or
after `get` does not change what is stored (as with a database-backed store).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from datetime import datetime

from lockstep.store import base
from lockstep.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    refuse_index,
)
from lockstep.store.matching import expiry, list_namespaces, matches, page, split_batch, under
from lockstep.store.sweeper import Sweeper, SweepsTTL


class _Entry:
    """One stored item and its expiry (None: never)."""

    __slots__ = ("item", "ttl", "expires_at")

    def __init__(self, item: Item, ttl: float | None, expires_at: datetime | None) -> None:
        self.item = item
        self.ttl = ttl
        self.expires_at = expires_at


class InMemoryStore(SweepsTTL, BaseStore):
    """A store held in this process's memory; gone when the process exits.

    `ttl` (a `TTLConfig`) sets a default time-to-live and whether reads refresh it;
    `put(..., ttl=minutes)` works without it. `index` (semantic search) is refused.
    """

    supports_ttl = True

    __slots__ = ("_data", "_lock", "_sweeper", "ttl_config")

    def __init__(self, *, index: IndexConfig | None = None, ttl: TTLConfig | None = None) -> None:
        refuse_index(index)
        self._data: dict[tuple[str, ...], dict[str, _Entry]] = {}
        self._lock = threading.Lock()
        self._sweeper = Sweeper(self.sweep_ttl)
        self.ttl_config = ttl

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        reads, writes = split_batch(ops)
        results: list[Result] = [None] * len(ops)
        with self._lock:
            at = base.now()
            for i, op in reads:
                results[i] = self._read(op, at)
            for op in writes:
                self._put(op, at)
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return self.batch(ops)

    def sweep_ttl(self) -> int:
        """Delete every expired item now; how many were deleted."""
        with self._lock:
            at = base.now()
            swept = 0
            for entries in self._data.values():
                for key in [k for k, e in entries.items() if _expired(e, at)]:
                    del entries[key]
                    swept += 1
            return swept

    def _read(self, op: Op, at: datetime) -> Result:
        if isinstance(op, GetOp):
            entry = self._live(self._data.get(op.namespace), op.key, at)
            if entry is None:
                return None
            if op.refresh_ttl:
                entry.expires_at = expiry(at, entry.ttl)
            return _copy_item(entry.item)
        if isinstance(op, SearchOp):
            return self._search(op, at)
        held = [
            ns for ns, entries in self._data.items() if any(not _expired(e, at) for e in entries.values())
        ]
        return list_namespaces(held, op)  # type: ignore[arg-type]

    def _put(self, op: PutOp, at: datetime) -> None:
        if op.value is None:
            # The emptied namespace keeps its place in the order, as LangGraph's does.
            self._data.get(op.namespace, {}).pop(op.key, None)
            return
        entries = self._data.setdefault(op.namespace, {})
        old = self._live(entries, op.key, at)
        created = old.item.created_at if old is not None else at
        item = Item(
            value=copy.deepcopy(dict(op.value)),
            key=op.key,
            namespace=op.namespace,
            created_at=created,
            updated_at=at,
        )
        if old is not None:
            old.item, old.ttl, old.expires_at = item, op.ttl, expiry(at, op.ttl)
        else:
            entries[op.key] = _Entry(item, op.ttl, expiry(at, op.ttl))

    def _search(self, op: SearchOp, at: datetime) -> list[SearchItem]:
        found: list[_Entry] = []
        stop = op.offset + op.limit if min(op.offset, op.limit) >= 0 else None
        for namespace, entries in self._data.items():
            if not under(namespace, op.namespace_prefix):
                continue
            for entry in entries.values():
                if not _expired(entry, at) and matches(entry.item.value, op.filter):
                    found.append(entry)
                    if len(found) == stop:
                        break
            if len(found) == stop:
                break
        chosen = page(found, op.offset, op.limit)
        if op.refresh_ttl:
            for entry in chosen:
                entry.expires_at = expiry(at, entry.ttl)
        return [_search_item(entry.item) for entry in chosen]

    def _live(self, entries: dict[str, _Entry] | None, key: str, at: datetime) -> _Entry | None:
        """The unexpired entry at `key`; an expired one is deleted on the way."""
        if not entries:
            return None
        entry = entries.get(key)
        if entry is not None and _expired(entry, at):
            del entries[key]
            return None
        return entry


def _expired(entry: _Entry, at: datetime) -> bool:
    return entry.expires_at is not None and entry.expires_at <= at


def _copy_item(item: Item) -> Item:
    return Item(
        value=copy.deepcopy(item.value),
        key=item.key,
        namespace=item.namespace,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _search_item(item: Item) -> SearchItem:
    return SearchItem(
        item.namespace, item.key, copy.deepcopy(item.value), item.created_at, item.updated_at
    )


__all__ = ["InMemoryStore"]
