"""Managed values: state keys the engine fills in for each step rather than nodes.

As in LangGraph, annotate a key of the state schema with one and every node (and
path function) reading that schema sees it; it is never stored, streamed or
returned, and a run's input or a node's update does not set it:

    class State(TypedDict):
        messages: Annotated[list, add_messages]
        remaining_steps: RemainingSteps  # steps left before the recursion limit

Each is a type annotated with its manager, a class whose `value(remaining)` gives
the key's value from the number of steps the run has left (1 on its last step).
"""

from __future__ import annotations

from typing import Annotated, Any, get_args, get_origin


class ManagedValue:
    """A managed value's rule; subclasses say what the key holds."""

    @staticmethod
    def value(remaining: int) -> Any:
        raise NotImplementedError


class RemainingStepsManager(ManagedValue):
    """How many steps the run may still take, this one included."""

    @staticmethod
    def value(remaining: int) -> int:
        return remaining


class IsLastStepManager(ManagedValue):
    """True on the step after which the run would reach its recursion limit."""

    @staticmethod
    def value(remaining: int) -> bool:
        return remaining <= 1


RemainingSteps = Annotated[int, RemainingStepsManager]
IsLastStep = Annotated[bool, IsLastStepManager]


def manager_of(hint: Any) -> type[ManagedValue] | None:
    """The manager a state key's annotation names, or None for an ordinary key."""
    if get_origin(hint) is Annotated:
        for extra in get_args(hint)[1:]:
            if isinstance(extra, type) and issubclass(extra, ManagedValue):
                return extra
    return None


__all__ = ["IsLastStep", "ManagedValue", "RemainingSteps"]
