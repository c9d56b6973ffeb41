"""The short names the server and the SDK give the contract's enums: `RUN_STATUS_SUCCESS` <-> "success".

Derived from the enum descriptors (buf lint holds every value to the `ENUM_NAME_` prefix),
so a value added to protos/ has its name on both sides at once, and neither side keeps
a table of its own.
"""

from __future__ import annotations

import re

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from lockstep_api.v1 import enums_pb2

__all__ = [
    "CHECKPOINT_SOURCES",
    "DURABILITY",
    "IF_EXISTS",
    "INTERRUPT_WHEN",
    "MULTITASK_STRATEGIES",
    "ON_DISCONNECT",
    "RUN_STATUSES",
    "STREAM_MODES",
    "THREAD_STATUSES",
    "EnumNames",
]


class EnumNames:
    """One enum's values by short name and back; UNSPECIFIED (0) has no name."""

    def __init__(self, enum: EnumTypeWrapper) -> None:
        self.enum = enum
        # ThreadStatus -> THREAD_STATUS_
        self.prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.DESCRIPTOR.name).upper() + "_"
        self.numbers: dict[str, int] = {
            name.removeprefix(self.prefix).lower(): number
            for name, number in enum.items()
            if number != 0
        }
        self.names: dict[int, str] = {number: name for name, number in self.numbers.items()}

    def number(self, name: str) -> int:
        """The number of a short name; KeyError for a name the enum does not have."""
        return self.numbers[name]

    def name(self, number: int) -> str:
        """The short name of a number: '' for UNSPECIFIED, the number as text if unknown
        (a newer peer's value)."""
        if number == 0:
            return ""
        return self.names.get(number, str(number))


THREAD_STATUSES = EnumNames(enums_pb2.ThreadStatus)
RUN_STATUSES = EnumNames(enums_pb2.RunStatus)
STREAM_MODES = EnumNames(enums_pb2.StreamMode)
MULTITASK_STRATEGIES = EnumNames(enums_pb2.MultitaskStrategy)
ON_DISCONNECT = EnumNames(enums_pb2.OnDisconnect)
DURABILITY = EnumNames(enums_pb2.Durability)
INTERRUPT_WHEN = EnumNames(enums_pb2.InterruptWhen)
CHECKPOINT_SOURCES = EnumNames(enums_pb2.CheckpointSource)
IF_EXISTS = EnumNames(enums_pb2.IfExists)
