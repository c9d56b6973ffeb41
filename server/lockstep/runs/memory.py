"""One tenant's view of the server's long-term memory.

The backend keeps one store (`Backend.memory`) for every tenant; each item is
kept under its tenant's label followed by the namespace the caller gave, and a
`TenantStore` adds and strips that label, so a tenant's nodes and its Store
service calls read and write the same items, and no other tenant's. The caller's
namespaces are checked as they are given (an empty namespace stays refused
although the stored one would not be empty), and `list_namespaces` matches its
patterns against the caller's namespaces, not the stored ones, so "*" never
matches the tenant's label.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from lockstep.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    _validate_namespace,
    validate_op_namespace,
)
from lockstep.store.matching import list_namespaces


def tenant_label(tenant: str) -> str:
    """A tenant's name as a namespace label: '%', '.' and NUL escaped (a label holds
    no '.' nor NUL), so two tenants never share a label."""
    return tenant.replace("%", "%25").replace(".", "%2E").replace("\x00", "%00")


class TenantStore(BaseStore):
    """`store` as seen by one tenant: the same interface, its own items only."""

    __slots__ = ("inner", "label")

    def __init__(self, inner: BaseStore, tenant: str) -> None:
        self.inner = inner
        self.label = tenant_label(tenant)

    @property
    def supports_ttl(self) -> bool:  # type: ignore[override]
        return self.inner.supports_ttl

    @property
    def ttl_config(self) -> TTLConfig | None:  # type: ignore[override]
        return self.inner.ttl_config

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        inner_ops = [self._inner_op(op) for op in ops]
        return self._results(ops, self.inner.batch(inner_ops))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        inner_ops = [self._inner_op(op) for op in ops]
        return self._results(ops, await self.inner.abatch(inner_ops))

    def _inner_op(self, op: Op) -> Op:
        validate_op_namespace(op)
        if isinstance(op, PutOp):
            if op.value is not None:
                _validate_namespace(op.namespace)
            return op._replace(namespace=(self.label, *op.namespace))
        if isinstance(op, GetOp):
            return op._replace(namespace=(self.label, *op.namespace))
        if isinstance(op, SearchOp):
            return op._replace(namespace_prefix=(self.label, *op.namespace_prefix))
        # Every namespace of the tenant; `_results` matches and pages them as the caller's.
        mine = (MatchCondition("prefix", (self.label,)),)
        return ListNamespacesOp(mine, None, limit=sys.maxsize, offset=0)

    def _results(self, ops: list[Op], results: list[Result]) -> list[Result]:
        return [self._result(op, result) for op, result in zip(ops, results, strict=True)]

    def _result(self, op: Op, result: Result) -> Result:
        if isinstance(op, ListNamespacesOp):
            own = [ns[1:] for ns in result if ns[:1] == (self.label,)]  # type: ignore[union-attr]
            return list_namespaces(own, op)
        if isinstance(result, list):
            return [self._strip(item) for item in result]  # type: ignore[arg-type]
        if isinstance(result, Item):
            return self._strip(result)
        return result

    @staticmethod
    def _strip(item: Item) -> Item:
        """The item as its tenant named it (without the tenant's label)."""
        if isinstance(item, SearchItem):
            return SearchItem(
                item.namespace[1:],
                item.key,
                item.value,
                item.created_at,
                item.updated_at,
                item.score,
            )
        return Item(
            value=item.value,
            key=item.key,
            namespace=item.namespace[1:],
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


__all__ = ["TenantStore", "tenant_label"]
