"""Deferred nodes (`add_node(..., defer=True)`): a node that runs only once nothing
else is left to run, so a join reached by branches of different lengths runs once.

Its trigger channels hold what woke it until the run would otherwise end; then the
loop calls `finish()` on them (see `finish_deferred`) and the node runs in the next
step. Both keep their state in their value, so a checkpoint stores it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lockstep.graph.channels import MISSING, Channel, Write

# Values of a DeferredTrigger: written and waiting, or released by finish().
WAITING = "waiting"
RELEASED = "released"


class DeferredTrigger(Channel):
    """The edge channel of a deferred node: written, it waits for the run's end."""

    __slots__ = ()

    def available(self) -> bool:
        return self.value == RELEASED

    def update(self, writes: Sequence[Write]) -> bool:
        if not writes:
            return False
        self.value = WAITING
        return True

    def finish(self) -> bool:
        if self.value == WAITING:
            self.value = RELEASED
            return True
        return False

    def consume(self) -> bool:
        if self.value == RELEASED:
            self.value = MISSING
            return True
        return False


_NOTHING_SEEN: tuple[frozenset[str], bool] = (frozenset(), False)


class DeferredBarrier(Channel):
    """A join into a deferred node: complete and released by finish(), it wakes it.
    Its value: (the sources seen, released)."""

    __slots__ = ("names",)

    def __init__(self, key: str, names: Sequence[str]) -> None:
        super().__init__(key)
        self.names = frozenset(names)

    def fresh(self) -> DeferredBarrier:
        clone = super().fresh()
        clone.names = self.names
        clone.value = _NOTHING_SEEN
        return clone

    def _state(self) -> tuple[frozenset[str], bool]:
        return _NOTHING_SEEN if self.value is MISSING else self.value

    def available(self) -> bool:
        seen, released = self._state()
        return released and seen >= self.names

    def update(self, writes: Sequence[Write]) -> bool:
        seen, released = self._state()
        new = seen | {w[1] for w in writes}
        if new == seen:
            return False
        self.value = (new, released)
        return True

    def finish(self) -> bool:
        seen, released = self._state()
        if not released and seen >= self.names:
            self.value = (seen, True)
            return True
        return False

    def consume(self) -> bool:
        if self.available():
            self.value = _NOTHING_SEEN
            return True
        return False


def deferred_channels(channels: Mapping[str, Channel]) -> tuple[str, ...]:
    """The names of a graph's deferred trigger channels (none: the usual case)."""
    return tuple(
        name for name, c in channels.items() if isinstance(c, DeferredTrigger | DeferredBarrier)
    )


def finish_deferred(
    channels: Mapping[str, Any],
    deferred: tuple[str, ...],
    changed: set[str],
    trigger_index: Mapping[str, Any],
) -> None:
    """As LangGraph: when no channel the step changed can wake a node (the run is
    about to end), release the deferred nodes that were woken; they run next."""
    for name in changed:
        if name in trigger_index and channels[name].available():
            return
    for name in deferred:
        if channels[name].finish():
            changed.add(name)
