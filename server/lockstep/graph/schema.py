"""Reading a state schema (TypedDict or dataclass) into channels."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from lockstep.graph.channels import MISSING, Channel, LastValue, Reducer


def channels_for(schema: type) -> dict[str, Channel]:
    """One channel per state key: Annotated[T, reducer] folds, anything else keeps the last."""
    hints = get_type_hints(schema, include_extras=True)
    return {key: _channel(key, hint) for key, hint in hints.items() if not key.startswith("__")}


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


def is_dataclass_schema(schema: type) -> bool:
    return dataclasses.is_dataclass(schema)


def dataclass_defaults(schema: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(schema):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out
