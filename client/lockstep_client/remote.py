"""RemoteGraph: a hosted graph behind LangGraph's own interface, so LangGraph code runs unchanged.

The server sends interrupts as their own events, after the last values; LangGraph
1.x folds them into the chunks instead. `ChunkAssembler` rebuilds LangGraph's form:

- values mode, after a dynamic (during) interrupt: `{**last_values, "__interrupt__": (Interrupt, ...)}`;
  static breakpoints add nothing.
- updates mode: `{"__interrupt__": (Interrupt, ...)}`, or `{"__interrupt__": ()}` for a breakpoint.
- several modes: `(mode, chunk)` tuples, the updates interrupt chunk before the values one.
- an `error` event raises RunFailedError naming the node, once the stream has ended.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lockstep_api.convert import from_struct, from_value
from lockstep_api.v1 import message_pb2, runs_service_pb2
from lockstep_client import _requests as rq
from lockstep_client.errors import RunFailedError, status_code_from_number
from lockstep_client.messages import message_from_dict
from lockstep_client.types import (
    Config,
    Interrupt,
    RunError,
    StateSnapshot,
    interrupt_from_proto,
    run_error_from_proto,
)

if TYPE_CHECKING:
    from lockstep_client.aio import AsyncClient
    from lockstep_client.client import Client

__all__ = ["AsyncRemoteGraph", "ChunkAssembler", "RemoteGraph"]

INTERRUPT_KEY = "__interrupt__"


class ChunkAssembler:
    """Turns RunEvent protos into the chunks LangGraph's `stream()` yields (pure; no I/O).

    With `subgraphs`, each chunk comes with its namespace first, `(ns, chunk)` or
    `(ns, mode, chunk)`, `()` for the graph's own; "messages" chunks are
    `(message, metadata)` with the message made a langchain-core object again when
    langchain-core is installed (`lockstep_client.messages`).
    """

    def __init__(self, stream_mode: str | Sequence[str], subgraphs: bool = False) -> None:
        self.modes = rq.stream_modes(stream_mode)
        self.tuples = not isinstance(stream_mode, str)
        self.subgraphs = subgraphs
        self.last_values: dict[str, Any] | None = None
        self.sub_values: dict[tuple[str, ...], Any] = {}  # each subgraph's last values
        self.interrupts: list[Interrupt] = []
        self.error: RunError | None = None
        self.run_id = ""
        self.thread_id = ""
        self.finished = False

    def _out(self, mode: str, chunk: Any, ns: tuple[str, ...] = ()) -> Any:
        if self.subgraphs:
            return (ns, mode, chunk) if self.tuples else (ns, chunk)
        return (mode, chunk) if self.tuples else chunk

    def feed(self, event: message_pb2.RunEvent) -> list[Any]:
        """The chunks this event yields (often one, sometimes none)."""
        kind = event.WhichOneof("event")
        ns = tuple(event.namespace)
        if ns and not self.subgraphs:
            return []
        if kind == "values":
            values = from_struct(event.values)
            if ns:
                self.sub_values[ns] = values
            else:
                self.last_values = values
            if "values" in self.modes:
                return [self._out("values", values, ns)]
        elif kind == "updates":
            upd = event.updates
            if "updates" in self.modes:
                values = from_struct(upd.values) if upd.HasField("values") else None
                return [self._out("updates", {upd.node: values}, ns)]
        elif kind == "messages":
            if "messages" in self.modes:
                message = message_from_dict(from_struct(event.messages.message))
                return [self._out("messages", (message, from_struct(event.messages.metadata)), ns)]
        elif kind in ("checkpoints", "tasks", "debug"):
            if kind in self.modes:
                return [self._out(kind, from_struct(getattr(event, kind)), ns)]
        elif kind == "interrupt":
            if ns:  # a subgraph's, as it happens: LangGraph's chunks in its namespace
                return self._interrupt_chunks((interrupt_from_proto(event.interrupt),), ns)
            self.interrupts.append(interrupt_from_proto(event.interrupt))
        elif kind == "custom":
            if "custom" in self.modes:
                return [self._out("custom", from_value(event.custom), ns)]
        elif kind == "metadata":
            self.run_id = event.metadata.run_id
            self.thread_id = event.metadata.thread_id
        elif kind == "error":
            self.error = run_error_from_proto(event.error)
        elif kind == "end":
            return self.finish()
        return []

    def finish(self) -> list[Any]:
        """The interrupt chunks, once (at `end`, or when the stream stops without one)."""
        if self.finished:
            return []
        self.finished = True
        if not self.interrupts:
            return []
        return self._interrupt_chunks(tuple(self.interrupts), ())

    def _interrupt_chunks(self, interrupts: tuple[Interrupt, ...], ns: tuple[str, ...]) -> list[Any]:
        """The updates chunk `{"__interrupt__": ...}` and the values chunk with them, as
        LangGraph yields them where the run (or, in `ns`, a subgraph) paused."""
        during = tuple(
            Interrupt(value=i.value, id=i.id, node=i.node, when=i.when)
            for i in interrupts
            if i.when == "during"
        )
        last = self.sub_values.get(ns) if ns else self.last_values
        out = []
        if "updates" in self.modes:
            out.append(self._out("updates", {INTERRUPT_KEY: during}, ns))
        if "values" in self.modes and during:
            out.append(self._out("values", {**(last or {}), INTERRUPT_KEY: during}, ns))
        return out

    def raise_if_failed(self) -> None:
        """Raise RunFailedError if the run ended with an error event."""
        if self.error is not None:
            err = self.error
            raise RunFailedError(
                err.message,
                status_code_from_number(err.code),
                node=err.node,
                error_type=err.error_type,
                run_id=self.run_id,
                thread_id=self.thread_id,
            )


def _split_input(input: Any) -> tuple[Any, Any]:
    """LangGraph passes a Command where the input goes: (input, command)."""
    if input is None or isinstance(input, Mapping):
        return input, None
    if rq.is_command_like(input):
        return None, input
    raise TypeError(f"input: expected a dict, None or a Command, got {type(input).__name__}")


def _invoke_result(latest: Any) -> Any:
    """LangGraph's invoke hands interrupts back as a list under __interrupt__."""
    if isinstance(latest, dict) and INTERRUPT_KEY in latest:
        return {**latest, INTERRUPT_KEY: list(latest[INTERRUPT_KEY])}
    return latest


