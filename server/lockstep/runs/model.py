"""A run as plain data: what was asked, its status, its events so far, how it ended.

Events are JSON-shaped (`jsonable` at the moment they happen, so later changes
to graph objects do not reach them); a host converts them for its wire.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from lockstep.pregel.host import RunHandle
from lockstep.runs.errors import Code
from lockstep.stores import runs as run_store
from lockstep.stores import threads as thread_store
from lockstep.stores.runs import RunRecord, now


class RunStatus(enum.Enum):
    """Where a run is; the values are the store's spelling."""

    PENDING = run_store.PENDING
    RUNNING = run_store.RUNNING
    SUCCESS = run_store.SUCCESS
    INTERRUPTED = run_store.INTERRUPTED
    ERROR = run_store.ERROR
    CANCELLED = run_store.CANCELLED
    TIMEOUT = run_store.TIMEOUT


class ThreadStatus(enum.Enum):
    """Where a thread is; the values are the store's spelling."""

    IDLE = thread_store.IDLE
    BUSY = thread_store.BUSY
    INTERRUPTED = thread_store.INTERRUPTED
    ERROR = thread_store.ERROR


#: The thread's status once its run ended so.
FINAL_THREAD_STATUS = {
    RunStatus.SUCCESS: ThreadStatus.IDLE,
    RunStatus.INTERRUPTED: ThreadStatus.INTERRUPTED,
    RunStatus.ERROR: ThreadStatus.ERROR,
    RunStatus.CANCELLED: ThreadStatus.IDLE,
    RunStatus.TIMEOUT: ThreadStatus.ERROR,
}


class Multitask(enum.IntEnum):
    """What a run does when its thread is busy (the numbers are the run records')."""

    REJECT = 1  # refuse it (THREAD_BUSY)
    ENQUEUE = 2  # wait for the runs before it
    INTERRUPT = 3  # stop the active run, keeping what it wrote, and go next
    ROLLBACK = 4  # stop the active run, undo what it wrote, and go next


@dataclass
class RunRequest:
    """A run as a caller asks for it, already checked for shape by the host."""

    graph_id: str = ""  # may be empty for a thread that knows its graph
    thread_id: str = ""  # empty: a new thread
    input: Any = None  # a dict, a Command, or None to continue the thread
    config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    stream_modes: list[str] = field(default_factory=lambda: ["values"])
    interrupt_before: list[str] = field(default_factory=list)
    interrupt_after: list[str] = field(default_factory=list)
    multitask: Multitask = Multitask.REJECT
    durability: str = ""  # "sync", "async", "exit", or "": the server's default
    checkpoint_id: str = ""  # start from this checkpoint instead of the head
    checkpoint_ns: str = ""  # the namespace checkpoint_id is in ("" the root graph's)
    context: Any = None  # the run's Runtime context (a dict), None for none
    subgraphs: bool = False  # stream subgraphs' events too, each with its namespace


@dataclass(frozen=True, slots=True)
class RunError:
    """Why a run ended in an error: `node` is the node that raised, "" for the run itself."""

    message: str
    code: Code = Code.UNKNOWN
    error_type: str = ""
    node: str = ""

    def as_record(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "node": self.node,
            "code": int(self.code),
            "error_type": self.error_type,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> RunError:
        return cls(
            message=data.get("message", ""),
            code=Code(data.get("code", Code.UNKNOWN)),
            error_type=data.get("error_type", ""),
            node=data.get("node", ""),
        )


@dataclass(frozen=True, slots=True)
class MetadataEvent:
    """The first event of every run: which run, on which thread and graph."""

    run_id: str
    thread_id: str
    graph_id: str


@dataclass(frozen=True, slots=True)
class ValuesEvent:
    """The whole state after a step (stream mode "values")."""

    values: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateEvent:
    """What one node wrote in a step (stream mode "updates"); None if nothing."""

    node: str
    values: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomEvent:
    """What a node sent through its stream writer (stream mode "custom")."""

    value: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DebugEvent:
    """The engine's account of a task or checkpoint (stream mode "debug")."""

    values: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A chat message or a chunk of one (stream mode "messages"), JSON-shaped as
    LangGraph's server sends it, with the metadata of the task it came from."""

    message: Any
    metadata: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckpointEvent:
    """A checkpoint as it is saved (stream mode "checkpoints")."""

    values: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """A task starting or finished (stream mode "tasks")."""

    values: Any
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InterruptEvent:
    """Where the run paused: an interrupt raised by a node (`when` "during"), or a
    static breakpoint before or after a node (no id, no value)."""

    node: str
    when: str = "during"
    id: str = ""
    value: Any = None
    task_id: str = ""
    # A subgraph's interrupt as it happens (runs with subgraphs); the run's own
    # interrupts (which include its subgraphs') come at its end with namespace ().
    namespace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    error: RunError


@dataclass(frozen=True, slots=True)
class EndEvent:
    """The last event: how the run ended and the checkpoint it left (its config)."""

    status: RunStatus
    checkpoint: dict[str, Any] | None = None


RunEvent = (
    MetadataEvent
    | ValuesEvent
    | UpdateEvent
    | CustomEvent
    | DebugEvent
    | MessageEvent
    | CheckpointEvent
    | TaskEvent
    | InterruptEvent
    | ErrorEvent
    | EndEvent
)


_EVENT_KINDS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        MetadataEvent,
        ValuesEvent,
        UpdateEvent,
        CustomEvent,
        DebugEvent,
        InterruptEvent,
        ErrorEvent,
        EndEvent,
    )
}


