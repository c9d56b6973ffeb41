"""RunSettings: how a run is set up beyond LangGraph's arguments, given to its Loop.

`invoke`/`stream` make them from their own arguments; a host's run handle
(pregel/host.py) adds what only a host asks for: a stop signal, write-behind
saves, a state-size limit and failures reported as NodeError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class StopSignal(Protocol):
    """Set from outside (another thread, the event loop) to stop a run at a step boundary."""

    def is_set(self) -> bool: ...


#: Hands a save to the store without waiting for it: (saver, put) -> None, where
#: put() makes the store calls; pregel/bridge.py's gate is one.
WriteBehind = Callable[[Any, Callable[[], None]], None]


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a Loop is built with besides the call's own arguments."""

    #: Only the run's last values chunk is wanted (invoke): states read for earlier
    #: values events are put off until one is known to be the last.
    final_only: bool = False
    #: Checked at each step boundary (and between a step's tasks): once set, the
    #: run stops there, its checkpoint saved; None: runs until it ends.
    stop: StopSignal | None = None
    #: How saves are queued without waiting (durability "async" on a host); None:
    #: each step is saved as it ends.
    write_behind: WriteBehind | None = None
    #: Refuse to save a state that serialises bigger than this (pregel/sizing.py).
    max_state_bytes: int | None = None
    #: A failed node raises NodeError(node, cause) (a host's run) instead of its
    #: own exception (invoke/stream, as LangGraph).
    node_errors: bool = False
    #: The astream_events call told of each task (pregel/events.py's EventRun).
    watcher: Any = None


DEFAULT = RunSettings()
