"""convert: Python values <-> Struct/Value, the one conversion both SDK and server use."""

from __future__ import annotations

import dataclasses
import enum
import math

import pytest
from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct, Value

from lockstep_api.convert import (
    MAX_SAFE_INT,
    from_list,
    from_struct,
    from_value,
    to_list,
    to_struct,
    to_value,
)


def roundtrip(obj):
    return from_struct(Struct.FromString(to_struct(obj).SerializeToString()))


def test_ints_come_back_as_ints():
    out = roundtrip({"a": 1, "b": -3, "c": 0, "big": MAX_SAFE_INT, "f": 2.5})
    assert out == {"a": 1, "b": -3, "c": 0, "big": MAX_SAFE_INT, "f": 2.5}
    assert type(out["a"]) is int and type(out["big"]) is int
    assert type(out["f"]) is float


def test_integral_float_comes_back_as_int():
    # A Struct cannot tell 1.0 from 1: both are the double 1.0. JSON's view wins.
    out = roundtrip({"x": 1.0})
    assert out == {"x": 1} and type(out["x"]) is int


def test_nested_structures():
    value = {
        "s": "text",
        "n": None,
        "t": True,
        "f": False,
        "list": [1, "two", [3, {"four": 4}], {}],
        "obj": {"inner": {"deep": [None, 1.5]}},
        "empty_obj": {},
        "empty_list": [],
    }
    assert roundtrip(value) == value


def test_tuples_become_lists_and_dataclasses_dicts():
    @dataclasses.dataclass
    class Point:
        x: int
        y: tuple[int, ...]

    assert roundtrip({"p": Point(1, (2, 3)), "t": (1, (2,))}) == {
        "p": {"x": 1, "y": [2, 3]},
        "t": [1, [2]],
    }
    assert from_struct(to_struct(Point(1, ()))) == {"x": 1, "y": []}


def test_str_enum_and_bool_subtleties():
    class Color(enum.StrEnum):
        RED = "red"

    out = roundtrip({"c": Color.RED, "b": True, "i": 1})
    assert out == {"c": "red", "b": True, "i": 1}
    assert type(out["b"]) is bool


def test_scalars_and_lists():
    for obj in [None, True, 0, -7, 3.25, "x", [1, [2]], {"a": 1}]:
        assert from_value(to_value(obj)) == obj
    assert from_list(to_list((1, "a"))) == [1, "a"]
    assert from_value(Value()) is None  # a Value with no kind set reads as null


def test_matches_json_format():
    value = {"a": [1, 2.5, None, {"b": "c"}], "d": True}
    assert json_format.MessageToDict(to_struct(value)) == json_format.MessageToDict(
        json_format.ParseDict(value, Struct())
    )


@pytest.mark.parametrize(
    ("obj", "exc", "message"),
    [
        ({"a": [0, 1, math.nan]}, ValueError, "values['a'][2]: NaN is not a JSON value"),
        ({"a": math.inf}, ValueError, "values['a']: inf is not a JSON value"),
        ({"a": {"b": -math.inf}}, ValueError, "values['a']['b']: -inf is not a JSON value"),
        ({"a": b"x"}, TypeError, "values['a']: bytes are not a JSON value"),
        ({"a": [object()]}, TypeError, "values['a'][0]: object is not a JSON value"),
        ({"a": {1: "x"}}, TypeError, "values['a']: key 1 is a int; JSON object keys must be str"),
        ({"a": {1, 2}}, TypeError, "values['a']: set is not a JSON value"),
        ({"n": 2**60}, ValueError, "values['n']: integer 1152921504606846976 is beyond"),
    ],
)
def test_errors_name_the_path(obj, exc, message):
    with pytest.raises(exc) as info:
        to_struct(obj, "values")
    assert str(info.value).startswith(message)


def test_struct_must_be_object_shaped():
    with pytest.raises(TypeError, match="input: expected an object"):
        to_struct([1, 2], "input")
    with pytest.raises(TypeError, match="input: expected an object"):
        to_struct("hello", "input")


def test_default_path_name():
    with pytest.raises(ValueError, match=r"^value\[1\]: NaN"):
        to_value([1, math.nan])
