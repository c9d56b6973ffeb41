"""Channels: where state lives between supersteps, one small class per rule.

A channel folds the writes of one step into its value. Each can say what to
store for that step (a `Blob`): the whole value, or only the step's writes when
replaying them onto the previous value is cheaper to keep than a full copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from lockstep.checkpoint.base import Blob, new_tuple
from lockstep.errors import InvalidUpdateError
from lockstep.types import Overwrite

OVERWRITE = "__overwrite__"

MISSING: Any = object()

Write = tuple[str, Any]  # (writer node name, value)


class Channel:
    """A named slot with an update rule. Subclasses override what differs."""

    __slots__ = ("key", "value")
    stores_value = True  # False: availability is all there is, the version says it

    def __init__(self, key: str) -> None:
        self.key = key
        self.value: Any = MISSING

    def fresh(self) -> Channel:
        """An empty channel with the same rule (one per run). Subclasses with more
        slots copy them too; this runs for every channel on every read of a thread."""
        clone = object.__new__(type(self))
        clone.key = self.key
        clone.value = MISSING
        return clone

    def available(self) -> bool:
        return self.value is not MISSING

    def get(self) -> Any:
        return self.value

    def update(self, writes: Sequence[Write]) -> bool:
        raise NotImplementedError

    def with_writes(self, writes: Sequence[Write]) -> Channel:
        """A copy holding this value with `writes` folded in, this channel left as it is:
        for reading a state some writes would make without making it."""
        copy = self.fresh()
        copy.value = self.value
        copy.update(writes)
        return copy

    def consume(self) -> bool:
        """Called after a node triggered by this channel ran; True if that changed it."""
        return False

    def clear_if_unwritten(self) -> bool:
        """Called at a step's end on channels nobody wrote; True if that changed it."""
        return False

    def blob(self, writes: Sequence[Write]) -> Blob:
        """What to store for this step's change."""
        if self.value is MISSING:
            return Blob("empty")
        return new_tuple(Blob, ("full", self.value, None))

    def restore(self, chain: Sequence[Blob]) -> None:
        """Rebuild the value from a full blob followed by deltas."""
        value = MISSING
        for blob in chain:
            if blob.kind == "full":
                value = blob.value
            elif blob.kind == "empty":
                value = MISSING
            else:
                value = self._fold(value, blob.value)
        self.value = value

    def _fold(self, value: Any, writes: Sequence[Any]) -> Any:
        raise NotImplementedError


class LastValue(Channel):
    """A plain state key: keeps the last value; two writers in one step is an error."""

    __slots__ = ()

    def update(self, writes: Sequence[Write]) -> bool:
        if not writes:
            return False
        if len(writes) > 1:
            names = ", ".join(repr(w[0]) for w in writes)
            raise InvalidUpdateError(
                f"At key {self.key!r}: can receive only one value per step, got writes "
                f"from {names}. Declare it Annotated[..., reducer] to combine values."
            )
        self.value = writes[0][1]
        return True


class Reducer(Channel):
    """An Annotated[T, reducer] key: folds every write into the value, in order."""

    __slots__ = ("reducer", "initial", "since_full", "full_size", "own", "stored", "preview")

    def __init__(self, key: str, reducer: Callable[[Any, Any], Any], initial: Any = MISSING):
        super().__init__(key)
        self.reducer = reducer
        self.initial = initial
        self.since_full = 0  # writes stored as deltas since the last full copy
        self.full_size = 0  # the value's size at that copy
        # A reducer that folding the same writes again would not repeat (add_messages
        # gives ids to messages that come without one) brings its own (fold, replay)
        # as `lockstep_fold` (see ReducerFold); one wrapped in functools.partial
        # cannot be told apart from it, so its value is always stored whole.
        self.own: ReducerFold | None = getattr(reducer, "lockstep_fold", None)
        if self.own is None and getattr(getattr(reducer, "func", None), "lockstep_fold", None):
            self.own = WHOLE
        self.stored: list[Any] | None = None  # the last update's writes as `own` stores them
        # The last with_writes: (value it started from, the written values, what came
        # of them). A node's path function reads the state its writes make, and the
        # step then applies the same writes: the fold is done once (an agent's
        # add_messages per step), not twice.
        self.preview: tuple[Any, list[Any], Any, list[Any] | None] | None = None

    def fresh(self) -> Reducer:
        clone = super().fresh()
        clone.reducer = self.reducer
        clone.initial = self.initial
        clone.own = self.own
        clone.stored = None
        clone.preview = None
        clone.since_full = 0
        clone.full_size = 0
        if self.initial is not MISSING:
            clone.value = self.initial()
        return clone

    def update(self, writes: Sequence[Write]) -> bool:
        if not writes:
            return False
        values = [w[1] for w in writes]
        preview, self.preview = self.preview, None
        if preview is not None and preview[0] is self.value and _same(preview[1], values):
            self.value, self.stored = preview[2], preview[3]
            return True
        own = self.own
        if own is not None and own.fold is not None and self.value is not MISSING and not any(
            type(v) in _MAY_OVERWRITE and overwritten(v) is not MISSING for v in values
        ):
            self.value, self.stored = own.fold(self.value, values)
            return True
        self.stored = None
        self.value = self._fold(self.value, values)
        return True

    def with_writes(self, writes: Sequence[Write]) -> Channel:
        copy = super().with_writes(writes)
        if writes:
            base = self.value
            self.preview = (base, [w[1] for w in writes], copy.value, copy.stored)
        return copy

    def _fold(self, value: Any, writes: Sequence[Any]) -> Any:
        for write in writes:
            if type(write) in _MAY_OVERWRITE and overwritten(write) is not MISSING:
                return _overwrite(self.key, writes)
            value = write if value is MISSING else self.reducer(value, write)
        return value

    def blob(self, writes: Sequence[Write]) -> Blob:
        # Keep the writes alone until they add up to the size of the last full
        # copy: full copies then land at geometric intervals (sizes 1, 2, 4, ...),
        # so storage grows with what was written, not with steps x state size.
        self.since_full += len(writes)
        if any(type(w[1]) in _MAY_OVERWRITE and overwritten(w[1]) is not MISSING for w in writes):
            self.since_full = self.full_size  # an Overwrite starts a new full copy
        if self.since_full < self.full_size:
            if self.own is None:
                return Blob("delta", [w[1] for w in writes])
            stored, self.stored = self.stored, None
            if stored is not None and len(stored) == len(writes):
                return Blob("delta", stored)
        self.since_full = 0
        self.full_size = _size(self.value)
        return Blob("full", self.value)

    def restore(self, chain: Sequence[Blob]) -> None:
        own = self.own
        if own is None or own.replay is None:
            super().restore(chain)
        else:  # the reducer's own replay of its stored writes, a run of deltas at a time
            value: Any = MISSING
            deltas: list[Any] = []
            for blob in chain:
                if blob.kind == "delta":
                    deltas += blob.value
                    continue
                value = blob.value if blob.kind == "full" else MISSING
                deltas = []
            self.value = own.replay(value, deltas) if deltas else value
        full = chain[0] if chain and chain[0].kind == "full" else None
        self.full_size = _size(full.value) if full is not None else 0
        self.since_full = sum(len(b.value) for b in chain if b.kind == "delta")


