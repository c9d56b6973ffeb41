"""CompiledGraph: run a graph on a thread, read it, edit it, travel back in it."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

from lockstep.checkpoint.base import (
    BaseSaver,
    Blob,
    CheckpointTuple,
    Config,
    checkpoint_id_of,
    thread_id_of,
)
from lockstep.checkpoint.namespaced import Namespaced
from lockstep.constants import END, INTERRUPT, SENDS, SKIPPED, START, branch_channel
from lockstep.errors import (
    GraphInterrupt,
    GraphRecursionError,
    InvalidUpdateError,
    NodeError,
    ParentCommand,
)
from lockstep.graph.channels import MISSING, Channel, Ephemeral, LastValue, Managed, Topic
from lockstep.graph.deferred import deferred_channels
from lockstep.graph.node import Branch, NodeSpec
from lockstep.graph.schema import Reader, has_annotations, managed_for, object_writes, reader_for
from lockstep.options import not_yet
from lockstep.pregel import (
    batching,
    bridge,
    caching,
    events,
    live,
    runner,
    snapshot,
    streaming,
)
from lockstep.pregel.arguments import coerce_context as _coerce_context
from lockstep.pregel.arguments import run_options
from lockstep.pregel.commands import command_update, is_command
from lockstep.pregel.host import RunHandle
from lockstep.pregel.loop import Loop, Save
from lockstep.pregel.nesting import (
    Nesting,
    addressed,
    nesting_for,
    subgraph_of,
    travel_config,
)
from lockstep.pregel.output import output_chunks
from lockstep.pregel.settings import DEFAULT, RunSettings
from lockstep.pregel.tasks import Task, update_writes
from lockstep.types import Send, StateSnapshot

DEFAULT_RECURSION_LIMIT = 10007  # LangGraph 1.2's
FINAL_ONLY = RunSettings(final_only=True)  # invoke's runs


class CompiledGraph:
    """What `StateGraph.compile()` returns; the same surface as LangGraph's compiled graph."""

    #: compile(cache=...) and the nodes' CachePolicy by name (pregel/caching.py).
    cache: Any = None
    cache_policies: Mapping[str, Any] = {}  # noqa: RUF012 - replaced, never changed

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Drop the cached results of `nodes` (default: every cached node)."""
        caching.clear(self, nodes)

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        caching.clear(self, nodes)

    #: values mode shows one channel's value, even None (an entrypoint's return),
    #: rather than a dict of the state keys that have a value.
    single_output = False
    #: Yield a task's events while it runs (an entrypoint, whose one task is the
    #: whole run): see pregel/live.py.
    live_events = False

    def __init__(
        self,
        *,
        builder: Any,
        nodes: dict[str, NodeSpec],
        channels: dict[str, Channel],
        checkpointer: BaseSaver | None,
        interrupt_before: tuple[str, ...],
        interrupt_after: tuple[str, ...],
        name: str,
        store: Any = None,
    ) -> None:
        self.builder = builder
        self.store = store  # compile(store=...): given to nodes asking for `store` or `runtime`
        self.context_schema = getattr(builder, "context_schema", None)  # what context= becomes
        self.nodes = nodes
        # Every channel a node may write: the state's keys and every other schema's.
        self.state_keys = {k: c for k, c in builder.channels.items()}
        self.channels = {**channels, START: Ephemeral(START), SENDS: Topic(SENDS)}
        # Managed values (lockstep.managed): key -> manager, set by the loop each step.
        self.managed = {
            k: m for schema in getattr(builder, "schemas", ()) for k, m in managed_for(schema).items()
        }
        for key, manager in self.managed.items():
            self.channels[key] = Managed(key, manager)
        self.clearable = (START, SENDS)
        # A run's channels start as a copy of the ones that hold nothing of a run's
        # (edge triggers: fresh() gives the channel itself), plus a fresh copy of each
        # of the rest (see fresh_channels).
        self._shared_channels = {k: c for k, c in self.channels.items() if c.fresh() is c}
        self._run_channels = tuple(
            (k, c) for k, c in self.channels.items() if k not in self._shared_channels
        )
        index: dict[str, list[str]] = {}
        for node_name, spec in nodes.items():
            for trigger in spec.triggers:
                index.setdefault(trigger, []).append(node_name)
        self.trigger_index = {k: tuple(v) for k, v in index.items()}  # channel -> nodes it wakes
        self.deferred = deferred_channels(self.channels)  # see graph/deferred.py
        self.node_order = {name: i for i, name in enumerate(nodes)}
        self.checkpointer = checkpointer
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        self.name = name
        self.schema = builder.schema
        # A builder without schemas (an @entrypoint's) reads and returns its channels whole.
        schemas = getattr(builder, "schemas", None) or {builder.schema: tuple(self.state_keys)}
        self._reader = reader_for(builder.schema, schemas[builder.schema])
        # Nodes with their own input schema (empty in most graphs: see Loop.tick).
        self.node_readers = {
            name: reader_for(schema, schemas[schema])
            for name, schema in getattr(builder, "node_schemas", {}).items()
        }
        self.input_keys = schemas[getattr(builder, "input_schema", builder.schema)]
        self._input_key_set = frozenset(self.input_keys)
        # What invoke returns, when the output schema shows less than the whole state.
        output_keys = schemas[getattr(builder, "output_schema", builder.schema)]
        self.output_keys = None if set(output_keys) == set(self.state_keys) else frozenset(output_keys)
        self.stream_mode = "updates"  # as LangGraph: stream() defaults to updates, invoke() to values

    @property
    def _all_sync(self) -> bool:
        """True when no node or path function has an async form (then astream runs
        the sync loop in a thread)."""
        for spec in self.nodes.values():
            callees = [spec.callee] if spec.callee is not None else []
            callees += [b.path for b in spec.branches]
            if any(c.afn is not None for c in callees):
                return False
        return True

    # -- channels ------------------------------------------------------------

    def fresh_channels(self) -> dict[str, Channel]:
        """A run's or a snapshot's channels: a plain dict, as the loop reads it at
        every step; copying the shared triggers is one C-level copy however many
        nodes the graph has."""
        channels = dict(self._shared_channels)
        for key, channel in self._run_channels:
            channels[key] = channel.fresh()
        return channels

    def restore_channels(self, channels: dict[str, Channel], blobs: Mapping[str, list[Blob]]) -> None:
        for key, chain in blobs.items():
            if key in channels:
                channels[key].restore(chain)

    def read_output(self, channels: Mapping[str, Channel]) -> dict[str, Any] | None:
        out = {k: channels[k].value for k in self.state_keys if channels[k].value is not MISSING}
        return out if out or not self.state_keys else None

    def read_state(self, channels: Mapping[str, Channel]) -> Any:
        """The state as a node reading the state schema gets it."""
        return self._reader.read(channels)

    def node_input(self, name: str, channels: Mapping[str, Channel]) -> Any:
        """The state as node `name` gets it, through its own input schema if it has one."""
        reader = self.node_readers.get(name)
        return self._reader.read(channels) if reader is None else reader.read(channels)

    def invoke_output(self, chunk: Any) -> Any:
        """A values chunk as invoke returns it: the output schema's keys (and any
        interrupts); None when none of them holds a value, as in LangGraph."""
        keys = self.output_keys
        if keys is None or not isinstance(chunk, dict):
            return chunk
        out = {k: v for k, v in chunk.items() if k in keys or k == INTERRUPT}
        return out or None

    # -- writes --------------------------------------------------------------

    def input_writes(self, value: Any) -> list[tuple[str, Any]]:
        """The input's writes: the input schema's keys only, as LangGraph takes them
        (other keys are left out); a dataclass or Pydantic input gives its fields."""
        if isinstance(value, dict):
            keys = self._input_key_set
            return [(k, v) for k, v in value.items() if k in keys]
        if not has_annotations(type(value)):
            raise InvalidUpdateError(
                f"the input must be a dict of state keys, got {type(value).__name__}"
            )
        return object_writes(value, self.input_keys)

    def update_view(self, output: Any, state_writes: list[tuple[str, Any]]) -> Any:
        """What `updates` mode shows for a node's return: its state writes as a dict."""
        return dict(state_writes) if state_writes else None  # {} streams as None, as LangGraph

    def branch_writes(
        self,
        spec: NodeSpec,
        loop: Loop,
        state_writes: list[tuple[str, Any]],
        config: Config | None,
        output: Any = None,
    ) -> list[tuple[str, Any]]:
        """Where the node's conditional edges lead, given its own writes (`output`
        is what the node returned: see _path_inputs); an astream_events run is told
        of each path function's call (pregel/events.py)."""
        if not spec.branches:
            return []
        out: list[tuple[str, Any]] = []
        for index, (branch, state) in enumerate(
            self._path_inputs(spec, loop.channels, state_writes, output)
        ):
            path = branch.path
            if path.inject:
                result = path.fn(state, **path.kwargs(config, loop))
            else:
                result = path.fn(state)
            if asyncio.iscoroutine(result):  # an async path in a sync run: see README
                result = asyncio.run(result)
            if loop.watch is not None:
                events.path_called(loop, path.fn, index, state, result)
            out += self._follow(spec.name, branch, result)
        return out

    async def abranch_writes(
        self,
        spec: NodeSpec,
        loop: Loop,
        state_writes: list[tuple[str, Any]],
        config: Config | None,
        output: Any = None,
    ) -> list[tuple[str, Any]]:
        """branch_writes for an async run: async path functions are awaited."""
        out: list[tuple[str, Any]] = []
        for index, (branch, state) in enumerate(
            self._path_inputs(spec, loop.channels, state_writes, output)
        ):
            path = branch.path
            call = path.afn or path.fn
            result = call(state, **path.kwargs(config, loop))
            if path.afn is not None:
                result = await result
            if loop.watch is not None:
                events.path_called(loop, path.fn, index, state, result)
            out += self._follow(spec.name, branch, result)
        return out

    def _path_inputs(
        self,
        spec: NodeSpec,
        channels: Mapping[str, Channel],
        state_writes: list[tuple[str, Any]],
        output: Any,
    ) -> list[tuple[Branch, Any]]:
        """Each path function's input: the state as the node just left it, read through
        the node's schema (as LangGraph, a dict state also shows the keys the node
        returned) or through the path's own annotated schema."""
        reader = self.node_readers.get(spec.name, self._reader)
        local = self._local_state(channels, state_writes, reader)
        if type(output) is dict and reader.build is None and any(k not in local for k in output):
            local = {**output, **local}
        return [
            (branch, local)
            if branch.input_schema is None
            else (branch, self._local_state(channels, state_writes, self._branch_reader(branch)))
            for branch in spec.branches
        ]

    def _branch_reader(self, branch: Branch) -> Reader:
        schema = branch.input_schema
        return reader_for(schema, self.builder.schemas[schema])

    def _local_state(
        self, channels: Mapping[str, Channel], writes: list[tuple[str, Any]], reader: Reader
    ) -> Any:
        """The state as the node just left it: its own writes applied, no one else's."""
        if not writes:
            return reader.read(channels)
        grouped: dict[str, list] = {}
        for k, v in writes:
            grouped.setdefault(k, []).append((k, v))
        copies = {}
        for k, own in grouped.items():
            if isinstance(self.state_keys[k], LastValue):  # the node's own last write
                copies[k] = channels[k].with_writes(own[-1:])
            else:
                copies[k] = channels[k].with_writes(own)
        merged = {**{k: channels[k] for k in reader.keys}, **copies}
        return reader.read(merged)

    def _follow(self, name: str, branch: Branch, result: Any) -> list:
        """The writes that send the run where a path function's `result` names."""
        items = result if isinstance(result, list | tuple) else [result]
        out: list[tuple[str, Any]] = []
        for item in items:
            if isinstance(item, Send):
                out.append((SENDS, item))
                continue
            target = item
            if branch.path_map is not None:
                try:
                    target = branch.path_map[item]
                except (KeyError, TypeError):
                    raise InvalidUpdateError(
                        f"conditional edge from {name!r} returned {item!r}, which its path_map lacks"
                    ) from None
            if target == END or target is None:
                continue
            if target not in self.nodes:
                raise InvalidUpdateError(f"conditional edge from {name!r} leads to unknown node {target!r}")
            out.append((branch_channel(target), None))
        return out

    # -- running -------------------------------------------------------------

    def _target(self, config: Config | None) -> tuple[BaseSaver | None, Nesting | None, Config | None]:
        """Where a run made now saves, and from where it loads: (store, nesting,
        config to load with). A run made inside a running node is that node's
        subgraph run (pregel/nesting.py): its parent's thread, under its namespace."""
        nesting = nesting_for(self)
        if nesting is not None:
            if nesting.parent.traveling:  # it starts anew: nothing to load
                return nesting.saver, nesting, None
            thread_id = nesting.parent.thread_id
            return nesting.saver, nesting, {"configurable": {"thread_id": thread_id}}
        if self.checkpointer is True:
            raise RuntimeError(
                "checkpointer=True keeps a subgraph's own history on its parent's thread; "
                "a graph run on its own needs a checkpointer: compile(checkpointer=MemorySaver())"
            )
        return self._saver, None, config

    def _travel_inside(self, config: Config | None) -> Config | None:
        """A run from outside given a subgraph's checkpoint runs from the top graph's
        checkpoint of then (nesting.travel_config); any other config as given."""
        ns = ((config or {}).get("configurable") or {}).get("checkpoint_ns")
        saver = self._saver
        if not ns or saver is None or nesting_for(self) is not None:
            return config
        return travel_config(self, saver, config)

    @property
    def _saver(self) -> BaseSaver | None:
        """The store runs of this graph from outside save to (compile(checkpointer=);
        True and False name a subgraph's choice, not a store)."""
        saver = self.checkpointer
        return None if saver is True or saver is False else saver

    def _loop(
        self,
        config: Config | None,
        saved: CheckpointTuple | None,
        stream_mode: Any,
        kw: Mapping[str, Any],
        settings: RunSettings = DEFAULT,
        threads: set[Any] | None = None,
        target: tuple[BaseSaver | None, Nesting | None, Config | None] | None = None,
        subgraphs: bool = False,
    ) -> Loop:
        """The run's loop; `target` is what _target gave when its checkpoint was
        loaded (worked out here if not given)."""
        modes = streaming.stream_modes(stream_mode if stream_mode is not None else self.stream_mode)
        saver, nesting, _ = target if target is not None else self._target(config)
        config = config or {}
        if nesting is not None:
            thread_id: Any = nesting.parent.thread_id
            checkpoint_ns = nesting.checkpoint_ns
        else:
            thread_id = (config.get("configurable") or {}).get("thread_id")
            checkpoint_ns = (config.get("configurable") or {}).get("checkpoint_ns") or ""
            if isinstance(saver, Namespaced):  # update_state on a subgraph's checkpoint
                checkpoint_ns = saver.checkpoint_ns
            elif checkpoint_ns:
                raise ValueError(
                    f"checkpoint_ns {checkpoint_ns!r} names a subgraph's checkpoints; a graph run "
                    "from outside runs at the root: leave checkpoint_ns out (or \"\")"
                )
            if saver is not None and thread_id is None:
                raise ValueError(
                    'this graph has a checkpointer: pass config={"configurable": {"thread_id": ...}}'
                )
        before = kw.get("interrupt_before")
        after = kw.get("interrupt_after")
        context = kw.get("context")
        time_travel = None
        if saved is not None and checkpoint_id_of(config) and saver is not None and nesting is None:
            # Time travel: see Loop._travel. (One cheap read of the head.)
            head = saver.get_tuple({"configurable": {"thread_id": str(thread_id)}})
            superseded = head is not None and head.checkpoint.id != saved.checkpoint.id
            if superseded or saved.metadata.get("source") not in ("update", "fork"):
                time_travel = "fork"
            else:
                time_travel = "replay"
        return Loop(
            self,
            str(thread_id) if thread_id is not None else "",
            saved,
            modes=frozenset(modes),
            # As LangGraph: an empty list per call keeps the compiled breakpoints.
            interrupt_before=tuple(before) if before else self.interrupt_before,
            interrupt_after=tuple(after) if after else self.interrupt_after,
            recursion_limit=config.get("recursion_limit", DEFAULT_RECURSION_LIMIT),
            checkpoint_ns=checkpoint_ns,
            exit_only=_durability(kw) == "exit" and saver is not None,
            config=config,
            settings=settings,
            context=_coerce_context(self.context_schema, context) if context is not None else None,
            time_travel=time_travel,
            threads=threads,
            saver=saver,
            nesting=nesting,
            subgraphs=subgraphs,
        )

    def stream(
        self,
        input: Any,
        config: Config | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] | None = None,
        print_mode: str | Sequence[str] = (),
        output_keys: str | Sequence[str] | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        durability: str | None = None,
        control: Any = None,
        subgraphs: bool = False,
        debug: bool | None = None,
        version: str = "v1",
    ) -> Iterator[Any]:
        kw = run_options(
            context, print_mode, output_keys, interrupt_before, interrupt_after,
            durability, control, subgraphs, debug, version,
        )
        return self._stream(input, self._merged(config), stream_mode, kw, subgraphs=subgraphs)

    def _stream(
        self,
        input: Any,
        config: Config | None,
        stream_mode: Any,
        kw: dict[str, Any],
        on_end: Callable[[Loop], None] | None = None,
        settings: RunSettings = DEFAULT,
        subgraphs: bool = False,
    ) -> Iterator[Any]:
        """stream()'s loop; `on_end` is given the loop when the run ends done or
        paused (not when it fails or is stopped). With `settings.final_only` (values
        mode only) it yields just the run's last chunk, once the run has ended or
        stopped: what invoke returns, without reading the state at every step."""
        config = self._travel_inside(config)
        target = self._target(config)
        saved = self._saved(target[0], target[2])
        loop = self._loop(config, saved, stream_mode, kw, settings, None, target, subgraphs)
        stop = settings.stop
        shape = _shape(self, loop, stream_mode, subgraphs)
        run_config = loop.run_config
        loop.start(input)
        yield from self._drain(loop, shape)
        while (tasks := self._tick(loop)) is not None:
            if loop.events or loop.saves:
                yield from self._drain(loop, shape)
            for index, task in enumerate(tasks):
                if stop is not None and stop.is_set():
                    # Stopped from outside mid-step: finished tasks' writes stay
                    # pending on the checkpoint; the rest run on resume.
                    loop.cancel()
                    self._flush(loop)
                    yield from self._final(loop)
                    return
                if loop.live is None:
                    runner.run_sync(self, loop, task, run_config)
                else:  # messages mode, an entrypoint: events are yielded while it runs
                    yield from live.run_sync(
                        self, loop, task, run_config, lambda: self._drain(loop, shape)
                    )
                loop.task_finished(task)
                if index + 1 < len(tasks):
                    # The last task's writes go out with the step's checkpoint.
                    yield from self._drain(loop, shape)
            try:
                self._raise_failed(loop, tasks)
                loop.after_tick()
            except BaseException:
                # The step failed: the last task's events and writes still go out
                # (as LangGraph emits each task's as it finishes), then the error.
                yield from self._drain(loop, shape)
                raise
            self._flush(loop)
            if loop.events:
                yield from self._drain(loop, shape)
            if stop is not None and stop.is_set():
                loop.cancel()  # stopped at a step boundary, checkpoint saved
                yield from self._final(loop)
                return
        yield from self._drain(loop, shape)
        if loop.nesting is not None and loop.status == "interrupted":
            raise GraphInterrupt(loop.interrupts)  # the parent's task pauses with it
        yield from self._final(loop)
        if on_end is not None:
            on_end(loop)

    async def astream(
        self,
        input: Any,
        config: Config | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] | None = None,
        print_mode: str | Sequence[str] = (),
        output_keys: str | Sequence[str] | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        durability: str | None = None,
        control: Any = None,
        subgraphs: bool = False,
        debug: bool | None = None,
        version: str = "v1",
    ) -> AsyncIterator[Any]:
        kw = run_options(
            context, print_mode, output_keys, interrupt_before, interrupt_after,
            durability, control, subgraphs, debug, version,
        )
        items = self._arun(input, self._merged(config), stream_mode, kw, subgraphs)
        try:
            async for item in items:
                yield item
        finally:
            await items.aclose()

    def start_run(
        self,
        input: Any,
        config: Config | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        durability: str | None = None,
        max_state_bytes: int | None = None,
        prefetch: bool = True,
        subgraphs: bool = False,
    ) -> RunHandle:
        """A run for a host (a server): its handle gives its events, stops it, says
        when the engine has really stopped and how the run left the thread, and
        raises NodeError when a node fails (pregel/host.py). `max_state_bytes`
        refuses to save a bigger state (pregel/sizing.py); `prefetch` lets a graph
        of sync nodes run ahead of a reader that only forwards its events. With
        `subgraphs`, each event comes with its run's namespace first, as stream()'s
        do: `()` for this graph's own, `("node:<task id>", ...)` for a subgraph's.
        Called with an event loop running; nothing runs until the first event is read."""
        kw = run_options(
            context, (), None, interrupt_before, interrupt_after, durability, None, False, None, "v1"
        )
        return RunHandle(
            self, input, self._merged(config), stream_mode, kw,
            max_state_bytes=max_state_bytes, prefetch=prefetch, subgraphs=subgraphs,
        )

    def _arun(
        self,
        input: Any,
        config: Config | None,
        stream_mode: Any,
        kw: dict[str, Any],
        subgraphs: bool = False,
        host: RunHandle | None = None,
        watcher: Any = None,
    ) -> AsyncIterator[Any]:
        """astream's run, or a host's (`host`: its handle), or one astream_events
        reports (`watcher`): the events as they come."""
        settings = RunSettings(
            max_state_bytes=host.max_state_bytes if host is not None else None,
            node_errors=host is not None,
            watcher=watcher,
        )
        if not self._all_sync or nesting_for(self) is not None:
            # (A subgraph run stays on its parent's event loop: its sync nodes go to
            # worker threads one by one, as its parent's do.)
            return self._astream_async(input, config, stream_mode, kw, settings, subgraphs, host)
        # Nothing to await in the graph: run the sync loop in one worker thread.
        durability = _durability(kw)
        loop = asyncio.get_running_loop()
        ended = None
        if host is not None:

            def ended(run_loop: Loop) -> None:
                snap = _final_snapshot(self, run_loop)
                with contextlib.suppress(RuntimeError):  # the loop may be gone
                    loop.call_soon_threadsafe(host.ended, snap)

        def run(stop: Any, write_behind: Any) -> Iterator[Any]:
            given = dataclasses.replace(settings, stop=stop, write_behind=write_behind)
            return self._stream(input, config, stream_mode, kw, ended, given, subgraphs)

        def signal() -> None:
            # Called by the worker even when the run was stopped before it began.
            if host is not None:
                with contextlib.suppress(RuntimeError):  # the loop may be gone
                    loop.call_soon_threadsafe(host.engine_stopped)

        return bridge.iterate_in_thread(
            run,
            prefetch=host is not None and host.prefetch,
            on_exit=signal,
            write_behind=durability == "async",
            stop=host.stop_signal if host is not None else None,
        )

    async def _astream_async(
        self,
        input: Any,
        config: Config | None,
        stream_mode: Any,
        kw: dict[str, Any],
        settings: RunSettings,
        subgraphs: bool = False,
        host: RunHandle | None = None,
    ) -> AsyncIterator[Any]:
        """The loop driven on the event loop: async nodes run as tasks, sync ones
        in worker threads (kept in `threads` while they run: a host's run has
        really stopped only once they have returned)."""
        threads: set[Any] = set()
        try:
            config = await asyncio.to_thread(self._travel_inside, config)
            target = self._target(config)
            saved = await self._asaved(target[0], target[2])
            if host is not None:
                settings = dataclasses.replace(settings, stop=host.stop_signal)
            loop = self._loop(config, saved, stream_mode, kw, settings, threads, target, subgraphs)
            stop = settings.stop
            shape = _shape(self, loop, stream_mode, subgraphs)
            run_config = loop.run_config
            loop.start(input)
            for item in await self._adrain(loop, shape):
                yield item
            while (tasks := self._tick(loop)) is not None:
                for item in await self._adrain(loop, shape):
                    yield item
                pending = {
                    asyncio.ensure_future(runner.run_async(self, loop, t, run_config)): t
                    for t in tasks
                }
                try:
                    while pending:
                        if loop.live is None:
                            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                        else:  # messages mode, an entrypoint: also woken by each event
                            done = await live.wait(loop, pending)
                        for future in done:
                            future.result()
                            loop.task_finished(pending.pop(future))
                        # The last task's writes (and its events) go out with the
                        # step's checkpoint: one trip to the store instead of two.
                        if pending:
                            for item in await self._adrain(loop, shape):
                                yield item
                finally:
                    for future in pending:
                        future.cancel()
                try:
                    self._raise_failed(loop, tasks)
                    loop.after_tick()
                except BaseException:
                    for item in await self._adrain(loop, shape):  # as in stream()
                        yield item
                    raise
                for item in await self._adrain(loop, shape):
                    yield item
                if stop is not None and stop.is_set():
                    loop.cancel()  # stopped at a step boundary, checkpoint saved
                    return
            for item in await self._adrain(loop, shape):
                yield item
            if loop.nesting is not None and loop.status == "interrupted":
                raise GraphInterrupt(loop.interrupts)  # the parent's task pauses with it
            if host is not None:
                host.ended(_final_snapshot(self, loop))
        finally:
            if host is not None:
                # Sync nodes of a stopped step may still be running in their threads.
                running = [t for t in threads if not t.done()]
                if running:
                    waiting = asyncio.gather(*running, return_exceptions=True)
                    waiting.add_done_callback(lambda _: host.engine_stopped())
                else:
                    host.engine_stopped()

    def invoke(
        self,
        input: Any,
        config: Config | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] = "values",
        print_mode: str | Sequence[str] = (),
        output_keys: str | Sequence[str] | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        durability: str | None = None,
        control: Any = None,
        version: str = "v1",
    ) -> Any:
        kw = run_options(
            context, print_mode, output_keys, interrupt_before, interrupt_after,
            durability, control, False, None, version,
        )
        config = self._merged(config)
        if stream_mode != "values":
            chunks = list(self._stream(input, config, stream_mode, kw))
            return output_chunks(self, chunks, stream_mode)
        last = None
        for last in self._stream(input, config, stream_mode, kw, settings=FINAL_ONLY):  # noqa: B007
            pass  # one chunk: the run's last
        return self.invoke_output(last)

    async def ainvoke(
        self,
        input: Any,
        config: Config | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] = "values",
        print_mode: str | Sequence[str] = (),
        output_keys: str | Sequence[str] | None = None,
        interrupt_before: str | Sequence[str] | None = None,
        interrupt_after: str | Sequence[str] | None = None,
        durability: str | None = None,
        control: Any = None,
        version: str = "v1",
    ) -> Any:
        last = None
        chunks = []
        interrupts: list[Any] = []
        stream = self.astream(
            input, config, context=context, stream_mode=stream_mode, print_mode=print_mode,
            output_keys=output_keys, interrupt_before=interrupt_before,
            interrupt_after=interrupt_after, durability=durability, control=control,
            version=version,
        )
        async for chunk in stream:
            last = chunk
            chunks.append(chunk)
            if stream_mode == "values" and isinstance(chunk, dict) and INTERRUPT in chunk:
                interrupts += chunk[INTERRUPT]  # one values chunk per interrupted task
        if stream_mode != "values":
            return output_chunks(self, chunks, stream_mode)
        return self.invoke_output(_with_interrupts(last, interrupts))

    # -- batches and bound config (as LangChain's Runnable) ----------------------

    def batch(
        self,
        inputs: Sequence[Any],
        config: Config | Sequence[Config] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """invoke() each input (in threads, at most `max_concurrency` at once); the
        results in input order. `kwargs` are invoke()'s keywords, checked by it."""
        return batching.batch(self, inputs, config, return_exceptions, kwargs)

    async def abatch(
        self,
        inputs: Sequence[Any],
        config: Config | Sequence[Config] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """ainvoke() each input concurrently (at most `max_concurrency` at once)."""
        return await batching.abatch(self, inputs, config, return_exceptions, kwargs)

    def copy(self, update: dict[str, Any] | None = None) -> CompiledGraph:
        """A copy of this graph with the attributes in `update` replaced (as LangGraph's
        `copy`): a host gives a loaded graph its own checkpointer this way, leaving
        the graph it loaded as it was."""
        clone = copy.copy(self)
        for name, value in (update or {}).items():
            if not hasattr(self, name):
                raise TypeError(f"copy(update=...): a compiled graph has no attribute {name!r}")
            setattr(clone, name, value)
        return clone

    def with_config(self, config: Config | None = None, **kwargs: Any) -> CompiledGraph:
        """A copy of this graph whose runs and reads start from `config` (and the
        config keys given as keywords: tags, metadata, recursion_limit, ...)."""
        merged = batching.merge_configs(self.config, batching.config_of(config, kwargs))
        return self.copy({"config": merged})

    config: Config | None = None  # bound by with_config

    def _merged(self, config: Config | None) -> Config | None:
        return config if self.config is None else batching.merge_configs(self.config, config)

    def astream_events(
        self,
        input: Any,
        config: Config | None = None,
        *,
        version: str = "v2",
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        stream_mode: str | Sequence[str] | None = None,
        **kw: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """The run as LangChain's v2 stream of events (see pregel/events.py); other
        keyword arguments are astream's."""
        filters = {
            "include_names": include_names,
            "include_types": include_types,
            "include_tags": include_tags,
            "exclude_names": exclude_names,
            "exclude_types": exclude_types,
            "exclude_tags": exclude_tags,
        }
        return events.astream_events(
            self, input, config, version=version, filters=filters, stream_mode=stream_mode, kw=kw
        )

    def _tick(self, loop: Loop) -> list[Task] | None:
        try:
            return loop.tick()
        except GraphRecursionError:
            self._flush(loop)  # durability="exit" saves where the run stopped, as LangGraph
            raise

    def _raise_failed(self, loop: Loop, tasks: list[Task]) -> None:
        for task in tasks:
            if task.error is not None:
                loop.fail()
                self._flush(loop)
                error = task.error
                if isinstance(error, ParentCommand):
                    if loop.nesting is not None:
                        raise error  # the parent's task takes it as its own return
                    error = InvalidUpdateError(
                        f"node {task.name!r}: Command(graph=PARENT) needs a parent graph; "
                        "this graph runs at the top"
                    )
                note = f"During task with name {task.name!r} and id {task.id!r}"
                if note not in getattr(error, "__notes__", ()):  # as LangGraph; once
                    error.add_note(note)
                if loop.node_errors:  # a host's run: the node is named, not guessed
                    raise NodeError(task.name, error) from error
                raise error

    def _drain(self, loop: Loop, shape: Callable[[str, Any], Any] | None) -> Iterator[Any]:
        self._flush(loop)
        if loop.forward is not None:
            for mode, chunk in _forward(loop):
                yield chunk if shape is None else shape(mode, chunk)
            return
        events = loop.events
        if loop.final_only:  # keep the last; _final yields it when the run is over
            loop.keep_last()
            return
        while events:
            mode, chunk = events.popleft()
            yield chunk if shape is None else shape(mode, chunk)

    def _final(self, loop: Loop) -> Iterator[Any]:
        if loop.final_only and loop.last_chunk is not None:
            yield _with_interrupts(loop.read_final(loop.last_chunk), loop.run_interrupts)

    async def _adrain(self, loop: Loop, shape: Callable[[str, Any], Any] | None) -> list[Any]:
        saves = loop.take_saves()
        if saves:
            saver = loop.saver
            if saver is None or not saver.blocking:
                self._save(loop, saves)
            else:
                await asyncio.to_thread(_apply_saves, saver, saves)
        if loop.forward is not None:
            return [chunk if shape is None else shape(mode, chunk) for mode, chunk in _forward(loop)]
        events = loop.events
        out = []
        while events:
            mode, chunk = events.popleft()
            out.append(chunk if shape is None else shape(mode, chunk))
        return out

    def _flush(self, loop: Loop) -> None:
        saves = loop.take_saves()
        if saves:
            self._save(loop, saves)

    def _save(self, loop: Loop, saves: list[Save]) -> None:
        saver = loop.saver
        if saver is None:
            return
        behind = loop.write_behind
        if behind is not None:  # queued: the run's events wait for it instead
            behind(saver, lambda: _put_each(saver, saves))
        else:
            _apply_saves(saver, saves)

    # -- reading and editing a thread ---------------------------------------

    def _require_saver(self) -> BaseSaver:
        saver = self._saver
        if saver is None:
            raise ValueError("no checkpointer set: compile(checkpointer=MemorySaver()) to keep state")
        return saver

    @staticmethod
    def _saved(saver: BaseSaver | None, config: Config | None) -> CheckpointTuple | None:
        if saver is None or not config:
            return None
        return snapshot.load(saver, config)

    @staticmethod
    async def _asaved(saver: BaseSaver | None, config: Config | None) -> CheckpointTuple | None:
        if saver is None or not config:
            return None
        if not saver.blocking:
            return snapshot.load(saver, config)
        return await asyncio.to_thread(snapshot.load, saver, config)

    @property
    def subgraph_nodes(self) -> dict[str, CompiledGraph]:
        """The nodes that run a subgraph (a compiled graph added as a node, or the
        one graph a node's function refers to), by name; found once."""
        found = self.__dict__.get("_subgraph_nodes")
        if found is None:
            found = {}
            for name in self.nodes:
                sub = subgraph_of(self, name) if name != START else None
                if sub is not None:
                    found[name] = sub
            self._subgraph_nodes = found
        return found

    def get_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> Iterator[tuple[str, CompiledGraph]]:
        """The subgraphs of this graph as (namespace, graph): each node's, and with
        `recurse` theirs too (`"node|inner"`); `namespace` keeps only that one."""
        for name, sub in self.subgraph_nodes.items():
            if namespace is None or namespace == name:
                yield name, sub
            if recurse and (namespace is None or namespace.startswith(name + "|")):
                inner = None if namespace is None else namespace[len(name) + 1 :]
                for ns, deeper in sub.get_subgraphs(namespace=inner, recurse=True):
                    yield f"{name}|{ns}", deeper

    def _state_target(self, config: Config) -> tuple[CompiledGraph, BaseSaver, Config]:
        """(graph, store, config) a state method acts on: this graph's, or the
        subgraph's a config with a checkpoint_ns addresses (pregel/nesting.py)."""
        config = self._merged(config)
        graph, saver = addressed(self, self._require_saver(), config)
        return graph, saver, config

    def get_state(self, config: Config, *, subgraphs: bool = False) -> StateSnapshot:
        graph, saver, config = self._state_target(config)
        return snapshot.state(graph, saver, config, subgraphs)

    async def aget_state(self, config: Config, *, subgraphs: bool = False) -> StateSnapshot:
        graph, saver, config = self._state_target(config)
        if not saver.blocking:
            return snapshot.state(graph, saver, config, subgraphs)
        return await asyncio.to_thread(snapshot.state, graph, saver, config, subgraphs)

    def get_state_history(
        self,
        config: Config,
        *,
        filter: dict[str, Any] | None = None,
        before: Config | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        graph, saver, config = self._state_target(config)
        thread_id_of(config)
        count = 0
        # Without a filter the store can stop at the limit: a page then costs the
        # same on a thread of ten checkpoints as on one of ten thousand.
        for saved in saver.list(config, before=before, limit=None if filter else limit):
            if filter and any(saved.metadata.get(k) != v for k, v in filter.items()):
                continue
            if limit is not None and count >= limit:
                return
            count += 1
            yield snapshot.from_saved(graph, saved)

    async def aget_state_history(
        self,
        config: Config,
        *,
        filter: dict[str, Any] | None = None,
        before: Config | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        def read() -> list[StateSnapshot]:
            return list(self.get_state_history(config, filter=filter, before=before, limit=limit))

        items = await asyncio.to_thread(read)
        for item in items:
            yield item

    def update_state(
        self, config: Config, values: Any, as_node: str | None = None, task_id: str | None = None
    ) -> Config:
        not_yet("update_state", task_id=task_id)
        return self._update_state(config, values, as_node, DEFAULT)

    async def aupdate_state(
        self, config: Config, values: Any, as_node: str | None = None, task_id: str | None = None
    ) -> Config:
        return await asyncio.to_thread(self.update_state, config, values, as_node, task_id)

    async def update_for_host(
        self,
        config: Config,
        values: Any,
        as_node: str | None = None,
        *,
        max_state_bytes: int | None = None,
    ) -> Config:
        """aupdate_state for a host: the same update, refused (StateTooLargeError) when
        it would make the state bigger than `max_state_bytes`, as its runs are."""
        settings = RunSettings(max_state_bytes=max_state_bytes)
        return await asyncio.to_thread(self._update_state, config, values, as_node, settings)

    def _update_state(
        self, config: Config, values: Any, as_node: str | None, settings: RunSettings
    ) -> Config:
        graph, saver, config = self._state_target(config)
        saved = snapshot.load(saver, config)
        return graph._update(config, saved, values, as_node, settings, saver)

    def _update(
        self,
        config: Config,
        saved: CheckpointTuple | None,
        values: Any,
        as_node: str | None,
        settings: RunSettings,
        saver: BaseSaver | None = None,
    ) -> Config:
        """Apply `values` as `as_node` returning them would (the last node to run
        when not given), through the loop's own write path, and save it to `saver`
        (this graph's own store when not given)."""
        target = (saver or self._saver, None, config)
        loop = self._loop(config, saved, "values", {}, settings, None, target)
        as_node = self._resolve_as_node(saved, as_node)
        spec = self.nodes[as_node]
        control: list[tuple[str, Any]] = []
        if is_command(values):  # as the node returning it: its update, then its goto
            state, control = command_update(as_node, values, self.state_keys)
        elif as_node == START:
            state = self.input_writes(values) if values is not None else []
        else:
            state = update_writes(as_node, values, self.state_keys) if values is not None else []
        writes = state + control + spec.edge_writes
        writes += self.branch_writes(spec, loop, state, config, values)
        loop.apply_update(as_node, writes)
        self._flush(loop)
        return loop.config

    def _resolve_as_node(self, saved: CheckpointTuple | None, as_node: str | None) -> str:
        if as_node is not None:
            if as_node not in self.nodes:
                raise InvalidUpdateError(
                    f"as_node {as_node!r} is not a node of this graph; nodes are "
                    + ", ".join(repr(n) for n in self.nodes if n != START)
                )
            return as_node
        if saved is None:
            return START
        seen = saved.checkpoint.versions_seen
        skipped = seen.get(SKIPPED, {})
        latest: dict[str, str] = {}
        for node, versions in seen.items():
            if node not in self.nodes:
                continue
            if node in skipped:
                # An update marked this node's edge seen without running it: as
                # LangGraph, count only the version the node last really read.
                marked, _, read = skipped[node].partition(" ")
                channel = branch_channel(node)
                if versions.get(channel) == marked:
                    versions = {**versions, channel: read}
            if any(versions.values()):
                latest[node] = max(versions.values())
        if not latest:
            return START
        top = max(latest.values())
        names = [n for n, v in latest.items() if v == top]
        if len(names) > 1:
            raise InvalidUpdateError(
                f"ambiguous update: nodes {', '.join(map(repr, sorted(names)))} ran last; "
                "pass as_node to say which one the update stands for"
            )
        return names[0]

    # -- describing ----------------------------------------------------------

    def get_graph(self, config: Config | None = None, *, xray: int | bool = False):
        """The nodes and edges LangGraph's `get_graph()` lists for the same graph, with
        its `draw_mermaid()` and `draw_ascii()`. `xray` draws subgraph nodes as their
        graphs (True: at every depth; a number: that many levels)."""
        from lockstep.graph.drawing import describe

        check_drawing_args(config, xray)
        subgraphs = None
        if xray:
            deeper = xray if isinstance(xray, bool) or xray <= 0 else xray - 1
            subgraphs = {
                name: sub.get_graph(config, xray=deeper) for name, sub in self.get_subgraphs()
            }
        return describe(
            self.builder,
            interrupt_before=self.interrupt_before,
            interrupt_after=self.interrupt_after,
            subgraphs=subgraphs,
        )

    async def aget_graph(self, config: Config | None = None, *, xray: int | bool = False):
        """`get_graph()` for async code (drawing does no I/O)."""
        return self.get_graph(config, xray=xray)


def check_drawing_args(config: Any, xray: Any) -> None:
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"get_graph(config=...) takes a config dict, got {type(config).__name__}")
    if not isinstance(xray, bool | int):
        raise TypeError(f"get_graph(xray=...) takes a bool or an int depth, got {type(xray).__name__}")


def _final_snapshot(graph: CompiledGraph, loop: Loop) -> StateSnapshot | None:
    """The run's own account of the thread's head; None (read the store instead)
    should building it fail: the run itself has succeeded by then."""
    try:
        return snapshot.from_loop(graph, loop)
    except Exception:
        return None


def _with_interrupts(last: Any, interrupts: Sequence[Any]) -> Any:
    """What invoke returns: the last values chunk, listing every interrupt the run
    stopped on (each task's is its own event), as LangGraph's invoke collects them."""
    if not interrupts:
        return last
    if isinstance(last, dict):
        return {**last, INTERRUPT: list(interrupts)}
    return {INTERRUPT: list(interrupts)}


def _forward(loop: Loop) -> list[tuple[str, Any]]:
    """A subgraph run's queued events: those in the modes the top run streams go
    to its queue under this run's namespace; the run's caller gets its own modes'."""
    events, forward, ns = loop.events, loop.forward, loop.namespace
    wanted, own = loop.subgraph_modes or frozenset(), loop.own_modes
    out = []
    while events:
        mode, chunk = events.popleft()
        if mode in wanted:
            forward.append((mode, streaming.Nested(ns, chunk)))
        if mode in own:
            out.append((mode, chunk))
    return out


def _apply_saves(saver: BaseSaver, saves: list[Save]) -> None:
    if len(saves) > 1 and type(saver).batch is not BaseSaver.batch:
        with saver.batch():
            _put_each(saver, saves)
    else:
        _put_each(saver, saves)


def _put_each(saver: BaseSaver, saves: list[Save]) -> None:
    for config, checkpoint, metadata, blobs, writes in saves:  # a Save's fields
        if checkpoint is None:
            if writes:
                saver.put_writes(config, writes)
        elif writes:
            saver.put_step(config, writes, checkpoint, metadata or {}, blobs or {})
        else:
            saver.put(config, checkpoint, metadata or {}, blobs or {})


def _durability(kw: Mapping[str, Any]) -> str:
    """LangGraph's `durability` run argument: "async" (its default) lets the store
    write a step while the next one runs; "sync" saves each step before the next
    starts. Only a run of sync nodes read through astream (as the server runs
    them) writes behind; every other run saves each step as it ends, which is
    never less durable than asked. "exit" saves only where the run ended
    (pregel/durability.py)."""
    chosen = kw.get("durability") or "async"
    if chosen not in ("sync", "async", "exit"):
        raise ValueError(
            f"durability={chosen!r} is not supported: use 'async' (the default), "
            "'sync' or 'exit'"
        )
    return chosen


def _shape(graph: CompiledGraph, loop: Loop, stream_mode: Any, subgraphs: bool) -> Any:
    """How this run yields its events (see streaming.shaper)."""
    mode = stream_mode if stream_mode is not None else graph.stream_mode
    return streaming.shaper(isinstance(mode, str), loop.namespace if subgraphs else None)
