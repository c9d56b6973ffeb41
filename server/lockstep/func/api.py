"""The functional API's decorators: `@entrypoint` makes a workflow, `@task` a unit of it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from lockstep.func import calls
from lockstep.func.graph import EntrypointGraph, Final
from lockstep.types import RetryPolicy


def _policies(policy: RetryPolicy | Sequence[RetryPolicy] | None) -> tuple[RetryPolicy, ...]:
    return (policy,) if isinstance(policy, RetryPolicy) else tuple(policy or ())


def _refuse(what: str, value: Any, alternative: str) -> None:
    if value is not None:
        raise NotImplementedError(f"{what} is not supported by Lockstep: {alternative}")


def _check_cache_policy(where: str, policy: Any) -> None:
    if policy is not None and not (hasattr(policy, "key_func") and hasattr(policy, "ttl")):
        raise TypeError(
            f"{where}(cache_policy=...) takes a CachePolicy, got {type(policy).__name__}"
        )


class TaskFunction:
    """A @task function: calling it inside a running entrypoint or node starts a
    task and returns its future."""

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None,
        retry_policy: tuple[RetryPolicy, ...],
        cache_policy: Any = None,
    ) -> None:
        functools.update_wrapper(self, func)
        self.func = func
        self.name = name or getattr(func, "__name__", type(func).__name__)
        self.retry_policy = retry_policy
        self.cache_policy = cache_policy  # used when the entrypoint has a cache

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return calls.call(self.name, self.func, self.retry_policy, self.cache_policy, args, kwargs)

    def __repr__(self) -> str:
        return f"<task {self.name}>"


def task(
    __func_or_none__: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: Any = None,
    timeout: Any = None,
) -> Any:
    """`@task` or `@task(name=..., retry_policy=...)`: a function whose calls are tasks."""
    _check_cache_policy("task", cache_policy)
    _refuse("task(timeout=...)", timeout, "bound the work inside the task (asyncio.wait_for)")
    policies = _policies(retry_policy)

    def wrap(func: Callable[..., Any]) -> TaskFunction:
        if not callable(func):
            raise TypeError(f"@task decorates a function, got {func!r}")
        return TaskFunction(func, name, policies, cache_policy)

    return wrap if __func_or_none__ is None else wrap(__func_or_none__)


class entrypoint:  # noqa: N801 - LangGraph's name
    """`@entrypoint(checkpointer=...)`: the function becomes a runnable workflow with
    invoke/stream/get_state..., its input its first parameter; it may also take
    `previous` (its last return on the thread), `config`, `writer` and `store`."""

    final = Final

    def __init__(
        self,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        context_schema: type | None = None,
        cache_policy: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: Any = None,
    ) -> None:
        _check_cache_policy("entrypoint", cache_policy)
        _refuse("entrypoint(timeout=...)", timeout, "bound the work inside it (asyncio.wait_for)")
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.cache_policy = cache_policy
        self.context_schema = context_schema
        self.retry_policy = _policies(retry_policy)

    def __call__(self, func: Callable[..., Any]) -> EntrypointGraph:
        if not callable(func):
            raise TypeError(f"@entrypoint decorates a function, got {func!r}")
        graph = EntrypointGraph(
            func,
            checkpointer=self.checkpointer,
            store=self.store,
            retry=self.retry_policy,
            context_schema=self.context_schema,
        )
        graph.cache = self.cache  # its tasks' results, and its own with cache_policy
        if self.cache_policy is not None:
            graph.cache_policies = {graph.entry: self.cache_policy}
        return graph
