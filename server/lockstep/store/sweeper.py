"""A background thread that deletes a store's expired items now and then.

Expired items are never returned (reads skip them), so sweeping only gives their
space back; a store without TTL configuration has nothing to sweep.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("lockstep.store")

DEFAULT_INTERVAL_MINUTES = 5.0


class Sweeper:
    """Runs `sweep` every interval until stopped; one per store."""

    def __init__(self, sweep: Callable[[], int]) -> None:
        self._sweep = sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._done: concurrent.futures.Future[None] | None = None

    def start(self, interval_minutes: float) -> concurrent.futures.Future[None]:
        """Start sweeping (or keep the running sweeper); the future resolves when it
        stops, and cancelling it stops it."""
        if self._thread is not None and self._thread.is_alive() and self._done is not None:
            return self._done
        self._stop.clear()
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.add_done_callback(lambda f: self._stop.set() if f.cancelled() else None)
        self._done = done
        self._thread = threading.Thread(
            target=self._loop,
            args=(interval_minutes * 60, done),
            daemon=True,
            name="store-ttl-sweeper",
        )
        self._thread.start()
        return done

    def stop(self, timeout: float | None = None) -> bool:
        """Stop sweeping; True once the thread has ended (or none was running)."""
        thread = self._thread
        if thread is None:
            return True
        self._stop.set()
        thread.join(timeout)
        stopped = not thread.is_alive()
        if stopped:
            self._thread = None
        return stopped

    def _loop(self, interval_seconds: float, done: concurrent.futures.Future[None]) -> None:
        while not self._stop.wait(interval_seconds):
            try:
                swept = self._sweep()
            except Exception:  # noqa: BLE001 - a failed sweep is retried next interval
                logger.exception("store TTL sweep failed")
                continue
            if swept:
                logger.info("store TTL sweep deleted %d expired items", swept)
        if not done.done():
            done.set_result(None)


class SweepsTTL:
    """The TTL sweeper methods of a store that keeps a `Sweeper` in `_sweeper` and its
    TTL configuration in `ttl_config` (both backends)."""

    _sweeper: Sweeper
    ttl_config: dict | None

    def start_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> concurrent.futures.Future[None]:
        """Sweep expired items every interval (the argument, else the TTL config's
        `sweep_interval_minutes`, else 5) in a background thread."""
        interval = sweep_interval_minutes or (self.ttl_config or {}).get("sweep_interval_minutes")
        return self._sweeper.start(float(interval or DEFAULT_INTERVAL_MINUTES))

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the background sweeper; True once it has stopped."""
        return self._sweeper.stop(timeout)