def event_record(event: RunEvent) -> dict[str, Any]:
    """An event as JSON-shaped data, for a store other servers read it from."""
    if isinstance(event, ErrorEvent):
        return {"kind": "ErrorEvent", "error": event.error.as_record()}
    if isinstance(event, EndEvent):
        return {"kind": "EndEvent", "status": event.status.value, "checkpoint": event.checkpoint}
    fields = {name: getattr(event, name) for name in event.__slots__}
    return {"kind": type(event).__name__, **fields}


def event_from_record(data: dict[str, Any]) -> RunEvent:
    """The event `event_record` wrote."""
    fields = dict(data)
    kind = fields.pop("kind")
    if kind == "ErrorEvent":
        return ErrorEvent(RunError.from_record(fields["error"]))
    if kind == "EndEvent":
        return EndEvent(RunStatus(fields["status"]), fields.get("checkpoint"))
    return _EVENT_KINDS[kind](**fields)


@dataclass
class Run:
    run_id: str
    thread_id: str
    graph_id: str
    multitask: Multitask
    metadata: dict[str, Any]
    status: RunStatus = RunStatus.PENDING
    created_at: datetime.datetime = field(default_factory=now)
    updated_at: datetime.datetime = field(default_factory=now)
    error: RunError | None = None
    events: list[RunEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    done: bool = False
    # Set when a later run with INTERRUPT or ROLLBACK takes the thread over.
    superseded: Multitask | None = None
    stop_requested: bool = False
    # The (namespace, id) of the subgraph interrupts already sent (values and updates
    # chunks both carry them).
    subgraph_interrupts: set[tuple[tuple[str, ...], str]] = field(default_factory=set)
    # Where the run started, for a rollback: checkpoints with ids from `mark` on are
    # the run's; the head then had `head_writes` pending writes (a resume adds some).
    mark: str = ""
    head_writes: int = 0
    # The engine's run (its events, how it ended, when it has really stopped).
    handle: RunHandle | None = None
    timed_out: bool = False  # stopped by the server's run time limit, not by a caller
    # Whether `task` has begun: a task cancelled before its first step never runs its
    # body, so the cleanup in its `finally` (releasing the thread) would never happen.
    started: bool = False
    # Told of each event with its number, when other servers follow it (a shared store).
    publish: Callable[[int, RunEvent], None] | None = None
    # Its server lost the thread (its lease lapsed, another took the run over):
    # it stops without writing how it ended, which is no longer its to say.
    lost: bool = False

    def stop(self) -> None:
        """Stop the run at its next await: cancel its task once it has begun; one not
        yet begun sees `stop_requested` as it begins and stops there instead."""
        self.stop_requested = True
        if self.task is not None and self.started and not self.done:
            self.task.cancel()

    def start_task(self, coro: Any) -> None:
        self.started = False
        self.task = asyncio.create_task(coro)

    def begin(self) -> None:
        """First thing a run's task does: from now on it can be cancelled safely."""
        self.started = True
        if self.stop_requested:
            raise asyncio.CancelledError

    def emit(self, event: RunEvent) -> None:
        self.events.append(event)
        self.changed.set()
        if self.publish is not None:
            self.publish(len(self.events) - 1, event)

    def metadata_event(self) -> MetadataEvent:
        return MetadataEvent(run_id=self.run_id, thread_id=self.thread_id, graph_id=self.graph_id)

    def end(self) -> EndEvent | None:
        """The run's end event, once it has one."""
        last = self.events[-1] if self.events else None
        return last if isinstance(last, EndEvent) else None

    def record(self) -> RunRecord:
        """What the store keeps of the run."""
        return RunRecord(
            run_id=self.run_id,
            thread_id=self.thread_id,
            graph_id=self.graph_id,
            status=self.status.value,
            created_at=self.created_at,
            updated_at=self.updated_at,
            metadata=dict(self.metadata),
            multitask_strategy=int(self.multitask),
            error=self.error.as_record() if self.error is not None else None,
        )

    @staticmethod
    def recorded(record: RunRecord) -> dict[str, Any]:
        """A run's fields as its stored record has them."""
        return {
            "run_id": record.run_id,
            "thread_id": record.thread_id,
            "graph_id": record.graph_id,
            "multitask": Multitask(record.multitask_strategy or Multitask.REJECT),
            "metadata": dict(record.metadata),
            "status": RunStatus(record.status),
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            "error": RunError.from_record(record.error) if record.error else None,
        }

    @classmethod
    def ended(cls, record: RunRecord) -> Run:
        """A run known only from the store (it ended, maybe in an earlier server
        process): its stream is its metadata, its error if any, and its end."""
        run = cls(**Run.recorded(record), done=True)
        run.events.append(run.metadata_event())
        if run.error is not None:
            run.events.append(ErrorEvent(run.error))
        run.events.append(EndEvent(run.status))
        return run

    async def follow(self, start: int = 0) -> AsyncIterator[RunEvent]:
        """Every event from `start` on, waiting for new ones until the run is over."""
        index = start
        while True:
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.done:
                return
            self.changed.clear()
            if index < len(self.events) or self.done:
                continue
            await self.changed.wait()
