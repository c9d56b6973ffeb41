"""Long-term memory: the `BaseStore` interface, its items and operations, as
`langgraph.store.base` defines them.

A store keeps JSON-like dicts under a namespace (a tuple of str labels) and a key,
across threads and runs. Every public method becomes one operation (`GetOp`,
`PutOp`, `SearchOp`, `ListNamespacesOp`) handed to `batch`/`abatch`, which is all a
backend implements; the matching rules every backend shares (filters, namespace
patterns, TTL) live in `lockstep.store.matching` so backends cannot drift apart.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, TypedDict


class NotProvided:
    """The "argument not given" marker, distinct from None (which means "no TTL")."""

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_PROVIDED = NotProvided()


def now() -> datetime:
    """The stores' clock (UTC). One function so tests can move time forward."""
    return datetime.now(UTC)


def _as_datetime(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class Item:
    """One stored value with where it lives and when it was written."""

    __slots__ = ("value", "key", "namespace", "created_at", "updated_at")

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime,
        updated_at: datetime,
    ) -> None:
        self.value = value
        self.key = key
        self.namespace = tuple(namespace)
        # ISO strings are accepted so an item read back from JSON is an item again.
        self.created_at = _as_datetime(created_at)
        self.updated_at = _as_datetime(updated_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return False
        return (
            self.value == other.value
            and self.key == other.key
            and self.namespace == other.namespace
            and self.created_at == other.created_at
            and self.updated_at == other.updated_at
        )

    def __hash__(self) -> int:
        return hash((self.namespace, self.key))

    def dict(self) -> dict[str, Any]:
        """JSON-ready fields (namespace as a list, times as ISO strings)."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        # "Item(...)" for a SearchItem too, as LangGraph prints both.
        fields = ", ".join(f"{k}={v!r}" for k, v in self.dict().items())
        return f"Item({fields})"


class SearchItem(Item):
    """An item found by `search`; `score` is the relevance of a ranked (semantic)
    search, None otherwise."""

    __slots__ = ("score",)

    def __init__(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        created_at: datetime,
        updated_at: datetime,
        score: float | None = None,
    ) -> None:
        super().__init__(
            value=value, key=key, namespace=namespace, created_at=created_at, updated_at=updated_at
        )
        self.score = score

    def dict(self) -> dict[str, Any]:
        return {**super().dict(), "score": self.score}


class GetOp(NamedTuple):
    """Read one item by namespace and key."""

    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True


class SearchOp(NamedTuple):
    """Items under a namespace prefix, filtered, one page of them."""

    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


NamespacePath = tuple[str, ...]
"""A namespace pattern for `list_namespaces`: labels, where "*" matches any one label."""

NamespaceMatchType = Literal["prefix", "suffix"]


class MatchCondition(NamedTuple):
    """A namespace pattern anchored at the start ("prefix") or the end ("suffix")."""

    match_type: NamespaceMatchType
    path: NamespacePath


class ListNamespacesOp(NamedTuple):
    """The namespaces that hold items, matched, cut to `max_depth`, one page of them."""

    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


class PutOp(NamedTuple):
    """Write one item, or delete it when `value` is None. `ttl` is in minutes."""

    namespace: tuple[str, ...]
    key: str
    value: Mapping[str, Any] | None
    index: Literal[False] | list[str] | None = None
    ttl: float | None = None


Op = GetOp | SearchOp | PutOp | ListNamespacesOp
Result = Item | list[Item] | list[SearchItem] | list[tuple[str, ...]] | None


class InvalidNamespaceError(ValueError):
    """A namespace (or a label of one) that no store accepts."""


class TTLConfig(TypedDict, total=False):
    """How a store expires items: `default_ttl` (minutes) for puts that give none,
    `refresh_on_read` (default True) restarts an item's timer when get/search return
    it, `sweep_interval_minutes` for `start_ttl_sweeper`."""

    refresh_on_read: bool
    default_ttl: float | None
    sweep_interval_minutes: int | None


class IndexConfig(TypedDict, total=False):
    """Semantic-search configuration (embeddings). Lockstep's stores refuse it: see
    `refuse_index`."""

    dims: int
    embed: Any
    fields: list[str] | None


def refuse_index(index: IndexConfig | None) -> None:
    """Stores take `index=` for LangGraph's signature, and refuse anything but None:
    there is no embeddings search yet, and ignoring the config would give unranked
    results where ranked ones were asked for."""
    if index is not None:
        raise NotImplementedError(
            "index= (semantic search with embeddings) is not supported by Lockstep's "
            "stores yet; create the store without index= and search with filter= instead"
        )


class BaseStore(ABC):
    """A key-value store of JSON-like dicts under hierarchical namespaces.

    Backends implement `batch` and `abatch`; every other method is one operation
    handed to them, so a backend's behaviour is defined in one place.
    """

    supports_ttl: bool = False
    ttl_config: TTLConfig | None = None

    __slots__ = ("__weakref__",)

    @abstractmethod
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run the operations in order; one result per operation."""

    @abstractmethod
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """As `batch`, awaitable."""

    # -- sync ---------------------------------------------------------------

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """The item at (namespace, key), or None."""
        return self.batch([self._get_op(namespace, key, refresh_ttl)])[0]  # type: ignore[return-value]

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,  # noqa: A002 - LangGraph's name
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items under `namespace_prefix` whose values match `filter`. Without an
        embeddings index `query` ranks nothing (as LangGraph's stores without one)."""
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return self.batch([op])[0]  # type: ignore[return-value]

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Write `value` at (namespace, key), replacing what was there. `ttl` in
        minutes (None: never expires; not given: the store's `default_ttl`)."""
        self.batch([self._put_op(namespace, key, value, index, ttl)])

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Remove the item at (namespace, key), if any."""
        self.batch([self._delete_op(namespace, key)])

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """The namespaces holding items, sorted; `max_depth` cuts each to that many
        labels (then duplicates are dropped)."""
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return self.batch([op])[0]  # type: ignore[return-value]

    # -- async --------------------------------------------------------------

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """As `get`, awaitable."""
        return (await self.abatch([self._get_op(namespace, key, refresh_ttl)]))[0]  # type: ignore[return-value]

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,  # noqa: A002 - LangGraph's name
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """As `search`, awaitable."""
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return (await self.abatch([op]))[0]  # type: ignore[return-value]

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """As `put`, awaitable."""
        await self.abatch([self._put_op(namespace, key, value, index, ttl)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """As `delete`, awaitable."""
        await self.abatch([self._delete_op(namespace, key)])

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """As `list_namespaces`, awaitable."""
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return (await self.abatch([op]))[0]  # type: ignore[return-value]

    # -- the operations the methods above hand to batch ----------------------

    def _get_op(self, namespace: tuple[str, ...], key: str, refresh_ttl: bool | None) -> GetOp:
        _validate_labels(namespace)
        return GetOp(namespace, str(key), self._refresh_default(refresh_ttl))

    def _search_op(
        self,
        namespace_prefix: tuple[str, ...],
        query: str | None,
        filter: dict[str, Any] | None,  # noqa: A002
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> SearchOp:
        _validate_labels(namespace_prefix)
        if filter is not None and not isinstance(filter, Mapping):
            raise TypeError(
                f"filter must be a dict of value keys to match, got {type(filter).__name__}"
            )
        return SearchOp(
            namespace_prefix, filter, limit, offset, query, self._refresh_default(refresh_ttl)
        )

    def _put_op(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None,
        ttl: float | None | NotProvided,
    ) -> PutOp:
        _validate_namespace(namespace)
        if not isinstance(value, Mapping):
            raise TypeError(f"a store's value must be a dict, got {type(value).__name__}")
        if not (index is None or index is False or isinstance(index, list)):
            raise TypeError(f"index must be False, None or a list of field paths, got {index!r}")
        if ttl is NOT_PROVIDED:
            ttl = (self.ttl_config or {}).get("default_ttl")
        elif ttl is not None and not self.supports_ttl:
            raise NotImplementedError(
                f"TTL is not supported by {type(self).__name__}; use a store that supports it or ttl=None"
            )
        return PutOp(namespace, str(key), value, index=index, ttl=ttl)  # type: ignore[arg-type]

    def _delete_op(self, namespace: tuple[str, ...], key: str) -> PutOp:
        _validate_labels(namespace)
        return PutOp(namespace, str(key), None, ttl=None)

    def _list_op(
        self,
        prefix: NamespacePath | None,
        suffix: NamespacePath | None,
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> ListNamespacesOp:
        _validate_labels(prefix or ())
        _validate_labels(suffix or ())
        conditions = []
        if prefix:
            conditions.append(MatchCondition("prefix", tuple(prefix)))
        if suffix:
            conditions.append(MatchCondition("suffix", tuple(suffix)))
        return ListNamespacesOp(tuple(conditions), max_depth, limit, offset)

    def _refresh_default(self, refresh_ttl: bool | None) -> bool:
        if refresh_ttl is not None:
            return refresh_ttl
        return (self.ttl_config or {}).get("refresh_on_read", True)


class SyncBatchedStore(BaseStore):
    """A store whose `batch` does the work; `abatch` runs it in a worker thread so
    an event loop is never blocked on I/O."""

    __slots__ = ()

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))


def _validate_namespace(namespace: tuple[str, ...]) -> None:
    """A namespace an item may be written to."""
    if isinstance(namespace, tuple) and not namespace:
        raise InvalidNamespaceError(
            "Namespace cannot be empty: give at least one label, e.g. ('memories',)"
        )
    _validate_labels(namespace)
    if namespace[0] == "langgraph":
        raise InvalidNamespaceError(
            f'A namespace\'s root label cannot be "langgraph" (reserved); got {namespace}'
        )


def _validate_labels(namespace: tuple[str, ...]) -> None:
    if not isinstance(namespace, tuple):
        raise TypeError(
            f"a namespace is a tuple of str labels, got {type(namespace).__name__}: {namespace!r}"
        )
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r} in {namespace}: labels must be str, not {type(label).__name__}"
            )
        if not label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot be empty strings; got {namespace}"
            )
        if "." in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r} in {namespace}: labels cannot contain '.'"
            )
        if "\x00" in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label {label!r} in {namespace}: labels cannot contain NUL"
            )


def validate_op_namespace(op: Op) -> None:
    """Check the labels an operation carries; for ops handed to `batch` directly,
    which skip the public methods' checks."""
    if isinstance(op, GetOp | PutOp):
        _validate_labels(op.namespace)
    elif isinstance(op, SearchOp):
        _validate_labels(op.namespace_prefix)
    elif isinstance(op, ListNamespacesOp):
        for condition in op.match_conditions or ():
            _validate_labels(tuple(condition.path))
    else:
        raise ValueError(
            f"Unknown store operation {type(op).__name__}: expected GetOp, PutOp, SearchOp or ListNamespacesOp"
        )


__all__ = [
    "NOT_PROVIDED",
    "BaseStore",
    "GetOp",
    "IndexConfig",
    "InvalidNamespaceError",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NamespaceMatchType",
    "NamespacePath",
    "NotProvided",
    "Op",
    "PutOp",
    "Result",
    "SearchItem",
    "SearchOp",
    "TTLConfig",
    "validate_op_namespace",
]
