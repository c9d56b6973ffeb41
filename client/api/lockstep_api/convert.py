"""Python values <-> google.protobuf.Value / Struct: the one way Lockstep turns data into JSON.

Both the SDK and the server import this module, so a value means the same thing on
either side of the wire. It depends on protobuf only, and walks Value fields by hand
(several times faster than `json_format`).

Rules:
- None, bool, str, int, float, dict (str keys), list/tuple, dataclass instances and
  objects with a pydantic-style `model_dump()` go in; everything else is refused.
- Structs carry every number as a double, so a number that comes back integral
  (`1.0`) is returned as `int` (`1`); other numbers as `float`.
- Integers beyond +/-2**53 cannot round-trip through a double and are refused,
  as are NaN and the infinities, which JSON cannot express.
Errors are `TypeError` (wrong kind of value) or `ValueError` (right kind, bad value),
and their message names the path of the culprit, e.g. `values['a'][2]: NaN is not a JSON value`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from google.protobuf.struct_pb2 import ListValue, Struct, Value

__all__ = [
    "MAX_SAFE_INT",
    "fill_struct",
    "fill_value",
    "from_list",
    "from_struct",
    "from_value",
    "to_list",
    "to_struct",
    "to_value",
]

#: The largest integer a double holds exactly; beyond it ints would come back changed.
MAX_SAFE_INT = 2**53

_NULL = 0  # google.protobuf.NullValue.NULL_VALUE


# ---------------------------------------------------------------------------- Python -> proto


class _Refused(Exception):
    """Raised deep in the walk; each level prepends its key so paths cost nothing until an error."""

    def __init__(self, exc_type: type[Exception], reason: str) -> None:
        super().__init__(reason)
        self.exc_type = exc_type
        self.reason = reason
        self.segments: list[str] = []


def _raise_with_path(err: _Refused, path: str) -> None:
    where = path + "".join(reversed(err.segments))
    raise err.exc_type(f"{where}: {err.reason}") from None


def to_value(obj: Any, path: str = "value") -> Value:
    """A new Value holding `obj`; `path` names it in error messages."""
    msg = Value()
    try:
        _fill_value(msg, obj)
    except _Refused as err:
        _raise_with_path(err, path)
    return msg


def to_struct(obj: Any, path: str = "value") -> Struct:
    """A new Struct holding the mapping (or dataclass) `obj`; refuses anything not object-shaped."""
    msg = Struct()
    fill_struct(msg, obj, path)
    return msg


def to_list(obj: Any, path: str = "value") -> ListValue:
    """A new ListValue holding the list or tuple `obj`."""
    if not isinstance(obj, list | tuple):
        raise TypeError(f"{path}: expected a list, got {type(obj).__name__}")
    msg = ListValue()
    try:
        _fill_list(msg, obj)
    except _Refused as err:
        _raise_with_path(err, path)
    return msg


def fill_struct(msg: Struct, obj: Any, path: str = "value") -> None:
    """Write the mapping `obj` into an existing Struct (e.g. a request's sub-message)."""
    mapping = _as_mapping(obj)
    if mapping is None:
        raise TypeError(f"{path}: expected an object (a dict), got {type(obj).__name__}")
    msg.SetInParent()  # {} is present, unlike None: input {} is not "continue from checkpoint"
    try:
        _fill_fields(msg, mapping)
    except _Refused as err:
        _raise_with_path(err, path)


def fill_value(msg: Value, obj: Any, path: str = "value") -> None:
    """Write `obj` into an existing Value (e.g. a map entry of a request)."""
    try:
        _fill_value(msg, obj)
    except _Refused as err:
        _raise_with_path(err, path)


def _as_mapping(obj: Any) -> Mapping[Any, Any] | None:
    if isinstance(obj, Mapping):
        return obj
    if isinstance(obj, type):
        return None
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        dumped = dump(mode="json")
        if isinstance(dumped, Mapping):
            return dumped
    return None


def _fill_fields(msg: Struct, mapping: Mapping[Any, Any]) -> None:
    fields = msg.fields
    for key, item in mapping.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise _Refused(
                    TypeError,
                    f"key {key!r} is a {type(key).__name__}; JSON object keys must be str",
                )
            key = str(key)
        try:
            _fill_value(fields[key], item)
        except _Refused as err:
            err.segments.append(f"[{key!r}]")
            raise


def _fill_list(msg: ListValue, items: list[Any] | tuple[Any, ...]) -> None:
    values = msg.values
    for i, item in enumerate(items):
        try:
            _fill_value(values.add(), item)
        except _Refused as err:
            err.segments.append(f"[{i}]")
            raise


def _fill_value(msg: Value, obj: Any) -> None:
    """Set exactly one kind of `msg` from `obj` (the hot path: exact types first)."""
    t = type(obj)
    if t is str:
        msg.string_value = obj
    elif t is dict:
        if obj:
            _fill_fields(msg.struct_value, obj)
        else:
            msg.struct_value.SetInParent()
    elif t is bool:
        msg.bool_value = obj
    elif t is int:
        _set_int(msg, obj)
    elif t is float:
        _set_float(msg, obj)
    elif obj is None:
        msg.null_value = _NULL
    elif t is list or t is tuple:
        if obj:
            _fill_list(msg.list_value, obj)
        else:
            msg.list_value.SetInParent()
    else:
        _fill_other(msg, obj)


def _set_int(msg: Value, obj: int) -> None:
    if -MAX_SAFE_INT <= obj <= MAX_SAFE_INT:
        msg.number_value = obj
    else:
        raise _Refused(
            ValueError,
            f"integer {obj} is beyond +/-2**53 and would not survive a JSON number "
            "(send it as a string)",
        )


def _set_float(msg: Value, obj: float) -> None:
    if math.isfinite(obj):
        msg.number_value = obj
    elif math.isnan(obj):
        raise _Refused(ValueError, "NaN is not a JSON value")
    else:
        raise _Refused(ValueError, f"{obj} is not a JSON value")


def _fill_other(msg: Value, obj: Any) -> None:
    """Subclasses (str enums, OrderedDict, ...) and object-shaped things; refuse the rest."""
    if isinstance(obj, str):
        msg.string_value = str.__str__(obj)  # the raw text, not an Enum's "Cls.NAME"
    elif isinstance(obj, bool):
        msg.bool_value = bool(obj)
    elif isinstance(obj, int):
        _set_int(msg, int(obj))
    elif isinstance(obj, float):
        _set_float(msg, float(obj))
    elif isinstance(obj, list | tuple):
        _fill_list(msg.list_value, obj)
        msg.list_value.SetInParent()
    elif isinstance(obj, bytes | bytearray | memoryview):
        raise _Refused(TypeError, "bytes are not a JSON value (encode them, e.g. as base64)")
    elif isinstance(obj, Value):
        msg.CopyFrom(obj)
    elif isinstance(obj, Struct):
        msg.struct_value.CopyFrom(obj)
    else:
        mapping = _as_mapping(obj)
        if mapping is None:
            raise _Refused(TypeError, f"{type(obj).__name__} is not a JSON value")
        _fill_fields(msg.struct_value, mapping)
        msg.struct_value.SetInParent()


# ---------------------------------------------------------------------------- proto -> Python


def from_value(msg: Value) -> Any:
    """The Python value a Value holds; integral numbers come back as `int`."""
    kind = msg.WhichOneof("kind")
    if kind == "string_value":
        return msg.string_value
    if kind == "number_value":
        n = msg.number_value
        return int(n) if n.is_integer() else n
    if kind == "struct_value":
        return {k: from_value(v) for k, v in msg.struct_value.fields.items()}
    if kind == "bool_value":
        return msg.bool_value
    if kind == "list_value":
        return [from_value(v) for v in msg.list_value.values]
    return None  # null_value, or a Value with no kind set


def from_struct(msg: Struct) -> dict[str, Any]:
    """The dict a Struct holds."""
    return {k: from_value(v) for k, v in msg.fields.items()}


def from_list(msg: ListValue) -> list[Any]:
    """The list a ListValue holds."""
    return [from_value(v) for v in msg.values]
