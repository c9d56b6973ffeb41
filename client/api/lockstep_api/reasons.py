"""The reasons an error status gives (`google.rpc.ErrorInfo.reason`), as declared in
the protos (`lockstep.v1.ErrorReason`): one Python name for each, derived from the
enum, so a reason added to the contract is here without a second list to keep.

On the wire a reason is the enum value's name without its prefix: the member
`Reason.THREAD_BUSY` is the string "THREAD_BUSY" (a `StrEnum`, so it compares
equal to the string a server sends), and `Reason.number` is its enum value.
"""

from __future__ import annotations

import enum

from lockstep_api.v1 import enums_pb2

#: ErrorInfo.domain of every Lockstep error.
DOMAIN = "lockstep.dev"
PREFIX = "ERROR_REASON_"


class _Reason(enum.StrEnum):
    @property
    def number(self) -> int:
        """The value of `lockstep.v1.ErrorReason` this reason names."""
        return enums_pb2.ErrorReason.Value(PREFIX + self.value)


Reason = _Reason(
    "Reason",
    [
        (name.removeprefix(PREFIX), name.removeprefix(PREFIX))
        for name in enums_pb2.ErrorReason.keys()
        if name != PREFIX + "UNSPECIFIED"
    ],
    module=__name__,
)
Reason.__doc__ = "Why a call failed, as `ErrorInfo.reason` says it (see lockstep.v1.ErrorReason)."


def reason(text: str) -> Reason | None:
    """The reason a server sent, or None for one this contract does not declare."""
    try:
        return Reason(text)
    except ValueError:
        return None


__all__ = ["DOMAIN", "PREFIX", "Reason", "reason"]
