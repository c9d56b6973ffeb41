"""RunHandle: how a host (a server) drives one run of a graph.

`CompiledGraph.start_run()` returns it. A host reads the run's events from it,
stops it, waits for the engine to really stop (a sync node may still be in its
worker thread after the reader has gone), and reads how the run left the thread
(its final state, where it paused). A node's failure comes out of it as
NodeError(node, cause), so a host tells a node's own ValueError from a caller's
mistake. `astream` runs on the same machinery without these extras.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from lockstep.types import Interrupt, StateSnapshot


class RunHandle:
    """One run, started by `CompiledGraph.start_run` (with an event loop running);
    iterate it for its events, and aclose() it when done with it."""

    def __init__(
        self,
        graph: Any,
        input: Any,
        config: Any,
        stream_mode: Any,
        kw: dict[str, Any],
        *,
        max_state_bytes: int | None,
        prefetch: bool,
        subgraphs: bool = False,
    ) -> None:
        self.max_state_bytes = max_state_bytes
        self.prefetch = prefetch
        #: Events carry their run's namespace first (subgraphs' events included).
        self.subgraphs = subgraphs
        #: Set by stop(); the engine checks it at each step boundary.
        self.stop_signal = threading.Event()
        self._start = (graph, input, config, stream_mode, kw)
        self._events: AsyncIterator[Any] | None = None
        self._stopped = asyncio.get_running_loop().create_future()
        self._final: StateSnapshot | None = None

    def __aiter__(self) -> RunHandle:
        return self

    async def __anext__(self) -> Any:
        """The run's next event (with `subgraphs`, its namespace first); NodeError
        when a node failed."""
        if self._events is None:
            if self._stopped.done():
                raise StopAsyncIteration  # closed before it began
            graph, input, config, stream_mode, kw = self._start
            self._events = graph._arun(input, config, stream_mode, kw, self.subgraphs, host=self)
        return await self._events.__anext__()

    def stop(self) -> None:
        """Stop the run at its next step boundary; what it finished is saved."""
        self.stop_signal.set()

    async def aclose(self) -> None:
        """Stop the run and close its events; see stopped() for the engine itself."""
        self.stop()
        if self._events is None:
            self.engine_stopped()  # closed before it began: nothing ever ran
        else:
            await self._events.aclose()  # type: ignore[attr-defined]

    async def stopped(self) -> None:
        """Wait until the engine has really stopped (its worker threads have left
        their step), however early the run was stopped; a host holds the thread
        until then. Cancelling the wait leaves the run alone."""
        await asyncio.shield(self._stopped)

    @property
    def final(self) -> StateSnapshot | None:
        """The thread as the run left it when it ended done or paused, built from
        the run (what `aget_state` would then return); None while it runs, when
        it failed or was stopped, or when it saved no checkpoint."""
        return self._final

    @property
    def interrupts(self) -> tuple[Interrupt, ...]:
        """The interrupts the run paused on (none if it did not pause on one)."""
        final = self._final
        if final is None:
            return ()
        return tuple(i for task in final.tasks for i in task.interrupts)

    @property
    def next(self) -> tuple[str, ...]:
        """The nodes due next where the run ended (a static breakpoint's, if any)."""
        return tuple(self._final.next) if self._final is not None else ()

    # -- the engine's side ---------------------------------------------------

    def ended(self, final: StateSnapshot | None) -> None:
        """The run ended done or paused, leaving the thread as `final`."""
        self._final = final

    def engine_stopped(self) -> None:
        """Nothing of the run runs any more (called on the event loop's thread)."""
        if not self._stopped.done():
            self._stopped.set_result(None)
