"""What the SDK hands back: plain dataclasses shaped like the engine's (and LangGraph's).

They mirror `lockstep.types` field for field, so code written against the engine
(`snapshot.next`, `task.interrupts[0].value`, `interrupt.when`) reads a remote
thread unchanged; the SDK never imports the engine. Each `*_from_proto` turns one
wire message into one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from google.protobuf.timestamp_pb2 import Timestamp

from lockstep_api import names
from lockstep_api.convert import from_struct, from_value
from lockstep_api.v1 import message_pb2, threads_service_pb2

__all__ = [
    "Edge",
    "GraphInfo",
    "GraphNode",
    "Interrupt",
    "PregelTask",
    "Run",
    "RunEnd",
    "RunError",
    "RunResult",
    "StateKey",
    "StateSnapshot",
    "StreamPart",
    "Thread",
    "ThreadPage",
]

Config = dict[str, Any]

#: Between an event's kind and its namespace's parts, and between those parts (LangGraph's).
NS_SEP = "|"


def _iso(ts: Timestamp) -> str | None:
    """ISO-8601 in UTC like the engine's created_at ('2024-01-01T00:00:00.000000+00:00')."""
    if not ts.seconds and not ts.nanos:
        return None
    return ts.ToDatetime().isoformat(timespec="microseconds") + "+00:00"


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Why a run paused; answer it with `Command(resume=...)` (or `resume_by_id={id: ...}`).

    Printed and compared like LangGraph 1.x's `Interrupt(value, id)`; `node` and
    `when` ('during', 'before', 'after') say where it happened.
    """

    value: Any
    id: str = ""
    node: str = field(default="", repr=False, compare=False)
    when: str = field(default="during", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PregelTask:
    """A task of the next superstep, as `get_state` shows it. `error` is the failure as text."""

    id: str
    name: str
    path: tuple[Any, ...] = ()
    error: str | None = None
    interrupts: tuple[Interrupt, ...] = ()
    state: Any = None
    result: Any = None


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """A thread as it stood at one checkpoint (the engine's StateSnapshot, field for field)."""

    values: dict[str, Any]
    next: tuple[str, ...]
    config: Config
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: Config | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    """A thread's summary: its status ('idle', 'busy', 'interrupted', 'error') and latest values."""

    thread_id: str
    graph_id: str
    status: str
    created_at: str | None
    updated_at: str | None
    metadata: dict[str, Any]
    values: dict[str, Any] | None
    interrupts: tuple[Interrupt, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """One page of a thread listing; pass `next_page_token` back for the next ("" at the end)."""

    threads: list[Thread]
    next_page_token: str


@dataclass(frozen=True, slots=True)
class RunError:
    """Why a run ended in error: the node that failed and the exception's type and text."""

    message: str
    node: str = ""
    code: int = 2
    error_type: str = ""


@dataclass(frozen=True, slots=True)
class Run:
    """A run's record; status is 'pending', 'running', 'success', 'interrupted', 'error', ..."""

    run_id: str
    thread_id: str
    graph_id: str
    status: str
    created_at: str | None
    updated_at: str | None
    metadata: dict[str, Any]
    multitask_strategy: str
    error: RunError | None = None


@dataclass(frozen=True, slots=True)
class RunEnd:
    """The `end` event's data: the run's final status and the config of its last checkpoint."""

    status: str
    checkpoint: Config | None


@dataclass(frozen=True, slots=True)
class RunResult:
    """What `runs.wait` returns: the final values and whatever stopped the run."""

    run_id: str
    thread_id: str
    status: str
    values: dict[str, Any]
    interrupts: tuple[Interrupt, ...] = ()
    error: RunError | None = None
    checkpoint: Config | None = None


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node of a hosted graph."""

    name: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edge:
    """An edge; `conditional` ones are taken when a routing function picks `label`."""

    source: str
    target: str
    conditional: bool = False
    label: str = ""


@dataclass(frozen=True, slots=True)
class StateKey:
    """A state key (channel), its reducer ('' = last value wins) and declared type."""

    name: str
    reducer: str = ""
    type: str = ""


@dataclass(frozen=True, slots=True)
class GraphInfo:
    """A hosted graph. `graphs.list()` fills only id, description and metadata."""

    graph_id: str
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[Edge, ...] = ()
    state_keys: tuple[StateKey, ...] = ()
    interrupt_before: tuple[str, ...] = ()
    interrupt_after: tuple[str, ...] = ()
    mermaid: str = ""
    state_schema: dict[str, Any] | None = None


class StreamPart(NamedTuple):
    """One event of `runs.stream`, like the LangGraph SDK's: `.event` names it, `.data` holds it.

    event -> data: 'metadata' -> {'run_id', 'thread_id', 'graph_id'}; 'values' -> dict;
    'updates' -> {node: dict | None}; 'interrupt' -> Interrupt; 'custom' -> any value;
    'debug', 'checkpoints', 'tasks' -> dict; 'messages' -> (message dict, metadata
    dict); 'error' -> RunError; 'end' -> RunEnd. An event of a subgraph (a run
    streamed with subgraphs=True) is named as the LangGraph SDK names it, its
    namespace after its kind: 'values|child:<task id>' (see `.kind`, `.namespace`).
    """

    event: str
    data: Any

    @property
    def kind(self) -> str:
        """The event's kind without its namespace ('values' for 'values|child:1')."""
        return self.event.split(NS_SEP, 1)[0]

    @property
    def namespace(self) -> tuple[str, ...]:
        """Where the event comes from: () for the run's own graph, else one
        '<node>:<task id>' part per subgraph level, outermost first."""
        return tuple(self.event.split(NS_SEP)[1:])


# ---------------------------------------------------------------------------- from proto


def config_from_ref(ref: message_pb2.CheckpointRef) -> Config:
    """CheckpointRef -> LangGraph's {'configurable': {thread_id, checkpoint_ns, checkpoint_id}}."""
    return {
        "configurable": {
            "thread_id": ref.thread_id,
            "checkpoint_ns": ref.checkpoint_ns,
            "checkpoint_id": ref.checkpoint_id,
        }
    }


def interrupt_from_proto(msg: message_pb2.Interrupt) -> Interrupt:
    return Interrupt(
        value=from_value(msg.value) if msg.HasField("value") else None,
        id=msg.id,
        node=msg.node,
        when=names.INTERRUPT_WHEN.name(msg.when) or "during",
    )


def task_from_proto(msg: message_pb2.Task) -> PregelTask:
    """A task; `state` is as LangGraph's: the subgraph's StateSnapshot when asked for
    subgraphs, else the subgraph's config (its checkpoint_ns), None for a plain node."""
    state: Any = None
    if msg.HasField("state"):
        state = snapshot_from_proto(msg.state)
    elif msg.HasField("subgraph"):
        state = {
            "configurable": {
                "thread_id": msg.subgraph.thread_id,
                "checkpoint_ns": msg.subgraph.checkpoint_ns,
            }
        }
    return PregelTask(
        id=msg.id,
        name=msg.name,
        error=msg.error or None,
        interrupts=tuple(interrupt_from_proto(i) for i in msg.interrupts),
        state=state,
        result=from_value(msg.result) if msg.HasField("result") else None,
    )


def metadata_from_proto(msg: message_pb2.CheckpointMetadata) -> dict[str, Any]:
    """{'source', 'step', 'parents'} as LangGraph has them, plus any extra keys the server kept."""
    out = from_struct(msg.extra) if msg.HasField("extra") else {}
    out["source"] = names.CHECKPOINT_SOURCES.name(msg.source)
    out["step"] = msg.step
    out["parents"] = dict(msg.parents)
    return out


def snapshot_from_proto(msg: message_pb2.StateSnapshot) -> StateSnapshot:
    return StateSnapshot(
        values=from_struct(msg.values),
        next=tuple(msg.next),
        config=config_from_ref(msg.checkpoint),
        metadata=metadata_from_proto(msg.metadata) if msg.HasField("metadata") else None,
        created_at=_iso(msg.created_at),
        parent_config=(
            config_from_ref(msg.parent_checkpoint) if msg.HasField("parent_checkpoint") else None
        ),
        tasks=tuple(task_from_proto(t) for t in msg.tasks),
        interrupts=tuple(interrupt_from_proto(i) for i in msg.interrupts),
    )


def thread_from_proto(msg: message_pb2.Thread) -> Thread:
    return Thread(
        thread_id=msg.thread_id,
        graph_id=msg.graph_id,
        status=names.THREAD_STATUSES.name(msg.status),
        created_at=_iso(msg.created_at),
        updated_at=_iso(msg.updated_at),
        metadata=from_struct(msg.metadata),
        values=from_struct(msg.values) if msg.HasField("values") else None,
        interrupts=tuple(interrupt_from_proto(i) for i in msg.interrupts),
    )


def thread_page_from_proto(msg: threads_service_pb2.ListThreadsResponse) -> ThreadPage:
    return ThreadPage([thread_from_proto(t) for t in msg.threads], msg.next_page_token)


def item_from_proto(msg: Any, score: bool = False) -> dict[str, Any]:
    """A store item as langgraph_sdk gives one: a dict (namespace a list, times ISO
    strings); a search result also has `score` (None: nothing is ranked)."""
    item = {
        "namespace": list(msg.namespace),
        "key": msg.key,
        "value": from_struct(msg.value),
        "created_at": _iso(msg.created_at),
        "updated_at": _iso(msg.updated_at),
    }
    if score:
        item["score"] = None
    return item


def run_error_from_proto(msg: message_pb2.RunError) -> RunError:
    return RunError(message=msg.message, node=msg.node, code=msg.code, error_type=msg.error_type)


def run_from_proto(msg: message_pb2.Run) -> Run:
    return Run(
        run_id=msg.run_id,
        thread_id=msg.thread_id,
        graph_id=msg.graph_id,
        status=names.RUN_STATUSES.name(msg.status),
        created_at=_iso(msg.created_at),
        updated_at=_iso(msg.updated_at),
        metadata=from_struct(msg.metadata),
        multitask_strategy=names.MULTITASK_STRATEGIES.name(msg.multitask_strategy),
        error=run_error_from_proto(msg.error) if msg.HasField("error") else None,
    )


def run_end_from_proto(msg: message_pb2.RunEnd) -> RunEnd:
    return RunEnd(
        status=names.RUN_STATUSES.name(msg.status),
        checkpoint=config_from_ref(msg.checkpoint) if msg.HasField("checkpoint") else None,
    )


def graph_summary_from_proto(msg: message_pb2.GraphSummary) -> GraphInfo:
    return GraphInfo(
        graph_id=msg.graph_id, description=msg.description, metadata=from_struct(msg.metadata)
    )


def graph_from_proto(msg: message_pb2.Graph) -> GraphInfo:
    return GraphInfo(
        graph_id=msg.graph_id,
        description=msg.description,
        metadata=from_struct(msg.metadata),
        nodes=tuple(GraphNode(n.name, from_struct(n.metadata)) for n in msg.nodes),
        edges=tuple(Edge(e.source, e.target, e.conditional, e.label) for e in msg.edges),
        state_keys=tuple(StateKey(k.name, k.reducer, k.type) for k in msg.state_keys),
        interrupt_before=tuple(msg.interrupt_before),
        interrupt_after=tuple(msg.interrupt_after),
        mermaid=msg.mermaid,
        state_schema=from_struct(msg.state_schema) if msg.HasField("state_schema") else None,
    )


def event_from_proto(msg: message_pb2.RunEvent) -> StreamPart:
    """One RunEvent -> StreamPart; an event kind this SDK does not know yet keeps its name."""
    part = _event_data(msg)
    if msg.namespace:
        return StreamPart(NS_SEP.join((part.event, *msg.namespace)), part.data)
    return part


def _event_data(msg: message_pb2.RunEvent) -> StreamPart:
    kind = msg.WhichOneof("event")
    if kind == "messages":
        return StreamPart(
            "messages", (from_struct(msg.messages.message), from_struct(msg.messages.metadata))
        )
    if kind == "checkpoints":
        return StreamPart("checkpoints", from_struct(msg.checkpoints))
    if kind == "tasks":
        return StreamPart("tasks", from_struct(msg.tasks))
    if kind == "values":
        return StreamPart("values", from_struct(msg.values))
    if kind == "updates":
        upd = msg.updates
        return StreamPart(
            "updates", {upd.node: from_struct(upd.values) if upd.HasField("values") else None}
        )
    if kind == "interrupt":
        return StreamPart("interrupt", interrupt_from_proto(msg.interrupt))
    if kind == "custom":
        return StreamPart("custom", from_value(msg.custom))
    if kind == "debug":
        return StreamPart("debug", from_struct(msg.debug))
    if kind == "metadata":
        md = msg.metadata
        return StreamPart(
            "metadata", {"run_id": md.run_id, "thread_id": md.thread_id, "graph_id": md.graph_id}
        )
    if kind == "error":
        return StreamPart("error", run_error_from_proto(msg.error))
    if kind == "end":
        return StreamPart("end", run_end_from_proto(msg.end))
    return StreamPart(kind or "unknown", None)
