"""The rules every store backend shares: which values a search filter matches,
which namespaces a `list_namespaces` pattern matches, how a page is cut.

Filters follow LangGraph's: `{"key": value}` is equality (a dict value matches
nested keys, a list matches element by element), `{"key": {"$op": value}}` applies
operators `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, all of a key's operators and
all keys must hold. Range operators compare as numbers when both sides are numbers
(or numeric strings, as LangGraph's `float()` does), else two strings in string
order; anything else (a missing key, say) does not match.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from lockstep.store.base import (
    GetOp,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    SearchOp,
    validate_op_namespace,
)

OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")


def split_batch(ops: Iterable[Op]) -> tuple[list[tuple[int, Op]], list[PutOp]]:
    """A batch as LangGraph's stores run one: every read (with its position) sees
    the store as it was before the batch, then the writes are applied, the last one
    for each (namespace, key) winning. Every op is checked before anything runs."""
    reads: list[tuple[int, Op]] = []
    writes: dict[tuple[tuple[str, ...], str], PutOp] = {}
    for i, op in enumerate(ops):
        validate_op_namespace(op)
        if isinstance(op, PutOp):
            writes[(op.namespace, op.key)] = op
            continue
        if isinstance(op, SearchOp):
            check_filter(op.filter)
        elif not isinstance(op, GetOp | ListNamespacesOp):
            raise ValueError(f"Unknown store operation {type(op).__name__}")
        reads.append((i, op))
    return reads, list(writes.values())


def check_filter(filter: Mapping[str, Any] | None) -> None:  # noqa: A002 - LangGraph's name
    """Refuse unknown operators before any item is read, naming the supported ones."""
    for value in (filter or {}).values():
        if isinstance(value, Mapping):
            for op in value:
                if isinstance(op, str) and op.startswith("$") and op not in OPERATORS:
                    raise ValueError(
                        f"Unsupported filter operator {op!r}: a store filter supports {', '.join(OPERATORS)}"
                    )


def matches(value: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:  # noqa: A002
    """Whether a stored value passes a search filter."""
    if not filter:
        return True
    return all(_matches(value.get(key), wanted) for key, wanted in filter.items())


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        if any(isinstance(k, str) and k.startswith("$") for k in wanted):
            return all(_apply(actual, op, operand) for op, operand in wanted.items())
        return isinstance(actual, Mapping) and all(
            _matches(actual.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(wanted)
            and all(_matches(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return actual == wanted


def _apply(actual: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return actual == operand
    if op == "$ne":
        return actual != operand
    pair = _comparable(actual, operand)
    if pair is None:
        return False
    left, right = pair
    if op == "$gt":
        return left > right
    if op == "$gte":
        return left >= right
    if op == "$lt":
        return left < right
    if op == "$lte":
        return left <= right
    raise ValueError(
        f"Unsupported filter operator {op!r}: a store filter supports {', '.join(OPERATORS)}"
    )


def _comparable(actual: Any, operand: Any) -> tuple[Any, Any] | None:
    left, right = _number(actual), _number(operand)
    if left is not None and right is not None:
        return left, right
    if isinstance(actual, str) and isinstance(operand, str):
        return actual, operand
    return None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def under(namespace: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    """Whether `namespace` is `prefix` or below it (label by label, not by text)."""
    return namespace[: len(prefix)] == prefix


def _fits(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    path = tuple(condition.path)
    if len(namespace) < len(path):
        return False
    if condition.match_type == "prefix":
        labels = namespace[: len(path)]
    elif condition.match_type == "suffix":
        labels = namespace[len(namespace) - len(path) :]
    else:
        raise ValueError(
            f"Unsupported namespace match type {condition.match_type!r}: use 'prefix' or 'suffix'"
        )
    return all(p == "*" or p == label for p, label in zip(path, labels, strict=True))


def list_namespaces(
    namespaces: Iterable[tuple[str, ...]], op: ListNamespacesOp
) -> list[tuple[str, ...]]:
    """One page of the namespaces `op` asks for, from all namespaces holding items."""
    conditions = op.match_conditions or ()
    found = {ns for ns in namespaces if all(_fits(c, ns) for c in conditions)}
    if op.max_depth is not None:
        found = {ns[: op.max_depth] for ns in found}
    return page(sorted(found), op.offset, op.limit)


def page(items: list[Any], offset: int, limit: int) -> list[Any]:
    """items[offset:offset + limit], as a slice reads it (LangGraph's behaviour)."""
    return items[offset : offset + limit]


def expiry(at: datetime, ttl_minutes: float | None) -> datetime | None:
    """When an item written or read at `at` expires; None for never."""
    return None if ttl_minutes is None else at + timedelta(minutes=ttl_minutes)
