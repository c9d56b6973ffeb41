"""Hand-written scenarios, each run on LangGraph and on Lockstep and compared.

A scenario is a function of one argument, `lib`, written once against the names both
libraries share: `lib.StateGraph`, `lib.Command`, `lib.MemorySaver`, `lib.entrypoint`...
(looked up in the mirrored modules, see `Lib`). It returns a transcript: whatever a
user would look at (events, results, `get_state`, history, errors). `@compared` turns
it into a test that runs it on both engines and asserts the transcripts are equal once
`norm` has taken out what is generated differently (ids; a scenario that shows timestamps strips them itself).

    @compared
    def test_private_channel(lib):
        ...
        return [list(graph.stream(...)), graph.get_state(cfg)]

A scenario may be `async def`. `outcome(fn)` turns a call into ("ok", result) or
("raises", type name), so refusals are compared too. Every scenario LangGraph's docs
or ordinary user code suggests goes here; a difference kept on purpose is listed in
the README and normalised here, never silently.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib
import inspect
import re
import warnings
from collections.abc import Callable
from typing import Any

warnings.filterwarnings("ignore", category=DeprecationWarning)

# The modules whose names Lockstep mirrors, searched in this order for a name.
MODULES = (
    "graph",
    "types",
    "func",
    "runtime",
    "config",
    "errors",
    "constants",
    "graph.message",
    "checkpoint.memory",
    "store.base",
    "store.memory",
    "cache.memory",
    "prebuilt",
    "managed",
)

# Lockstep exceptions compared as the LangGraph type they subclass (a user's `except`
# clause written for LangGraph catches them): Lockstep name -> LangGraph name.
EXC_ALIASES: dict[str, str] = {
    "GraphBuildError": "ValueError",  # LangGraph raises a plain ValueError for a bad graph
}


class Lib:
    """One library's public names, found in its mirrored modules on first use."""

    def __init__(self, package: str) -> None:
        self.name = package
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name in cache:
            return cache[name]
        for module in MODULES:
            try:
                mod = importlib.import_module(f"{self.name}.{module}")
            except ImportError:
                continue
            if hasattr(mod, name):
                cache[name] = value = getattr(mod, name)
                return value
        raise AttributeError(f"{self.name} has no public {name!r} in {', '.join(MODULES)}")

    @property
    def MemorySaver(self) -> Any:  # noqa: N802 - the class's own name
        mod = importlib.import_module(f"{self.name}.checkpoint.memory")
        return getattr(mod, "InMemorySaver", None) or mod.MemorySaver

    def __repr__(self) -> str:
        return self.name


LANGGRAPH = Lib("langgraph")
LOCKSTEP = Lib("lockstep")


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """("ok", what fn returned) or ("raises", the exception's type name)."""
    try:
        result = fn(*args, **kwargs)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return ("ok", result)
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        name = type(exc).__name__
        return ("raises", EXC_ALIASES.get(name, name))


async def aoutcome(awaitable: Any) -> tuple[str, Any]:
    """outcome() for an awaitable, inside an async scenario."""
    try:
        return ("ok", await awaitable)
    except Exception as exc:  # noqa: BLE001
        name = type(exc).__name__
        return ("raises", EXC_ALIASES.get(name, name))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def norm(value: Any) -> Any:
    """Plain data that both engines must agree on: generated ids are replaced by
    placeholders; library objects become tagged tuples of their public fields."""
    kind = type(value).__name__
    if isinstance(value, str):
        if _HEX_ID.match(value):
            return "<id>"
        return _UUID.sub("<id>", value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, BaseException):
        return ("exception", EXC_ALIASES.get(kind, kind))
    if kind == "Interrupt":
        return ("Interrupt", norm(value.value))
    if kind == "StateSnapshot":
        meta = value.metadata or {}
        return (
            "StateSnapshot",
            norm(value.values),
            tuple(value.next),
            tuple(norm(t) for t in value.tasks),
            tuple(norm(i) for i in getattr(value, "interrupts", ())),
            meta.get("source"),
            meta.get("step"),
        )
    if kind == "PregelTask":
        return (
            "PregelTask",
            value.name,
            norm(value.error) if value.error is not None else None,
            tuple(norm(i) for i in value.interrupts),
            norm(value.state) if value.state is not None and not _is_config(value.state) else None,
            norm(value.result),
        )
    if kind in ("Item", "SearchItem"):
        # A store item: where it lives and what it holds, not when it was written.
        fields = (norm(tuple(value.namespace)), norm(value.key), norm(value.value))
        return (kind, *fields, getattr(value, "score", None))
    if kind in ("Command", "Send"):
        fields = {f: getattr(value, f) for f in ("update", "goto", "resume", "graph", "node", "arg") if hasattr(value, f)}
        return (kind, norm(fields))
    if hasattr(value, "model_dump") and hasattr(value, "content") and hasattr(value, "type"):
        # A LangChain message: its kind and what a user reads, not its generated id.
        data = value.model_dump()
        keep = ("type", "content", "name", "tool_calls", "tool_call_id")
        return ("message", norm({k: data[k] for k in keep if k in data}))
    if hasattr(value, "model_dump"):  # another Pydantic model
        return (kind, norm(value.model_dump()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (kind, norm({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}))
    if isinstance(value, dict):
        return {norm(k): norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, set | frozenset):
        return sorted((norm(v) for v in value), key=repr)
    return (kind, repr(value))


def _is_config(value: Any) -> bool:
    return isinstance(value, dict) and "configurable" in value


def run(scenario: Callable[[Lib], Any], lib: Lib) -> Any:
    result = scenario(lib)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return norm(result)


def compared(scenario: Callable[[Lib], Any]) -> Callable[[], None]:
    """A test that runs `scenario` on LangGraph, then on Lockstep, and compares."""

    @functools.wraps(scenario)
    def test() -> None:
        expected = run(scenario, LANGGRAPH)
        got = run(scenario, LOCKSTEP)
        assert got == expected, f"lockstep:\n{got!r}\nlanggraph:\n{expected!r}"

    test.__signature__ = inspect.Signature()  # pytest must not look for a `lib` fixture
    test.scenario = scenario  # type: ignore[attr-defined]
    return test
