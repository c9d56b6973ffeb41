"""lockstep.v1.Runs and the run manager: one run per thread at a time, streamed as it happens.

A run is an asyncio task that drives the engine through its run handle
(`CompiledGraph.start_run`) and appends each event to the run's log; `StreamRun` and `JoinRun` read that log, so a stream
and a background run are the same thing seen from different calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc

from lockstep.checkpoint.ids import new_checkpoint_id
from lockstep.constants import START
from lockstep.errors import EmptyInputError, InvalidUpdateError, NodeError
from lockstep.pregel.host import RunHandle
from lockstep.service import messages
from lockstep.service.errors import ServiceError, abort, from_exception, invalid, not_found
from lockstep.service.hosting import Hosting
from lockstep.service.limits import LimitExceeded, Limits, run_timed_out, too_many_events
from lockstep.stores import runs as run_store
from lockstep.stores.runs import RunRecord
from lockstep.stores.threads import BUSY, ERROR, IDLE, INTERRUPTED
from lockstep.types import Command
from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, message_pb2, runs_service_pb2_grpc
from lockstep_api.v1 import runs_service_pb2 as pb

log = logging.getLogger("lockstep")

RS = enums_pb2
FINAL_THREAD_STATUS = {
    RS.RUN_STATUS_SUCCESS: IDLE,
    RS.RUN_STATUS_INTERRUPTED: INTERRUPTED,
    RS.RUN_STATUS_ERROR: ERROR,
    RS.RUN_STATUS_CANCELLED: IDLE,
    RS.RUN_STATUS_TIMEOUT: ERROR,
}
# A run's status as the store (which knows no protobuf) spells it, and back.
STATUS_NAME = {
    RS.RUN_STATUS_PENDING: run_store.PENDING,
    RS.RUN_STATUS_RUNNING: run_store.RUNNING,
    RS.RUN_STATUS_SUCCESS: run_store.SUCCESS,
    RS.RUN_STATUS_INTERRUPTED: run_store.INTERRUPTED,
    RS.RUN_STATUS_ERROR: run_store.ERROR,
    RS.RUN_STATUS_CANCELLED: run_store.CANCELLED,
    RS.RUN_STATUS_TIMEOUT: run_store.TIMEOUT,
}
STATUS_OF = {name: status for status, name in STATUS_NAME.items()}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class Run:
    run_id: str
    thread_id: str
    graph_id: str
    multitask_strategy: int
    metadata: dict[str, Any]
    status: int = RS.RUN_STATUS_PENDING
    created_at: datetime.datetime = field(default_factory=_now)
    updated_at: datetime.datetime = field(default_factory=_now)
    error: message_pb2.RunError | None = None
    events: list[message_pb2.RunEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    done: bool = False
    # Set when a later run with INTERRUPT or ROLLBACK takes the thread over.
    superseded: int = 0
    stop_requested: bool = False
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

    def emit(self, event: message_pb2.RunEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def message(self) -> message_pb2.Run:
        return run_message(self.record())

    def record(self) -> RunRecord:
        """What the store keeps of the run."""
        error = None
        if self.error is not None:
            e = self.error
            error = {"message": e.message, "node": e.node, "code": e.code, "error_type": e.error_type}
        return RunRecord(
            run_id=self.run_id,
            thread_id=self.thread_id,
            graph_id=self.graph_id,
            status=STATUS_NAME[self.status],
            created_at=self.created_at,
            updated_at=self.updated_at,
            metadata=dict(self.metadata),
            multitask_strategy=self.multitask_strategy,
            error=error,
        )

    @classmethod
    def ended(cls, record: RunRecord) -> Run:
        """A run known only from the store (it ended, maybe in an earlier server
        process): its stream is its metadata, its error if any, and its end."""
        message = run_message(record)
        run = cls(
            run_id=record.run_id,
            thread_id=record.thread_id,
            graph_id=record.graph_id,
            multitask_strategy=record.multitask_strategy,
            metadata=dict(record.metadata),
            status=message.status,
            created_at=record.created_at,
            updated_at=record.updated_at,
            error=message.error if message.HasField("error") else None,
            done=True,
        )
        run.events.append(
            message_pb2.RunEvent(
                metadata=message_pb2.RunMetadata(
                    run_id=run.run_id, thread_id=run.thread_id, graph_id=run.graph_id
                )
            )
        )
        if run.error is not None:
            run.events.append(message_pb2.RunEvent(error=run.error))
        run.events.append(message_pb2.RunEvent(end=message_pb2.RunEnd(status=run.status)))
        return run

    async def follow(self, start: int = 0) -> AsyncIterator[message_pb2.RunEvent]:
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


class RunManager:
    """Starts runs, keeps at most one active per thread, remembers finished ones."""

    def __init__(
        self,
        hosting: Hosting,
        keep_finished: int = 1_000,
        limits: Limits | None = None,
        durability: str = "async",
    ) -> None:
        self.hosting = hosting
        self.limits = limits or Limits()
        self.durability = durability  # for runs that do not say
        self.runs: dict[str, Run] = {}
        self.active: dict[str, Run] = {}  # thread_id -> run
        self.keep_finished = keep_finished
        self.draining = False
        self._editing: set[str] = set()
        self.queued: dict[str, deque[tuple[Run, _Plan]]] = {}  # thread_id -> runs waiting for it
        self._recover()

    def _recover(self) -> None:
        """Runs a previous server process left active never finish: the store marks
        them `error` (ServerStopped), and their threads say so too (resumable)."""
        for thread_id in self.hosting.store.runs.recover():
            self.hosting.store.threads.update(thread_id, status=ERROR)

    def _save(self, run: Run, persist: bool = True) -> None:
        """Write the run's record. A store that fails (full, locked) must not stop
        a run from ending and letting go of its thread: the record stays in memory,
        the failure is logged, and a restart finds the run active and says so."""
        try:
            self.hosting.store.runs.put(run.record(), persist=persist)
        except Exception:
            log.exception("run %s: its record could not be written", run.run_id)

    async def _forget(self, run: Run) -> None:
        """Drop the record of a run refused as it started: it never was a run. (The
        store waits for the deletion to be written: off the event loop.)"""
        try:
            await asyncio.to_thread(self.hosting.store.runs.delete, run.run_id)
        except Exception:
            log.exception("run %s: its record could not be removed", run.run_id)

    def _set_thread_status(self, thread_id: str, status: str) -> None:
        """As `_save`, for the thread's record as its run ends."""
        try:
            self.hosting.store.threads.update(thread_id, status=status)
        except Exception:
            log.exception("thread %s: its status %r could not be written", thread_id, status)

    def require_idle(self, thread_id: str) -> None:
        run = self.active.get(thread_id)
        if run is not None or thread_id in self._editing:
            raise ServiceError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"thread {thread_id!r} has an active run"
                + (f" ({run.run_id})" if run else "")
                + "; wait for it or cancel it first",
                "THREAD_BUSY",
            )

    @contextlib.asynccontextmanager
    async def editing(self, thread_id: str):
        """Hold the thread for a state edit, so no run starts halfway through it."""
        self.require_idle(thread_id)
        self._editing.add(thread_id)
        try:
            yield
        finally:
            self._editing.discard(thread_id)

    def get(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            record = self.hosting.store.runs.get(run_id) if run_id else None
            if record is None or record.status in run_store.ACTIVE:
                raise not_found("run", run_id)
            run = Run.ended(record)
        return run

    async def start(self, request) -> Run:
        """Validate a run request and start it; every caller mistake is a status here."""
        if self.draining:
            raise ServiceError(
                grpc.StatusCode.UNAVAILABLE, "the server is shutting down; retry on another", "DRAINING"
            )
        graph_id = request.graph_id
        if not graph_id and request.thread_id:
            # An existing thread knows its graph: a resume need not repeat it.
            known = self.hosting.own_thread(request.thread_id)
            graph_id = known.graph_id if known is not None else ""
        hosted = self.hosting.graph(graph_id)
        graph = hosted.graph
        modes = _modes(request.stream_modes)
        for label, names in (("interrupt_before", request.interrupt_before), ("interrupt_after", request.interrupt_after)):
            for name in names:
                if name != "*" and name not in graph.nodes:
                    raise invalid(f"{label} names unknown node {name!r}", "UNKNOWN_NODE")
        if request.multitask_strategy not in RS.MultitaskStrategy.values():
            raise invalid(
                f"unknown multitask_strategy {request.multitask_strategy}; "
                "use REJECT, ENQUEUE, INTERRUPT or ROLLBACK",
                "UNKNOWN_MULTITASK_STRATEGY",
            )
        if request.on_disconnect not in RS.OnDisconnect.values():
            raise invalid(
                f"unknown on_disconnect {request.on_disconnect}; use CANCEL or CONTINUE",
                "UNKNOWN_ON_DISCONNECT",
            )
        durability = _DURABILITY.get(request.durability)
        if durability is None:
            raise invalid(
                f"unknown durability {request.durability}; use SYNC or ASYNC",
                "UNKNOWN_DURABILITY",
            )
        run_input = _input(request)
        config_extra = _config(request)
        thread_id = request.thread_id or str(uuid.uuid4())
        record = self.hosting.own_thread(thread_id)  # NOT_FOUND if another tenant's
        if record is None:
            if run_input is None:
                raise ServiceError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"thread {thread_id!r} does not exist yet, so there is nothing to resume: "
                    "start it with an input",
                    "NOTHING_TO_RESUME",
                )
        elif record.graph_id and record.graph_id != hosted.graph_id:
            raise invalid(
                f"thread {thread_id!r} runs graph {record.graph_id!r}, not {hosted.graph_id!r}",
                "GRAPH_MISMATCH",
            )
        strategy = request.multitask_strategy or RS.MULTITASK_STRATEGY_REJECT
        busy = self.active.get(thread_id)
        if busy is None or strategy == RS.MULTITASK_STRATEGY_REJECT or thread_id in self._editing:
            self.require_idle(thread_id)
        checkpoint_id = request.checkpoint_id if request.HasField("checkpoint_id") else ""
        if checkpoint_id:
            await self.hosting.require_checkpoint(thread_id, checkpoint_id)
            if record is not None and self.hosting.store.threads.get(thread_id) is None:
                raise not_found("thread", thread_id)  # deleted meanwhile: write no orphans
        # The client's configurable values reach the nodes; the thread and checkpoint
        # are only ever the ones the request names (and checked above).
        own = config_extra.get("configurable", {})
        configurable = {k: v for k, v in own.items() if k not in _ADDRESSING}
        configurable.update(self.hosting.config(thread_id, checkpoint_id)["configurable"])
        config = {**config_extra, "configurable": configurable}
        kwargs: dict[str, Any] = {"durability": durability or self.durability}
        if request.interrupt_before:
            kwargs["interrupt_before"] = list(request.interrupt_before)
        if request.interrupt_after:
            kwargs["interrupt_after"] = list(request.interrupt_after)
        created = record is None  # made here, so a refused run leaves no empty thread behind
        if created:
            record = self.hosting.new_thread(thread_id, hosted.graph_id)
        run = Run(
            run_id=str(uuid.uuid4()),
            thread_id=thread_id,
            graph_id=hosted.graph_id,
            multitask_strategy=strategy,
            metadata=convert.from_struct(request.metadata) if request.HasField("metadata") else {},
        )
        plan = _Plan(graph, run_input, config, modes, kwargs)
        busy = self.active.get(thread_id)  # the awaits above may have changed it
        if busy is None or strategy == RS.MULTITASK_STRATEGY_REJECT or thread_id in self._editing:
            self.require_idle(thread_id)
        if busy is None:
            try:
                await self._launch(run, plan, immediate=True)
            except BaseException:
                if created and thread_id not in self.active:
                    self.hosting.store.threads.delete(thread_id)
                raise
            return run
        # The thread is busy: the run waits (PENDING) for the runs before it.
        queue = self.queued.setdefault(thread_id, deque())
        if strategy in (RS.MULTITASK_STRATEGY_INTERRUPT, RS.MULTITASK_STRATEGY_ROLLBACK):
            # As in LangGraph: every run in flight on the thread gives way to this one.
            while queue:
                self._finish_pending(queue.popleft()[0], RS.RUN_STATUS_CANCELLED)
            if not busy.superseded:
                busy.superseded = strategy
                verb = "rolled_back_by" if strategy == RS.MULTITASK_STRATEGY_ROLLBACK else "interrupted_by"
                busy.metadata[f"lockstep_{verb}"] = run.run_id
                self._stop(busy)
        queue.append((run, plan))
        self.runs[run.run_id] = run
        self._save(run)
        self._forget_old()
        await self._recorded(run)
        self._emit_metadata(run)
        return run

    async def _recorded(self, run: Run) -> None:
        """Wait until the run's record is on disk: a client that learns of a run (its
        metadata, its id) must find it after a restart, even if the run's first
        event needs no new checkpoint (a resume shows the state it starts from)."""
        with contextlib.suppress(Exception):
            await asyncio.shield(self.hosting.store.durable())

    def _emit_metadata(self, run: Run) -> None:
        run.emit(
            message_pb2.RunEvent(
                metadata=message_pb2.RunMetadata(
                    run_id=run.run_id, thread_id=run.thread_id, graph_id=run.graph_id
                )
            )
        )

    @staticmethod
    def _stop(run: Run) -> None:
        """Cancel a run at its next step boundary (or as soon as it has a task)."""
        run.stop()

    def _finish_pending(self, run: Run, status: int) -> None:
        """End a run that never started (cancelled while queued)."""
        _announce_end(run, status, None)
        self._save(run)

    def _hand_off(self, thread_id: str) -> None:
        """The thread's run ended: start the next queued one, if any (in order)."""
        queue = self.queued.get(thread_id)
        while queue:
            run, plan = queue.popleft()
            if self.draining:
                self._finish_pending(run, RS.RUN_STATUS_CANCELLED)
                continue
            self.active[thread_id] = run  # taken at once: no gap for another run or an edit
            run.start_task(self._launch(run, plan, immediate=False))
            break
        if not queue:
            self.queued.pop(thread_id, None)

    async def _launch(self, run: Run, plan: _Plan, immediate: bool) -> None:
        """Start the engine on the run's thread; an immediate run's refusal is a status."""
        thread_id = run.thread_id
        graph = plan.graph
        self.active[thread_id] = run
        try:
            if not immediate:
                run.begin()
            record = self.hosting.store.threads.get(thread_id)
            run.mark = new_checkpoint_id()  # every checkpoint this run makes sorts after it
            if record is not None and record.status in (INTERRUPTED, ERROR):
                # Only a stopped step leaves pending writes on the head; a resume adds to them.
                head = await asyncio.to_thread(
                    self.hosting.store.saver.get_tuple, self.hosting.config(thread_id)
                )
                run.head_writes = len(head.pending_writes) if head is not None else 0
            if immediate:
                # Written before the engine writes anything: a crash from here on finds
                # the run, and the write does not wait on the run's own first commit.
                run.status = RS.RUN_STATUS_RUNNING
                run.updated_at = _now()
                self._save(run)
                recorded = asyncio.ensure_future(self._recorded(run))  # while the engine starts
            handle = run.handle = graph.start_run(
                plan.input,
                plan.config,
                stream_mode=plan.modes,
                max_state_bytes=self.limits.max_state_bytes,
                **plan.kwargs,
            )
        except BaseException as exc:
            if self.active.get(thread_id) is run:
                del self.active[thread_id]
            if immediate:
                await self._forget(run)
                raise
            cancelled = isinstance(exc, asyncio.CancelledError)
            self._finish_pending(run, RS.RUN_STATUS_CANCELLED if cancelled else RS.RUN_STATUS_ERROR)
            self._hand_off(thread_id)
            return
        # Take the first event here, so a request the engine refuses (a resume
        # with nothing to resume, an ambiguous Command) is a status, not a run.
        try:
            first = await handle.__anext__()
        except StopAsyncIteration:
            first = None
        except (NodeError, InvalidUpdateError, EmptyInputError, ValueError, TypeError) as exc:
            refused = _refused(exc)
            if immediate and refused is not None:
                del self.active[thread_id]
                await handle.aclose()
                await self._forget(run)
                raise from_exception(refused) from refused
            first = exc
        except BaseException as exc:
            first = exc
        if record is None or not record.graph_id:
            self.hosting.store.threads.update(thread_id, graph_id=run.graph_id)
        self.hosting.store.threads.update(thread_id, persist=False, status=BUSY)
        if not immediate:
            # Written as it was queued and once it ends; running is a passing state.
            run.status = RS.RUN_STATUS_RUNNING
            run.updated_at = _now()
            self._save(run, persist=False)
        caller_left = False
        if immediate:
            self.runs[run.run_id] = run
            self._forget_old()
            try:
                await recorded
            except asyncio.CancelledError:
                # The caller left before it learned of the run: the run still gets the
                # task that ends it and releases its thread, and stops as a disconnect
                # would stop it.
                caller_left = run.stop_requested = True
            self._emit_metadata(run)
        run.start_task(self._execute(run, graph, handle, first, plan.kwargs))
        if caller_left:
            raise asyncio.CancelledError

    def _time_out(self, run: Run) -> None:
        if not run.done:
            run.timed_out = True
            self._stop(run)

    async def _execute(self, run: Run, graph, handle: RunHandle, first, kwargs) -> None:
        status = RS.RUN_STATUS_SUCCESS
        last_config = None
        most = self.limits.max_run_events
        timer = asyncio.get_running_loop().call_later(
            self.limits.max_run_seconds, self._time_out, run
        )
        try:
            run.begin()
            if isinstance(first, BaseException):
                raise first
            if first is not None:
                _emit_chunk(run, first)
            async for item in handle:
                if len(run.events) >= most:
                    raise too_many_events(self.limits)
                _emit_chunk(run, item)
            # The engine's own account of the head saves reading it back from the store.
            snap = handle.final
            if snap is None:
                snap = await graph.aget_state(self.hosting.config(run.thread_id))
            last_config = snap.config
            dynamic = messages.snapshot_interrupts(snap)
            if dynamic:
                status = RS.RUN_STATUS_INTERRUPTED
                for item in dynamic:
                    run.emit(message_pb2.RunEvent(interrupt=item))
            elif snap.next:
                status = RS.RUN_STATUS_INTERRUPTED
                for name, when in await _breakpoints(graph, snap, kwargs):
                    run.emit(
                        message_pb2.RunEvent(
                            interrupt=messages.interrupt(_static(), node=name, when=when)
                        )
                    )
        except asyncio.CancelledError:
            status = RS.RUN_STATUS_CANCELLED
            if run.timed_out:
                status = RS.RUN_STATUS_TIMEOUT
                run.error = _limit_error(run_timed_out(self.limits))
                run.emit(message_pb2.RunEvent(error=run.error))
        except Exception as exc:
            status = RS.RUN_STATUS_ERROR
            node = ""
            code = grpc.StatusCode.UNKNOWN  # a node's own failure
            if isinstance(exc, NodeError):
                node, exc = exc.node, exc.cause
            else:
                code = from_exception(exc).code
            run.error = message_pb2.RunError(
                message=f"{type(exc).__name__}: {exc}",
                node=node,
                code=code.value[0],
                error_type=type(exc).__name__,
            )
            run.emit(message_pb2.RunEvent(error=run.error))
        finally:
            timer.cancel()
            rolled_back = run.superseded == RS.MULTITASK_STRATEGY_ROLLBACK
            # A stopped run's readers learn of it now, though a sync node may hold the
            # thread until its step ends; every other end waits for the release (below).
            early = not rolled_back and status in (RS.RUN_STATUS_CANCELLED, RS.RUN_STATUS_TIMEOUT)
            if early:
                await self._record_end(run, status)
                _announce_end(run, status, last_config)
            with contextlib.suppress(BaseException):
                await handle.aclose()
            # The next run on the thread must not overlap the step this run's
            # worker is finishing: hold the thread until it has stopped.
            with contextlib.suppress(BaseException):
                await handle.stopped()
            if rolled_back:
                status = RS.RUN_STATUS_CANCELLED
                try:
                    saver = self.hosting.store.saver  # back to where the run started, at once
                    await asyncio.shield(
                        asyncio.to_thread(saver.rewind, run.thread_id, run.mark, run.head_writes)
                    )
                except BaseException as exc:  # the thread keeps what the run wrote; say so
                    run.metadata["lockstep_rollback_error"] = f"{type(exc).__name__}: {exc}"
                last_config = None
            if not early:
                await self._record_end(run, status)
            # A run's end means its thread is free: released first, announced after,
            # so a client that acts on the end (update, resume) never finds it busy.
            self._set_thread_status(run.thread_id, FINAL_THREAD_STATUS[status])
            if self.active.get(run.thread_id) is run:
                del self.active[run.thread_id]
            if not early:
                _announce_end(run, status, last_config)
            self._hand_off(run.thread_id)
            # A finished run is kept for JoinRun (its events); not what ran it.
            run.task = run.handle = None

    async def _record_end(self, run: Run, status: int) -> None:
        """The run's end record, on disk before the end goes out: a client never sees
        an end a restart forgets."""
        run.status, run.updated_at = status, _now()
        self._save(run)
        with contextlib.suppress(BaseException):
            await asyncio.shield(self.hosting.store.durable())

    async def cancel(self, run_id: str, wait: bool) -> Run:
        run = self.get(run_id)
        queue = self.queued.get(run.thread_id, ())
        for entry in list(queue):
            if entry[0] is run:
                queue.remove(entry)
                self._finish_pending(run, RS.RUN_STATUS_CANCELLED)
                return run
        if not run.done:
            run.stop()
        if not run.done and run.task is not None:
            if wait:  # until the run has ended (its end event is out)
                async for _ in run.follow():
                    pass
        return run

    async def drain(self, grace: float) -> None:
        """Stop taking runs; give active ones `grace` seconds, then cancel them at a step edge."""
        self.draining = True
        tasks = [r.task for r in self.active.values() if r.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for run in list(self.active.values()):
                if run.task in pending:
                    run.stop()
            if pending:
                await asyncio.wait(pending, timeout=5)

    def _forget_old(self) -> None:
        """Keep at most `keep_finished` runs: drop the oldest finished ones. Runs are
        kept in start order, so this looks at the oldest few, not at all of them."""
        excess = len(self.runs) - self.keep_finished
        if excess <= 0:
            return
        old = []
        for run_id, run in self.runs.items():
            if run.done:
                old.append(run_id)
                if len(old) == excess:
                    break
        for run_id in old:
            del self.runs[run_id]


@dataclass
class _Plan:
    """What a run will call the engine with, kept while the run waits its turn."""

    graph: Any
    input: Any
    config: dict[str, Any]
    modes: list[str]
    kwargs: dict[str, Any]


async def _breakpoints(graph, snap, kwargs) -> list[tuple[str, str]]:
    """Where a run stopped at a static breakpoint: after the nodes that just ran, or before the next."""
    before = set(kwargs.get("interrupt_before", graph.interrupt_before))
    after = set(kwargs.get("interrupt_after", graph.interrupt_after))
    if after and snap.parent_config is not None:
        parent = await graph.aget_state(snap.parent_config)
        hits = [(n, "after") for n in parent.next if n in after or "*" in after]
        if hits:
            return hits
    return [(n, "before" if n in before or "*" in before else "after") for n in snap.next]


def _refused(exc: BaseException) -> BaseException | None:
    """The caller's mistake behind an error a run's first step raised, or None when
    a node failed on its own: only the input's own task (START) failing stands for
    the request (its input does not fit the graph)."""
    if not isinstance(exc, NodeError):
        return exc
    if exc.node == START and isinstance(
        exc.cause, InvalidUpdateError | EmptyInputError | ValueError | TypeError
    ):
        return exc.cause
    return None


def _announce_end(run: Run, status: int, last_config: dict | None) -> None:
    run.status = status
    run.updated_at = _now()
    end = message_pb2.RunEnd(status=status)
    ref = messages.checkpoint_ref(last_config)
    if ref is not None:
        end.checkpoint.CopyFrom(ref)
    run.emit(message_pb2.RunEvent(end=end))
    run.done = True
    run.changed.set()


def run_message(record: RunRecord) -> message_pb2.Run:
    return message_pb2.Run(
        run_id=record.run_id,
        thread_id=record.thread_id,
        graph_id=record.graph_id,
        status=STATUS_OF[record.status],
        created_at=messages.timestamp(record.created_at),
        updated_at=messages.timestamp(record.updated_at),
        metadata=messages.struct(record.metadata),
        multitask_strategy=record.multitask_strategy,
        error=message_pb2.RunError(**record.error) if record.error else None,
    )


def _limit_error(err: LimitExceeded) -> message_pb2.RunError:
    return message_pb2.RunError(
        message=err.message, code=err.code.value[0], error_type=type(err).__name__
    )


def _static():
    from lockstep.types import Interrupt

    return Interrupt(value=None, id="")


def _modes(values) -> list[str]:
    if not values:
        return ["values"]
    out = []
    for v in values:
        if v not in messages.MODES:
            names = ", ".join(name.upper() for name in messages.MODES.values())
            raise invalid(f"unknown stream mode {v}; use one of {names}", "UNKNOWN_STREAM_MODE")
        out.append(messages.MODES[v])
    return out


_ADDRESSING = ("thread_id", "checkpoint_id", "checkpoint_ns")
# A request's durability -> the engine's ("": the server's default).
_DURABILITY = {
    RS.DURABILITY_UNSPECIFIED: "",
    RS.DURABILITY_SYNC: "sync",
    RS.DURABILITY_ASYNC: "async",
}


def _config(request) -> dict[str, Any]:
    """The run config a request gives; a recursion_limit must be a positive whole number
    (the engine would fail on another with a message about its own arithmetic)."""
    config = convert.from_struct(request.config) if request.HasField("config") else {}
    limit = config.get("recursion_limit")
    if limit is not None and (type(limit) is not int or limit < 1):
        raise invalid(
            f"config.recursion_limit must be a positive whole number, got {limit!r}", "BAD_CONFIG"
        )
    if not isinstance(config.get("configurable", {}), dict):
        raise invalid("config.configurable must be an object", "BAD_CONFIG")
    return config


def _input(request) -> Any:
    if request.HasField("command"):
        cmd = request.command
        if request.HasField("input"):
            raise invalid("give either input or command, not both")
        resume: Any = None
        if cmd.HasField("resume"):
            resume = messages.finite(convert.from_value(cmd.resume), "command.resume")
        if cmd.resume_by_id:
            if cmd.HasField("resume"):
                raise invalid("give either command.resume or command.resume_by_id, not both")
            resume = {
                k: messages.finite(convert.from_value(v), f"command.resume_by_id[{k!r}]")
                for k, v in cmd.resume_by_id.items()
            }
        update = (
            messages.finite(convert.from_struct(cmd.update), "command.update")
            if cmd.HasField("update")
            else None
        )
        goto = list(cmd.goto)
        if resume is None and not cmd.HasField("resume") and update is None and not goto:
            raise invalid("command is empty: set resume, resume_by_id, update or goto")
        return Command(resume=resume, update=update, goto=goto)
    if request.HasField("input"):
        return messages.finite(convert.from_struct(request.input), "input")
    return None


def _emit_chunk(run: Run, item: tuple[str, Any]) -> None:
    mode, chunk = item
    if mode == "values":
        if isinstance(chunk, dict) and "__interrupt__" in chunk:
            return  # the interrupt events after the run say it plainly
        run.emit(message_pb2.RunEvent(values=messages.struct(chunk)))
    elif mode == "updates":
        for node, update in chunk.items():
            if node == "__interrupt__":
                continue
            msg = message_pb2.NodeUpdate(node=node)
            if update is not None:
                msg.values.CopyFrom(messages.struct(update))
            run.emit(message_pb2.RunEvent(updates=msg))
    elif mode == "custom":
        run.emit(message_pb2.RunEvent(custom=messages.value(chunk)))
    elif mode == "debug":
        run.emit(message_pb2.RunEvent(debug=messages.struct(chunk)))
    else:  # the server asks only for the modes the wire carries (messages.MODES)
        raise ValueError(f"stream mode {mode!r} has no wire form")


class RunsService(runs_service_pb2_grpc.RunsServicer):
    def __init__(self, manager: RunManager) -> None:
        self.manager = manager

    async def _follow(self, run: Run, on_disconnect: int) -> AsyncIterator[message_pb2.RunEvent]:
        """The run's events for the caller that started it; if that caller leaves
        early, the run follows `on_disconnect` (cancel, LangGraph's default, or continue)."""
        try:
            async for event in run.follow():
                yield event
        finally:
            if on_disconnect != RS.ON_DISCONNECT_CONTINUE and not run.done:
                await self.manager.cancel(run.run_id, wait=False)

    async def StreamRun(self, request, context):
        try:
            run = await self.manager.start(request)
        except Exception as exc:
            await abort(context, exc)
            return
        async for event in self._follow(run, request.on_disconnect):
            yield pb.StreamRunResponse(event=event)

    async def WaitRun(self, request, context):
        try:
            run = await self.manager.start(request)
        except Exception as exc:
            await abort(context, exc)
            return
        values = None
        interrupts = []
        async for event in self._follow(run, request.on_disconnect):
            kind = event.WhichOneof("event")
            if kind == "values":
                values = event.values
            elif kind == "interrupt":
                interrupts.append(event.interrupt)
        response = pb.WaitRunResponse(
            run_id=run.run_id, thread_id=run.thread_id, status=run.status, interrupts=interrupts
        )
        if values is not None:
            response.values.CopyFrom(values)
        if run.error is not None:
            response.error.CopyFrom(run.error)
        end = run.events[-1].end if run.events and run.events[-1].HasField("end") else None
        if end is not None and end.HasField("checkpoint"):
            response.checkpoint.CopyFrom(end.checkpoint)
        return response

    async def CreateRun(self, request, context):
        try:
            run = await self.manager.start(request)
            return pb.CreateRunResponse(run=run.message())
        except Exception as exc:
            await abort(context, exc)

    def _own_run(self, run_id: str) -> Run:
        """The caller's run: another tenant's is NOT_FOUND, as its thread is."""
        run = self.manager.get(run_id)
        if not self.manager.hosting.owns_run(run.thread_id, run.created_at):
            raise not_found("run", run_id)
        return run

    async def JoinRun(self, request, context):
        try:
            run = self._own_run(request.run_id)
        except Exception as exc:
            await abort(context, exc)
            return
        async for event in run.follow():
            yield pb.JoinRunResponse(event=event)

    async def CancelRun(self, request, context):
        try:
            self._own_run(request.run_id)
            run = await self.manager.cancel(request.run_id, request.wait)
            return pb.CancelRunResponse(run=run.message())
        except Exception as exc:
            await abort(context, exc)

    async def ListRuns(self, request, context):
        try:
            size = messages.page_size(request.page_size)
            if request.status and request.status not in STATUS_NAME:
                raise invalid(f"unknown run status {request.status}")
            status = STATUS_NAME.get(request.status, "")
            hosting = self.manager.hosting
            if request.thread_id:
                hosting.own_thread(request.thread_id)  # NOT_FOUND if another tenant's
            records = [
                r
                for r in hosting.store.runs.list(request.thread_id, status)
                if hosting.owns_run(r.thread_id, r.created_at)
            ]
            limit = self.manager.limits.max_message_bytes
            runs, token = messages.page(records, request.page_token, size, run_message, limit, "run")
            return pb.ListRunsResponse(runs=runs, next_page_token=token)
        except Exception as exc:
            await abort(context, exc)
