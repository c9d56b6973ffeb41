"""Reading a state schema (TypedDict, dataclass, Pydantic model) into channels, and
how a node sees the state through its own input schema.

Pydantic is not a dependency: a class can only be a `BaseModel` once pydantic has
been imported, so it is looked for in `sys.modules` rather than imported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import sys
import typing
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from lockstep.errors import GraphBuildError
from lockstep.graph.channels import MISSING, Channel, LastValue, Reducer
from lockstep.managed import manager_of


def channels_for(schema: type) -> dict[str, Channel]:
    """One channel per state key: Annotated[T, reducer] folds, anything else keeps the
    last. Managed values (lockstep.managed) are no channels: see managed_for."""
    hints = get_type_hints(schema, include_extras=True)
    return {
        key: _channel(key, hint)
        for key, hint in hints.items()
        if not key.startswith("__") and manager_of(hint) is None
    }


_managed: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()


def managed_for(schema: Any) -> dict[str, Any]:
    """The schema's managed values (`remaining_steps: RemainingSteps`): key -> manager."""
    try:
        return _managed[schema]
    except (KeyError, TypeError):
        pass
    try:
        hints = get_type_hints(schema, include_extras=True)
    except (NameError, TypeError):
        return {}
    found = {key: m for key, hint in hints.items() if (m := manager_of(hint)) is not None}
    with contextlib.suppress(TypeError):
        _managed[schema] = found
    return found


def merge_channels(into: dict[str, Channel], schema: type, adding: Mapping[str, Channel]) -> None:
    """Add a schema's keys to a graph's channels. A key two schemas declare keeps its
    first channel; a later schema may only repeat it as a plain key or with the same
    reducer, as LangGraph allows."""
    for key, channel in adding.items():
        have = into.get(key)
        if have is None:
            into[key] = channel
        elif not isinstance(channel, LastValue) and not _same_rule(have, channel):
            raise GraphBuildError(
                f"{getattr(schema, '__name__', schema)} declares state key {key!r} with "
                "another reducer than an earlier schema; give both the same annotation"
            )


def _same_rule(a: Channel, b: Channel) -> bool:
    if isinstance(a, Reducer) and isinstance(b, Reducer):
        return a.reducer == b.reducer
    return type(a) is type(b)


def reducer_name(channel: Channel) -> str:
    """How a key combines writes, for people reading a graph's description."""
    if isinstance(channel, Reducer):
        return getattr(channel.reducer, "__qualname__", repr(channel.reducer))
    return ""


def _channel(key: str, hint: Any) -> Channel:
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        for extra in extras:
            if callable(extra) and not isinstance(extra, type):
                return Reducer(key, extra, _initial(base))
    return LastValue(key)


def _initial(base: Any) -> Callable[[], Any] | Any:
    """A factory for the reducer's starting value (list -> []), as LangGraph starts one."""
    origin = get_origin(base) or base
    if origin in (typing.Union, typing.Any) or not isinstance(origin, type):
        return MISSING
    try:
        origin()
    except Exception:
        return MISSING
    return origin


# -- a node's view of the state --------------------------------------------------


def is_pydantic_model(cls: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)


def builds_instances(schema: Any) -> bool:
    """Nodes reading a dataclass or Pydantic schema get an instance of it, not a dict."""
    return isinstance(schema, type) and (dataclasses.is_dataclass(schema) or is_pydantic_model(schema))


@dataclasses.dataclass(frozen=True, slots=True)
class Reader:
    """How a node (or a conditional edge) reads the state: the keys of its input
    schema that hold a value, built into the schema's class when that is a dataclass
    or a Pydantic model (which validates them then, as LangGraph does)."""

    keys: tuple[str, ...]
    build: Callable[..., Any] | None = None

    def read(self, channels: Mapping[str, Channel]) -> Any:
        values = {}
        for key in self.keys:
            value = channels[key].value
            if value is not MISSING:
                values[key] = value
        return values if self.build is None else self.build(**values)


def reader_for(schema: type, keys: Sequence[str]) -> Reader:
    """A reader of `keys`, and of the schema's managed values (set by the loop)."""
    keys = tuple(keys) + tuple(managed_for(schema))
    return Reader(keys, schema if builds_instances(schema) else None)


def input_schema_of(fn: Any) -> type | None:
    """The schema a node or path declares by annotating its first parameter with a
    class that has annotations of its own (`def node(state: PrivateState)`); None
    when it declares none. As LangGraph reads it: functions, methods and objects
    whose `__call__` is a method; an annotation that cannot be resolved is no schema."""
    call = getattr(fn, "__call__", None)  # noqa: B004 - objects with a __call__ method
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.ismethod(call)):
        return None
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else call
    try:
        hints = get_type_hints(target)
        first = next(iter(inspect.signature(target).parameters), None)
    except (NameError, TypeError, ValueError):
        return None
    hint = hints.get(first) if first is not None else None
    if not isinstance(hint, type):
        return None
    try:
        return hint if get_type_hints(hint) else None
    except (NameError, TypeError):
        return None


# -- objects as updates ---------------------------------------------------------

_annotated: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def has_annotations(cls: type) -> bool:
    """A class declaring fields (dataclass, Pydantic model, any annotated class):
    LangGraph reads an instance of one returned by a node as an update."""
    found = _annotated.get(cls)
    if found is None:
        found = _annotated[cls] = any(
            isinstance(base.__dict__.get("__annotations__"), dict) and base.__dict__["__annotations__"]
            for base in cls.__mro__
        )
    return found


def object_writes(value: Any, keys: Sequence[str]) -> list[tuple[str, Any]]:
    """An object's attributes named as state keys, as writes. As LangGraph: a None
    attribute of a Pydantic model is left out when the field's default is None and
    it was not set explicitly (so a partial model does not clear keys)."""
    fields = getattr(type(value), "model_fields", None) if is_pydantic_model(type(value)) else None
    given = value.model_fields_set if fields is not None else ()
    out = []
    for key in keys:
        attr = getattr(value, key, MISSING)
        if attr is MISSING:
            continue
        if attr is None and fields is not None and key in fields:
            if fields[key].default is None and key not in given:
                continue
        out.append((key, attr))
    return out
