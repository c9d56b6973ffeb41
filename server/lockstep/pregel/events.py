"""`astream_events(version="v2")`: a run told as LangChain's stream of events.

The graph is one chain run (`on_chain_start`, an `on_chain_stream` per chunk its
stream would yield, `on_chain_end` with the final state) and each node's task a
child run (`on_chain_start` with its input, then `on_chain_stream` and
`on_chain_end` with what it returned; a task that fails or stops at an interrupt
has no end, as in LangGraph). Node events carry LangGraph's metadata
(`langgraph_node`, `langgraph_step`, `langgraph_triggers`, `langgraph_path`,
`langgraph_checkpoint_ns`) and the tag `graph:step:<n>`.

The hook: code running inside a node adds its own events to the run's stream with
`emit_event(event)` (a dict with at least "event", "name", "run_id" and "data";
"parent_ids", "tags" and "metadata" are filled in from the running node when left
out). Chat models called in a node come through it (pregel/chat.py). Outside a run
of `astream_events` it does nothing: a plain run has no one to tell.

How it is wired: `astream_events` starts the run with its EventRun in the run's
settings, which the Loop attaches to as it is made (`attach`); the Loop then reports
each task's start and end to it (`Loop.watch`), and the events travel in the run's
own queue as ("events", event) items, so they reach the reader in order with the
stream's chunks (and, for chat models, while the node still runs: pregel/live.py).
A graph a node runs inside is a run of its own, not attached.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from lockstep.constants import INTERRUPT
from lockstep.pregel.arguments import astream_options
from lockstep.pregel.streaming import task_metadata

EVENTS = "events"  # the run queue's mode for these items; never a user's stream mode


class EventRun:
    """One astream_events call: the graph's run id and what every event shares."""

    def __init__(self, graph: Any, config: dict[str, Any]) -> None:
        self.graph = graph
        self.run_id = str(config.get("run_id") or uuid.uuid4())
        self.tags = list(config.get("tags") or ())
        conf = config.get("configurable") or {}
        metadata = dict(config.get("metadata") or {})
        if conf.get("thread_id") is not None:
            metadata["thread_id"] = conf["thread_id"]
        # The integration LangChain tracers recognise for graph runs of this shape.
        metadata["ls_integration"] = "langgraph"
        self.metadata = metadata
        self.loop: Any = None
        self.nodes: dict[str, dict[str, Any]] = {}  # task id -> its run's shared fields

    def event(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """One of the graph run's own events."""
        return {
            "event": kind,
            "data": data,
            "run_id": self.run_id,
            "name": self.graph.name,
            "tags": list(self.tags),
            "metadata": dict(self.metadata),
            "parent_ids": [],
        }

    # -- the run's side --------------------------------------------------------

    def attach(self, loop: Any, config: dict[str, Any]) -> Any:
        """Called once by the run's Loop as it is made: the ChatStream that reports
        the nodes' chat models (the loop's own, for messages mode, or a new one), or
        None without langchain-core."""
        self.loop = loop
        chat = loop.chat
        try:
            from lockstep.pregel.chat import ChatStream
        except ImportError:  # pragma: no cover - chat.py imports langchain lazily
            return chat
        try:
            if chat is None:
                return ChatStream(config, emit_event=self.chat_event)
            chat.emit_event = self.chat_event
        except ImportError:
            pass  # no langchain-core: no chat models to report
        return chat

    def _put(self, event: dict[str, Any]) -> None:
        self.loop.events.append((EVENTS, event))
        chat = self.loop.chat
        if chat is not None and chat.wake is not None:
            chat.wake()

    def task_event(self, kind: str, task: Any) -> None:
        """Loop.watch: a task started ("task") or finished ("task_result")."""
        if kind == "task":
            step = self.loop.step + 1
            metadata = task_metadata(task, self.loop)
            node = {
                "run_id": str(uuid.uuid4()),
                "name": task.name,
                "tags": [f"graph:step:{step}", *self.tags],
                "metadata": {**self.metadata, **metadata},
                "parent_ids": [self.run_id],
            }
            self.nodes[task.id] = node
            self._put(_node_event(node, "on_chain_start", {"input": task.input}))
            return
        node = self.nodes.pop(task.id, None)
        if node is None or task.error is not None or task.paused:
            return  # as LangGraph: a task that failed or paused has no end
        self._put(_node_event(node, "on_chain_stream", {"chunk": task.update}))
        self._put(_node_event(node, "on_chain_end", {"input": task.input, "output": task.update}))

    def _path_event(self, task: Any, fn: Any, index: int, state: Any, output: Any) -> None:
        """A path function as LangGraph shows it: a child run of its node, numbered
        after the node, its state writer and one writer per static edge."""
        node = self.nodes.get(task.id)
        if node is None:
            return
        spec = self.graph.nodes[task.name]
        seq = 3 + len(spec.edge_writes) + index
        child = {
            **node,
            "run_id": str(uuid.uuid4()),
            "name": getattr(fn, "__name__", type(fn).__name__),
            "tags": [f"seq:step:{seq}", *self.tags],
            "parent_ids": [self.run_id, node["run_id"]],
        }
        self._put(_node_event(child, "on_chain_start", {"input": state}))
        self._put(_node_event(child, "on_chain_end", {"input": state, "output": output}))

    def chat_event(self, event: dict[str, Any]) -> None:
        """A chat model's event (pregel/chat.py), placed under its node's run."""
        ns = (event.get("metadata") or {}).get("langgraph_checkpoint_ns", "")
        task_id = ns.rpartition(":")[2]
        node = self.nodes.get(task_id)
        parents = [self.run_id] if node is None else [self.run_id, node["run_id"]]
        self._put({**event, "parent_ids": parents})


def _node_event(node: dict[str, Any], kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": kind,
        "data": data,
        "run_id": node["run_id"],
        "name": node["name"],
        "tags": list(node["tags"]),
        "metadata": dict(node["metadata"]),
        "parent_ids": list(node["parent_ids"]),
    }


def path_called(loop: Any, fn: Any, index: int, state: Any, result: Any) -> None:
    """A conditional edge of the running task's node called its path function (the
    graph tells a run that astream_events watches)."""
    from lockstep.pregel.context import _current

    owner = getattr(loop.watch, "__self__", None)
    current = _current.get(None)
    if isinstance(owner, EventRun) and current is not None:
        owner._path_event(current[0], fn, index, state, result)


def emit_event(event: dict[str, Any]) -> None:
    """Add `event` to the stream of the astream_events call running this node (see the
    module's docstring); nothing when the run is not one."""
    from lockstep.pregel.context import _current

    try:
        task, loop = _current.get()
    except LookupError:
        raise RuntimeError("emit_event() can only be called inside a running node") from None
    run = getattr(loop, "watch", None)
    owner = getattr(run, "__self__", None)
    if not isinstance(owner, EventRun):
        return
    node = owner.nodes.get(task.id)
    full = {"tags": [], "metadata": {}, **event}
    if node is not None:
        full.setdefault("parent_ids", [owner.run_id, node["run_id"]])
        if not event.get("metadata"):
            full["metadata"] = dict(node["metadata"])
        if not event.get("tags"):
            full["tags"] = list(node["tags"])
    full.setdefault("parent_ids", [owner.run_id])
    owner._put(full)


class _Filter:
    """astream_events' include_/exclude_ names, types (chain, chat_model...) and tags."""

    def __init__(self, **given: Sequence[str] | None) -> None:
        self.given = {k: set(v) for k, v in given.items() if v is not None}

    def __call__(self, event: dict[str, Any]) -> bool:
        if not self.given:
            return True
        kind = event["event"].split("_", 1)[1].rsplit("_", 1)[0]  # on_<type>_<start|stream|end>
        name, tags = event["name"], set(event.get("tags") or ())
        g = self.given
        included = True
        if {"include_names", "include_types", "include_tags"} & g.keys():
            included = (
                name in g.get("include_names", ())
                or kind in g.get("include_types", ())
                or bool(tags & g.get("include_tags", set()))
            )
        if name in g.get("exclude_names", ()) or kind in g.get("exclude_types", ()):
            return False
        if tags & g.get("exclude_tags", set()):
            return False
        return included


async def astream_events(
    graph: Any,
    input: Any,
    config: dict[str, Any] | None,
    *,
    version: str,
    filters: dict[str, Sequence[str] | None],
    stream_mode: Any,
    kw: dict[str, Any],
) -> AsyncIterator[dict[str, Any]]:
    if version != "v2":
        raise ValueError(f"astream_events version {version!r} is not supported: use version='v2'")
    config = config or {}
    run = EventRun(graph, graph._merged(config) or {})  # with_config's bound config too
    keep = _Filter(**filters)
    asked = stream_mode if stream_mode is not None else graph.stream_mode
    single = isinstance(asked, str)
    from lockstep.pregel.streaming import stream_modes

    modes = stream_modes(asked)
    wanted = list(dict.fromkeys([*modes, "values"]))
    start = run.event("on_chain_start", {"input": input})
    if keep(start):
        yield start
    last: Any = None
    options, subgraphs = astream_options(**kw)
    stream = graph._arun(input, graph._merged(config), wanted, options, subgraphs, watcher=run)
    try:
        async for mode, chunk in stream:
            if mode == EVENTS:
                if keep(chunk):
                    yield chunk
                continue
            if mode == "values":
                last = {k: v for k, v in chunk.items() if k != INTERRUPT} if isinstance(chunk, dict) else chunk
            if mode in modes:
                event = run.event("on_chain_stream", {"chunk": chunk if single else (mode, chunk)})
                if keep(event):
                    yield event
    finally:
        await stream.aclose()
    end = run.event("on_chain_end", {"output": last})
    if keep(end):
        yield end
