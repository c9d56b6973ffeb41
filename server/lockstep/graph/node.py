"""A node as the runtime sees it: the function, how to call it, where it leads."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lockstep.types import RetryPolicy


@dataclass(slots=True)
class Callee:
    """A user function and which of (config, writer) it wants passed."""

    fn: Callable[..., Any]
    is_async: bool
    wants_config: bool
    wants_writer: bool
    config_name: str = "config"  # fn(state, cfg): the config goes to whatever it is called

    @classmethod
    def of(cls, fn: Callable[..., Any]) -> Callee:
        target = fn
        call = getattr(fn, "__call__", None)  # noqa: B004 - callables that are objects
        if not inspect.isfunction(fn) and not inspect.ismethod(fn) and call is not None:
            target = call
        is_async = asyncio.iscoroutinefunction(target)
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        positional = [
            p
            for p in params.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        # fn(state, config): by name, or the second positional parameter unless that
        # one asks for something else that is injected by name (the writer).
        config_name = "config"
        wants_config = "config" in params
        if not wants_config and len(positional) >= 2 and positional[1].name != "writer":
            wants_config, config_name = True, positional[1].name
        return cls(fn, is_async, wants_config, "writer" in params, config_name)

    def kwargs(self, config: Any, writer: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        if self.wants_config:
            kw[self.config_name] = config
        if self.wants_writer:
            kw["writer"] = writer
        return kw


@dataclass(slots=True)
class Branch:
    """A conditional edge: `path(state)` names where to go next."""

    path: Callee
    path_map: dict[Any, str] | None
    input_schema: type | None = None  # its first parameter's annotation, if a schema


@dataclass(slots=True)
class NodeSpec:
    name: str
    callee: Callee | None  # None only for __start__
    retry: Sequence[RetryPolicy] = ()
    triggers: list[str] = field(default_factory=list)
    # channel -> value written after the node finishes (static edges)
    edge_writes: list[tuple[str, Any]] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