class ReducerFold(NamedTuple):
    """A reducer's own way to be checkpointed, for one that folding the same writes
    again would not repeat. `fold(value, writes)` returns the new value and the
    writes as they can be folded again (add_messages: with the ids it gave);
    `replay(value, stored)` folds such stored writes, in order, onto a value."""

    fold: Callable[[Any, list[Any]], tuple[Any, list[Any]]] | None
    replay: Callable[[Any, list[Any]], Any] | None


WHOLE = ReducerFold(None, None)  # no way to fold again: the value is stored whole

_MAY_OVERWRITE = (Overwrite, dict)  # the types an Overwrite write can have


def overwritten(write: Any) -> Any:
    """The value an Overwrite write sets, or MISSING if `write` is an ordinary one: an
    `Overwrite`, or its dict forms ({"__overwrite__": v}, or the fields a JSON round
    trip of the dataclass leaves), as LangGraph reads them."""
    if isinstance(write, Overwrite):
        return write.value
    if isinstance(write, dict):
        if len(write) == 1 and OVERWRITE in write:
            return write[OVERWRITE]
        if write.get("type") == OVERWRITE and "value" in write and len(write) == 2:
            return write["value"]
    return MISSING


def _overwrite(key: str, writes: Sequence[Any]) -> Any:
    """A step's writes to a reducer key with an Overwrite among them: its value wins."""
    values = [v for v in map(overwritten, writes) if v is not MISSING]
    if len(values) > 1:
        raise InvalidUpdateError(
            f"At key {key!r}: can receive only one Overwrite value per step, got {len(values)}"
        )
    return values[0]


def _same(a: list[Any], b: list[Any]) -> bool:
    """The same objects, in the same order (not merely equal ones)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _size(value: Any) -> int:
    try:
        return max(len(value), 1)
    except TypeError:
        return 1


class Ephemeral(Channel):
    """Holds a value for the one step after it was written (the run's input)."""

    __slots__ = ()

    def update(self, writes: Sequence[Write]) -> bool:
        if not writes:
            return False
        self.value = writes[-1][1]
        return True

    def clear_if_unwritten(self) -> bool:
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True


class Managed(Channel):
    """A managed value's key (lockstep.managed): the loop sets it before each step;
    nothing writes or stores it."""

    __slots__ = ("manager",)
    stores_value = False

    def __init__(self, key: str, manager: Any) -> None:
        super().__init__(key)
        self.manager = manager

    def fresh(self) -> Managed:
        clone = Channel.fresh(self)
        clone.manager = self.manager
        return clone

    def update(self, writes: Sequence[Write]) -> bool:
        return False


class Trigger(Channel):
    """Wakes one node; a newer version than the node has seen means 'run'."""

    __slots__ = ()
    stores_value = False

    def fresh(self) -> Channel:
        return self  # holds nothing of a run's: every run shares the one

    def available(self) -> bool:
        return True  # asked only once its version says it was written

    def update(self, writes: Sequence[Write]) -> bool:
        return bool(writes)


class Barrier(Channel):
    """Wakes a node once every named source has written (edges from a list)."""

    __slots__ = ("names",)

    def __init__(self, key: str, names: Sequence[str]) -> None:
        super().__init__(key)
        self.names = frozenset(names)

    def fresh(self) -> Barrier:
        clone = super().fresh()
        clone.names = self.names
        clone.value = frozenset()
        return clone

    def available(self) -> bool:
        return self.value is not MISSING and self.value >= self.names

    def update(self, writes: Sequence[Write]) -> bool:
        seen = self.value if self.value is not MISSING else frozenset()
        new = seen | {w[1] for w in writes}
        if new == seen:
            return False
        self.value = new
        return True

    def consume(self) -> bool:
        if self.value:
            self.value = frozenset()
            return True
        return False


class Topic(Channel):
    """Collects every write of a step as a list; cleared when the next step takes it."""

    __slots__ = ()

    def update(self, writes: Sequence[Write]) -> bool:
        if not writes:
            return False
        self.value = [w[1] for w in writes]
        return True

    def clear_if_unwritten(self) -> bool:
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True