def _thread_id(config: Mapping[str, Any] | None, what: str) -> str:
    thread_id = rq.thread_and_checkpoint(config)[0]
    if not thread_id:
        raise ValueError(f"{what} needs config={{'configurable': {{'thread_id': ...}}}}")
    return thread_id


class _RemoteGraphBase:
    """What RemoteGraph and AsyncRemoteGraph share: the handle, and every call's arguments."""

    def __init__(self, client: Any, graph_id: str) -> None:
        self.client = client
        self.graph_id = graph_id
        self.name = graph_id

    def get_name(self) -> str:
        """The name `add_node(remote)` gives the node in a local graph: the graph's id."""
        return self.name

    def _start(
        self,
        input: Any,
        config: Mapping[str, Any] | None,
        stream_mode: str | Sequence[str],
        interrupt_before: Sequence[str] | str | None,
        interrupt_after: Sequence[str] | str | None,
        subgraphs: bool,
        durability: str | None = None,
        context: Any = None,
    ) -> tuple[runs_service_pb2.StreamRunRequest, ChunkAssembler]:
        """The StreamRun request and the assembler for its chunks (argument errors raise here).

        Called as a node of a local graph (its config then names the task's namespace),
        the run goes to the thread of the parent's id on the server, as LangGraph's
        RemoteGraph does: the parent's checkpoint and namespace are its own, not sent."""
        run_input, command = _split_input(input)
        thread_id, checkpoint_id, ns = rq.thread_and_checkpoint(config)
        if ns:  # a task of a local graph: its checkpoint is the local one
            checkpoint_id = None
        req = rq.run_request(
            runs_service_pb2.StreamRunRequest,
            thread_id=thread_id,
            graph_id=self.graph_id,
            input=run_input,
            command=command,
            stream_mode=stream_mode,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            checkpoint_id=checkpoint_id,
            config=config,
            durability=durability,
            context=context,
            subgraphs=subgraphs,
        )
        return req, ChunkAssembler(stream_mode, subgraphs)

    def _checkpoint_args(self, config: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
        """threads.get_state/update_state's thread_id, checkpoint_id, checkpoint_ns, graph_id."""
        _, checkpoint_id, ns = rq.thread_and_checkpoint(config)
        return {
            "thread_id": _thread_id(config, what),
            "checkpoint_id": checkpoint_id,
            "checkpoint_ns": ns,
            "graph_id": self.graph_id,
        }

    def _history_args(self, config: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
        """threads.iter_history's thread_id, checkpoint_ns and graph_id."""
        _, _, ns = rq.thread_and_checkpoint(config)
        return {
            "thread_id": _thread_id(config, what),
            "checkpoint_ns": ns,
            "graph_id": self.graph_id,
        }


class RemoteGraph(_RemoteGraphBase):
    """A graph hosted by a Lockstep server, driven like a compiled LangGraph graph.

    Configs are LangGraph's: `{"configurable": {"thread_id": ..., "checkpoint_id": ...}}`;
    a checkpoint_id replays or forks from that checkpoint.
    """

    client: Client

    def __init__(self, client: Client, graph_id: str) -> None:
        super().__init__(client, graph_id)

    def stream(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        stream_mode: str | Sequence[str] = "values",
        *,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        subgraphs: bool = False,
        durability: str | None = None,
        context: Any = None,
        **_: Any,
    ) -> Iterator[Any]:
        """Yield what LangGraph's `stream()` yields for the same graph, input and modes."""
        return self._stream(
            *self._start(
                input,
                config,
                stream_mode,
                interrupt_before,
                interrupt_after,
                subgraphs,
                durability,
                context,
            )
        )

    def _stream(self, req: runs_service_pb2.StreamRunRequest, asm: ChunkAssembler) -> Iterator[Any]:
        for event in self.client.runs.stream_events(req):
            yield from asm.feed(event)
        yield from asm.finish()
        asm.raise_if_failed()

    def invoke(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        **kwargs: Any,
    ) -> Any:
        """The last values chunk (with `__interrupt__` as a list if the run paused)."""
        latest = None
        for chunk in self.stream(
            input,
            config,
            "values",
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            **kwargs,
        ):
            latest = chunk
        return _invoke_result(latest)

    def get_state(self, config: Mapping[str, Any], *, subgraphs: bool = False) -> StateSnapshot:
        """The thread's state; with subgraphs=True each subgraph task's `state` is the
        subgraph's own StateSnapshot."""
        args = self._checkpoint_args(config, "get_state")
        return self.client.threads.get_state(subgraphs=subgraphs, **args)

    def update_state(
        self, config: Mapping[str, Any], values: Any, as_node: str | None = None, **_: Any
    ) -> Config:
        """Write values as `as_node`'s output; returns the config of the new checkpoint."""
        args = self._checkpoint_args(config, "update_state")
        return self.client.threads.update_state(values=values, as_node=as_node, **args)

    def get_state_history(
        self,
        config: Mapping[str, Any],
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | str | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Snapshots newest first; pages are fetched as the iterator is consumed."""
        args = self._history_args(config, "get_state_history")
        return self.client.threads.iter_history(limit=limit, before=before, filter=filter, **args)


class AsyncRemoteGraph(_RemoteGraphBase):
    """RemoteGraph for asyncio: `ainvoke`, `astream`, `aget_state`, `aupdate_state`, `aget_state_history`."""

    client: AsyncClient

    def __init__(self, client: AsyncClient, graph_id: str) -> None:
        super().__init__(client, graph_id)

    def astream(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        stream_mode: str | Sequence[str] = "values",
        *,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        subgraphs: bool = False,
        durability: str | None = None,
        context: Any = None,
        **_: Any,
    ) -> AsyncIterator[Any]:
        """Async twin of RemoteGraph.stream (argument errors raise here, before any call)."""
        return self._astream(
            *self._start(
                input,
                config,
                stream_mode,
                interrupt_before,
                interrupt_after,
                subgraphs,
                durability,
                context,
            )
        )

    async def _astream(
        self, req: runs_service_pb2.StreamRunRequest, asm: ChunkAssembler
    ) -> AsyncIterator[Any]:
        async for event in self.client.runs.stream_events(req):
            for chunk in asm.feed(event):
                yield chunk
        for chunk in asm.finish():
            yield chunk
        asm.raise_if_failed()

    async def ainvoke(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        **kwargs: Any,
    ) -> Any:
        latest = None
        async for chunk in self.astream(
            input,
            config,
            "values",
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            **kwargs,
        ):
            latest = chunk
        return _invoke_result(latest)

    async def aget_state(
        self, config: Mapping[str, Any], *, subgraphs: bool = False
    ) -> StateSnapshot:
        args = self._checkpoint_args(config, "aget_state")
        return await self.client.threads.get_state(subgraphs=subgraphs, **args)

    async def aupdate_state(
        self, config: Mapping[str, Any], values: Any, as_node: str | None = None, **_: Any
    ) -> Config:
        args = self._checkpoint_args(config, "aupdate_state")
        return await self.client.threads.update_state(values=values, as_node=as_node, **args)

    def aget_state_history(
        self,
        config: Mapping[str, Any],
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        args = self._history_args(config, "aget_state_history")
        return self.client.threads.iter_history(limit=limit, before=before, filter=filter, **args)
