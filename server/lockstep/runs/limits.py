"""The server's limits on what one caller may ask of it, and the errors that say so.

Each is a `lockstep serve` flag (see cli/args.py); the defaults suit one server
on one machine. A limit that is hit is the caller's doing, so it is a clear
status (RESOURCE_EXHAUSTED, INVALID_ARGUMENT, or DEADLINE_EXCEEDED for a run's
time), never INTERNAL.
"""

from __future__ import annotations

from dataclasses import dataclass

from lockstep.runs.errors import Code, LimitExceeded, Reason

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one caller may ask of the server: bounds on memory, store and time."""

    #: gRPC's receive and send limit per message; bigger ones fail RESOURCE_EXHAUSTED.
    max_message_bytes: int = 16 * MiB
    #: A thread's state, serialised as the store keeps it; a run step or an update
    #: that would make it bigger is refused and not saved.
    max_state_bytes: int = 4 * MiB
    #: Events one run may stream (and keep for JoinRun); the run stops with an error past it.
    max_run_events: int = 10_000
    #: Seconds a run may take (from its start, not its wait in a queue); then it
    #: stops at a step boundary with status TIMEOUT.
    max_run_seconds: float = 3600.0
    #: How deeply a request's Struct/Value payloads may nest (protobuf's own parser
    #: refuses about 33 levels whatever this says).
    max_struct_depth: int = 32

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) <= 0:
                raise ValueError(f"limit {name} must be positive, got {getattr(self, name)}")


def too_many_events(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        f"the run streamed more than {limits.max_run_events} events, the server's limit "
        "(lockstep serve --max-run-events); it was stopped at a step boundary",
        Reason.TOO_MANY_EVENTS,
        Code.RESOURCE_EXHAUSTED,
    )


def run_timed_out(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        f"the run took longer than {limits.max_run_seconds:g}s, the server's limit "
        "(lockstep serve --max-run-seconds); it was stopped at a step boundary: "
        "run the thread again with no input to go on",
        Reason.RUN_TIMEOUT,
        Code.DEADLINE_EXCEEDED,
    )
