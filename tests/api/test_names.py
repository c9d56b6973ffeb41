"""names: the short names both sides give the contract's enums, derived from the protos."""

from __future__ import annotations

import pytest

from lockstep_api import names
from lockstep_api.v1 import enums_pb2

TABLES = [v for v in vars(names).values() if isinstance(v, names.EnumNames)]


def test_every_enum_of_the_contract_has_its_names():
    # ErrorReason's names are lockstep_api.reasons' Reason (upper case, as ErrorInfo sends them).
    enums = set(enums_pb2.DESCRIPTOR.enum_types_by_name) - {"ErrorReason"}
    assert {t.enum.DESCRIPTOR.name for t in TABLES} == enums


@pytest.mark.parametrize(
    ("table", "name", "number"),
    [
        (names.RUN_STATUSES, "success", enums_pb2.RUN_STATUS_SUCCESS),
        (names.THREAD_STATUSES, "interrupted", enums_pb2.THREAD_STATUS_INTERRUPTED),
        (names.STREAM_MODES, "updates", enums_pb2.STREAM_MODE_UPDATES),
        (names.MULTITASK_STRATEGIES, "rollback", enums_pb2.MULTITASK_STRATEGY_ROLLBACK),
        (names.IF_EXISTS, "do_nothing", enums_pb2.IF_EXISTS_DO_NOTHING),
        (names.CHECKPOINT_SOURCES, "fork", enums_pb2.CHECKPOINT_SOURCE_FORK),
        (names.INTERRUPT_WHEN, "during", enums_pb2.INTERRUPT_WHEN_DURING),
    ],
)
def test_a_name_is_the_value_without_its_enum_prefix(table, name, number):
    assert table.number(name) == number
    assert table.name(number) == name


def test_every_value_but_unspecified_has_a_name_both_ways():
    for table in TABLES:
        assert len(table.numbers) == len(table.enum.values()) - 1
        assert "unspecified" not in table.numbers
        for name, number in table.numbers.items():
            assert table.name(number) == name
            assert table.enum.Name(number) == table.prefix + name.upper()


def test_unspecified_has_no_name_and_an_unknown_number_keeps_its_number():
    assert names.RUN_STATUSES.name(0) == ""
    assert names.RUN_STATUSES.name(99) == "99"
    with pytest.raises(KeyError):
        names.STREAM_MODES.number("events")  # LangGraph SDK's, not a Lockstep mode
