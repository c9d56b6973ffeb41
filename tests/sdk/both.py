"""Both SDK clients behind one face, so a behaviour test is written once and run on each.

`open_client("sync", ...)` is a plain `Client`. `open_client("async", ...)` is an
`AsyncClient` seen through `Synced`: every call runs to completion on an event
loop of its own, an async iterator becomes an iterator that pulls one item per
`next()` (so leaving a stream early behaves as it does with the sync client),
and the async RemoteGraph's a-named methods (`ainvoke`, `astream`, ...) answer to
the sync names. Arguments are handed over untouched: if the async client drops
one, the test that checks its effect fails for the async run only.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

from lockstep_client import AsyncClient, AsyncRemoteGraph, Client
from lockstep_client.aio import (
    AsyncGraphsClient,
    AsyncRunsClient,
    AsyncStoreClient,
    AsyncThreadsClient,
)

KINDS = ("sync", "async")
_ASYNC_HANDLES = (
    AsyncClient,
    AsyncGraphsClient,
    AsyncRunsClient,
    AsyncStoreClient,
    AsyncThreadsClient,
    AsyncRemoteGraph,
)


class Synced:
    """An async SDK object (client, resource or RemoteGraph) driven with sync calls."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        try:
            attr = getattr(self._target, name)
        except AttributeError:
            if not isinstance(self._target, AsyncRemoteGraph):
                raise
            attr = getattr(self._target, "a" + name)  # invoke -> ainvoke, stream -> astream
        if not callable(attr):
            return self._synced(attr)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._synced(attr(*args, **kwargs))

        return call

    def _synced(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            return self._synced(self._loop.run_until_complete(value))
        if isinstance(value, AsyncIterator):
            return SyncedIterator(value, self._loop)
        if isinstance(value, _ASYNC_HANDLES):
            return Synced(value, self._loop)
        return value


class SyncedIterator(Iterator[Any]):
    """An async iterator pulled one item per `next()`; `close()` closes it, as a generator's does."""

    def __init__(self, source: AsyncIterator[Any], loop: asyncio.AbstractEventLoop) -> None:
        self._source = source
        self._loop = loop

    def __next__(self) -> Any:
        try:
            return self._loop.run_until_complete(anext(self._source))
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None and not self._loop.is_closed():
            self._loop.run_until_complete(aclose())


@contextlib.contextmanager
def open_client(kind: str, target: str, **kwargs: Any) -> Iterator[Any]:
    """A connected client of `kind` ('sync' or 'async'), closed (with its loop) afterwards."""
    if kind == "sync":
        with Client(target, **kwargs) as client:
            yield client
        return
    assert kind == "async", kind
    loop = asyncio.new_event_loop()

    async def connect() -> AsyncClient:
        return AsyncClient(target, **kwargs)  # made inside the loop that will use it

    client = loop.run_until_complete(connect())
    try:
        yield Synced(client, loop)
    finally:
        loop.run_until_complete(client.close())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
