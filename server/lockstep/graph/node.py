"""A node as the runtime sees it: the function, how to call it, where it leads."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lockstep.graph.injection import wanted
from lockstep.types import RetryPolicy


@dataclass(slots=True)
class Callee:
    """A user function (or runnable) and the run values it asks for by name.

    `fn` is how a sync run calls it; `afn` how an async run awaits it (None: the
    async run calls `fn` in a worker thread). `is_async`: there is no sync way
    (an async function). `inject` names what to pass besides the input (see
    graph/injection.py); empty for most nodes, which are called `fn(input)`.
    """

    fn: Callable[..., Any]
    is_async: bool
    inject: tuple[str, ...] = ()
    afn: Callable[..., Any] | None = None
    name: str = ""
    metadata: dict[str, Any] | None = None  # add_node(metadata=...)
    subgraph: Any = None  # the runnable itself, which may be a compiled graph (pregel/nesting.py)

    @classmethod
    def of(cls, fn: Any, name: str | None = None) -> Callee:
        name = name or node_name(fn)
        if is_runnable(fn):
            callee = _runnable_callee(fn, name)
            callee.subgraph = fn
            return callee
        target = fn
        call = getattr(fn, "__call__", None)  # noqa: B004 - callables that are objects
        if not inspect.isfunction(fn) and not inspect.ismethod(fn) and call is not None:
            target = call
        is_async = inspect.iscoroutinefunction(target) or asyncio.iscoroutinefunction(target)
        return cls(fn, is_async, wanted(fn), fn if is_async else None, name)

    def kwargs(self, config: Any, loop: Any) -> dict[str, Any]:
        """The injected values for one call, from the run's config and loop."""
        kw: dict[str, Any] = {}
        for name in self.inject:
            if name == "config":
                from lockstep.pregel.streaming import task_config  # (pregel imports graph)

                kw["config"] = task_config(config, loop)  # the task's namespace and metadata
            elif name == "writer":
                kw["writer"] = loop.write_custom
            elif name == "store":
                kw["store"] = loop.store
            elif name == "runtime":
                kw["runtime"] = loop.runtime
            else:  # previous: only the functional API has one
                kw[name] = loop.runtime.previous
        return kw


def is_runnable(obj: Any) -> bool:
    """A runnable (a LangChain `prompt | model` chain, a RunnableLambda, a tool, any
    object with invoke/ainvoke) rather than a plain function: called as LangGraph
    calls one, `obj.invoke(input, config)`."""
    if inspect.isroutine(obj) or isinstance(obj, type):
        return False
    return callable(getattr(obj, "invoke", None)) or callable(getattr(obj, "ainvoke", None))


def _runnable_callee(obj: Any, name: str) -> Callee:
    invoke = getattr(obj, "invoke", None)
    ainvoke = getattr(obj, "ainvoke", None)
    afn = None
    if callable(ainvoke):

        async def afn(input: Any, config: Any, runtime: Any) -> Any:
            return await ainvoke(input, _with_runtime(config, runtime))

    if callable(invoke):

        def fn(input: Any, config: Any, runtime: Any) -> Any:
            return invoke(input, _with_runtime(config, runtime))

        return Callee(fn, False, ("config", "runtime"), afn, name)
    return Callee(afn, True, ("config", "runtime"), afn, name)


# Where LangGraph's own runnables (its prebuilt ToolNode) look for the run's Runtime.
RUNTIME_KEY = "__pregel_runtime"


def _with_runtime(config: Any, runtime: Any) -> Any:
    """The config a runnable is invoked with: the run's Runtime under the key LangGraph's
    runnables read it from, so that LangGraph's ToolNode works as a Lockstep node."""
    return {**config, "configurable": {**config["configurable"], RUNTIME_KEY: runtime}}


def node_name(fn: Any) -> str:
    """The name add_node(fn) gives a node: a runnable's get_name(), a function's name."""
    get_name = getattr(fn, "get_name", None)
    if callable(get_name) and not inspect.isroutine(fn):
        try:
            return str(get_name())
        except Exception:  # noqa: BLE001 - a name is only a label here
            pass
    return getattr(fn, "__name__", None) or type(fn).__name__


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
    async_paths: bool = False  # a path function is async: async runs await it
