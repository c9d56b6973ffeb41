"""The run manager: one run per thread at a time, the others queued or refused.

A run is an asyncio task that drives the engine through its run handle
(`CompiledGraph.start_run`) and appends each event to the run's log; `StreamRun` and `JoinRun` read that log, so a stream
and a background run are the same thing seen from different calls.

On a store several servers share (`coordination.shared`), the thread is also
claimed in the store before a run takes it (and for an edit), queued runs wait in
the store's queue, events are appended there for followers on other servers, and
a background loop (`serve`) renews this server's leases, takes the cancel
requests other servers sent, starts queued runs once their thread is free, and
takes over the runs of servers whose leases lapsed. Alone, all of it stays here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from lockstep.checkpoint import serde
from lockstep.checkpoint.ids import new_checkpoint_id
from lockstep.constants import INTERRUPT, START
from lockstep.errors import EmptyInputError, InvalidUpdateError, NodeError
from lockstep.jsonable import jsonable
from lockstep.pregel.host import RunHandle
from lockstep.runs import multitask
from lockstep.runs.errors import (
    Code,
    Draining,
    InvalidArgument,
    LimitExceeded,
    NotFound,
    NothingToResume,
    Reason,
    ThreadBusy,
    classify,
)
from lockstep.runs.hosting import Hosting, current_tenant
from lockstep.runs.limits import Limits, run_timed_out, too_many_events
from lockstep.runs.model import (
    FINAL_THREAD_STATUS,
    CheckpointEvent,
    CustomEvent,
    DebugEvent,
    EndEvent,
    ErrorEvent,
    InterruptEvent,
    MessageEvent,
    Multitask,
    Run,
    RunError,
    RunRequest,
    RunStatus,
    TaskEvent,
    ThreadStatus,
    UpdateEvent,
    ValuesEvent,
    event_from_record,
    event_record,
)
from lockstep.runs.remote import RemoteRun
from lockstep.stores import runs as run_store
from lockstep.stores.coordination import POLL_SECONDS, Claim, LeaseLost, Queued
from lockstep.stores.runs import SERVER_STOPPED, now
from lockstep.stores.threads import ThreadRecord

log = logging.getLogger("lockstep")


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
        self.coordination = hosting.store.coordination
        self.shared = self.coordination.shared  # other servers use the store too
        self._loop_task: asyncio.Task | None = None
        self._kick = asyncio.Event()  # wakes the loop early: a thread was freed here
        self._background: set[asyncio.Task] = set()
        self._recover()

    def _recover(self) -> None:
        """Runs a previous server process left active never finish: the store marks
        them `error` (ServerStopped), and their threads say so too (resumable). On
        a shared store only those no server holds or queues: the others are live,
        or will be taken over when their lease lapses."""
        store = self.hosting.store
        if not self.shared:
            for thread_id in store.runs.recover():
                store.threads.update(thread_id, status=ThreadStatus.ERROR.value)
            return
        co = self.coordination
        for status in run_store.ACTIVE:
            for record in store.runs.list(status=status):
                holder = co.holder(record.thread_id)
                if holder is not None and holder.run_id == record.run_id:
                    continue
                if any(q.run_id == record.run_id for q in co.queued(record.thread_id)):
                    continue
                store.runs.put(
                    replace(
                        record, status=run_store.ERROR, updated_at=now(), error=dict(SERVER_STOPPED)
                    )
                )
                store.threads.update(record.thread_id, status=ThreadStatus.ERROR.value)

    def _save(self, run: Run, persist: bool = True) -> None:
        """Write the run's record. A store that fails (full, locked) must not stop
        a run from ending and letting go of its thread: the record stays in memory,
        the failure is logged, and a restart finds the run active and says so.
        (On a shared store every state is written: other servers read it.)"""
        if run.lost:
            return  # another server runs it now
        try:
            self.hosting.store.runs.put(run.record(), persist=persist or self.shared)
        except Exception:
            log.exception("run %s: its record could not be written", run.run_id)

    async def _forget(self, run: Run) -> None:
        """Drop the record of a run refused as it started: it never was a run. (The
        store waits for the deletion to be written: off the event loop.)"""
        try:
            await asyncio.to_thread(self.hosting.store.runs.delete, run.run_id)
        except Exception:
            log.exception("run %s: its record could not be removed", run.run_id)

    def _set_thread_status(self, thread_id: str, status: ThreadStatus) -> None:
        """As `_save`, for the thread's record as its run ends."""
        try:
            self.hosting.store.threads.update(thread_id, status=status.value)
        except Exception:
            log.exception("thread %s: its status %r could not be written", thread_id, status.value)

    def require_idle(self, thread_id: str) -> None:
        run = self.active.get(thread_id)
        if run is not None or thread_id in self._editing:
            raise ThreadBusy(
                f"thread {thread_id!r} has an active run"
                + (f" ({run.run_id})" if run else "")
                + "; wait for it or cancel it first"
            )

    @contextlib.asynccontextmanager
    async def editing(self, thread_id: str):
        """Hold the thread for a state edit, so no run starts halfway through it
        (on a shared store, on any server: the edit claims the thread there too)."""
        self.require_idle(thread_id)
        self._editing.add(thread_id)
        try:
            if self.shared:
                if not await asyncio.to_thread(self.coordination.claim, thread_id, ""):
                    raise ThreadBusy(
                        f"thread {thread_id!r} has an active run on another server; "
                        "wait for it or cancel it first"
                    )
                try:
                    yield
                finally:
                    await asyncio.shield(
                        asyncio.to_thread(self.coordination.release, thread_id, "")
                    )
            else:
                yield
        finally:
            self._editing.discard(thread_id)

    def get(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            record = self.hosting.store.runs.get(run_id) if run_id else None
            if record is None:
                raise NotFound("run", run_id)
            if record.status in run_store.ACTIVE:
                if not self.shared:
                    raise NotFound("run", run_id)
                # Another server's: followed through the store.
                return RemoteRun.of(record, self.coordination, self.hosting.store.runs)
            run = Run.ended(record)
        return run

    def list(self, thread_id: str = "", status: RunStatus | None = None) -> list[Run]:
        """The caller's runs, newest first: only the thread's (NOT_FOUND if it is
        another tenant's), only in that status, when given."""
        hosting = self.hosting
        if thread_id:
            hosting.own_thread(thread_id)
        records = hosting.store.runs.list(thread_id, status.value if status is not None else "")
        return [
            self.runs.get(r.run_id) or Run.ended(r)
            for r in records
            if hosting.owns_run(r.thread_id, r.created_at)
        ]

    def own(self, run_id: str) -> Run:
        """The caller's run: another tenant's is NOT_FOUND, as its thread is."""
        run = self.get(run_id)
        if not self.hosting.owns_run(run.thread_id, run.created_at):
            raise NotFound("run", run_id)
        return run

    async def start(self, request: RunRequest) -> Run:
        """Check a run request against the threads and graphs and start it; every
        caller mistake is a `RequestError` raised here, before the run exists."""
        if self.draining:
            raise Draining("the server is shutting down; retry on another")
        graph_id = request.graph_id
        if not graph_id and request.thread_id:
            # An existing thread knows its graph: a resume need not repeat it.
            known = self.hosting.own_thread(request.thread_id)
            graph_id = known.graph_id if known is not None else ""
        hosted = self.hosting.graph(graph_id)
        # The run's nodes get the caller's long-term memory as their `store`, in place
        # of any the graph was compiled with (as the checkpointer is replaced).
        graph = hosted.graph.copy({"store": self.hosting.memory()})
        for label, names in (
            ("interrupt_before", request.interrupt_before),
            ("interrupt_after", request.interrupt_after),
        ):
            for name in names:
                if name != "*" and name not in graph.nodes:
                    raise InvalidArgument(f"{label} names unknown node {name!r}", Reason.UNKNOWN_NODE)
        run_input = request.input
        thread_id = request.thread_id or str(uuid.uuid4())
        record = self.hosting.own_thread(thread_id)  # NOT_FOUND if another tenant's
        if record is None:
            if run_input is None:
                raise NothingToResume(
                    f"thread {thread_id!r} does not exist yet, so there is nothing to resume: "
                    "start it with an input"
                )
        else:
            self.hosting.graph_of(record, hosted.graph_id)  # GRAPH_MISMATCH if another's
        strategy = request.multitask
        if not multitask.waits(strategy, self.active.get(thread_id), thread_id in self._editing):
            self.require_idle(thread_id)
        checkpoint_id, checkpoint_ns = request.checkpoint_id, request.checkpoint_ns
        if checkpoint_ns:
            await self.hosting.require_namespace(thread_id, checkpoint_ns)
        if checkpoint_id:
            await self.hosting.require_checkpoint(thread_id, checkpoint_id, checkpoint_ns)
            if record is not None and self.hosting.store.threads.get(thread_id) is None:
                raise NotFound("thread", thread_id)  # deleted meanwhile: write no orphans
        # The client's configurable values reach the nodes; the thread and checkpoint
        # are only ever the ones the request names (and checked above).
        own = request.config.get("configurable", {})
        configurable = {k: v for k, v in own.items() if k not in _ADDRESSING}
        configurable.update(
            self.hosting.config(thread_id, checkpoint_id, checkpoint_ns)["configurable"]
        )
        config = {**request.config, "configurable": configurable}
        kwargs: dict[str, Any] = {"durability": request.durability or self.durability}
        if request.context is not None:
            kwargs["context"] = request.context
        if request.subgraphs:
            kwargs["subgraphs"] = True
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
            multitask=strategy,
            metadata=dict(request.metadata),
        )
        plan = _Plan(graph, run_input, config, list(request.stream_modes), kwargs, hosted.graph_id)
        if self.shared:
            run.publish = self._publisher(run)
        busy = self.active.get(thread_id)  # the awaits above may have changed it
        if not multitask.waits(strategy, busy, thread_id in self._editing):
            self.require_idle(thread_id)
        elsewhere = False  # busy on another server
        if busy is None and self.shared:
            plan.mark = new_checkpoint_id()  # every checkpoint this run makes sorts after it
            claimed = await asyncio.to_thread(
                self.coordination.claim, thread_id, run.run_id, self._request(run, plan)
            )
            if not claimed:
                elsewhere = True
                if strategy == Multitask.REJECT:
                    if created:
                        self.hosting.store.threads.delete(thread_id)
                    raise ThreadBusy(
                        f"thread {thread_id!r} has an active run on another server; "
                        "wait for it or cancel it first"
                    )
        if busy is None and not elsewhere:
            try:
                await self._launch(run, plan, immediate=True)
            except BaseException:
                if created and thread_id not in self.active:
                    self.hosting.store.threads.delete(thread_id)
                raise
            return run
        # The thread is busy: the run waits (PENDING) for the runs before it.
        if self.shared:
            # In the store's queue first: a run the loop starts must not be queued after.
            await asyncio.to_thread(
                self.coordination.enqueue, thread_id, run.run_id, self._request(run, plan)
            )
        queue = self.queued.setdefault(thread_id, deque())
        if multitask.takes_over(strategy):
            # As in LangGraph: every run in flight on the thread gives way to this one.
            while queue:
                self._finish_pending(queue.popleft()[0], RunStatus.CANCELLED)
            busy = self.active.get(thread_id)
            if busy is not None and multitask.supersede(busy, strategy, run.run_id):
                busy.stop()
            if self.shared:
                await asyncio.to_thread(self._supersede_elsewhere, thread_id, run)
        queue.append((run, plan))
        self.runs[run.run_id] = run
        self._save(run)
        self._forget_old()
        await self._recorded(run)
        run.emit(run.metadata_event())
        return run

    async def _recorded(self, run: Run) -> None:
        """Wait until the run's record is on disk: a client that learns of a run (its
        metadata, its id) must find it after a restart, even if the run's first
        event needs no new checkpoint (a resume shows the state it starts from)."""
        with contextlib.suppress(Exception):
            await asyncio.shield(self.hosting.store.durable())

    def _finish_pending(self, run: Run, status: RunStatus) -> None:
        """End a run that never started (cancelled while queued)."""
        _announce_end(run, status, None)
        self._save(run)
        if self.shared:
            self._in_background(asyncio.to_thread(self.coordination.dequeue, run.run_id))

    def _in_background(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _hand_off(self, thread_id: str) -> None:
        """The thread's run ended: start the next queued one, if any (in order). On
        a shared store the loop does, once the store's queue says it is its turn."""
        if self.shared:
            self._kick.set()
            return
        queue = self.queued.get(thread_id)
        while queue:
            run, plan = queue.popleft()
            if self.draining:
                self._finish_pending(run, RunStatus.CANCELLED)
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
            # Every checkpoint this run makes sorts after its mark (one a server taking
            # the run over knows too, on a shared store).
            run.mark = plan.mark or new_checkpoint_id()
            if record is not None and record.status in _STOPPED_MIDWAY:
                # Only a stopped step leaves pending writes on the head; a resume adds to them.
                head = await asyncio.to_thread(
                    self.hosting.store.saver.get_tuple, self.hosting.config(thread_id)
                )
                run.head_writes = len(head.pending_writes) if head is not None else 0
            if immediate:
                # Written before the engine writes anything: a crash from here on finds
                # the run, and the write does not wait on the run's own first commit.
                run.status = RunStatus.RUNNING
                run.updated_at = now()
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
                await self._release(run)
                raise
            cancelled = isinstance(exc, asyncio.CancelledError)
            self._finish_pending(run, RunStatus.CANCELLED if cancelled else RunStatus.ERROR)
            await self._release(run)
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
                await self._release(run)
                raise classify(refused) from refused
            first = exc
        except BaseException as exc:
            first = exc
        if record is None or not record.graph_id:
            self.hosting.store.threads.update(thread_id, graph_id=run.graph_id)
        self.hosting.store.threads.update(thread_id, persist=False, status=ThreadStatus.BUSY.value)
        if not immediate:
            # Written as it was queued and once it ends; running is a passing state.
            run.status = RunStatus.RUNNING
            run.updated_at = now()
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
            run.emit(run.metadata_event())
        run.start_task(self._execute(run, graph, handle, first, plan.kwargs))
        if caller_left:
            raise asyncio.CancelledError

    def _time_out(self, run: Run) -> None:
        if not run.done:
            run.timed_out = True
            run.stop()

    async def _execute(self, run: Run, graph, handle: RunHandle, first, kwargs) -> None:
        status = RunStatus.SUCCESS
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
            dynamic = [
                InterruptEvent(node=t.name, id=i.id, value=jsonable(i.value), task_id=t.id)
                for t in snap.tasks
                for i in t.interrupts
            ]
            if dynamic:
                status = RunStatus.INTERRUPTED
                for event in dynamic:
                    run.emit(event)
            elif snap.next:
                status = RunStatus.INTERRUPTED
                for name, when in await _breakpoints(graph, snap, kwargs):
                    run.emit(InterruptEvent(node=name, when=when))
        except asyncio.CancelledError:
            status = RunStatus.CANCELLED
            if run.timed_out:
                status = RunStatus.TIMEOUT
                run.error = _limit_error(run_timed_out(self.limits))
                run.emit(ErrorEvent(run.error))
        except Exception as exc:
            status = RunStatus.ERROR
            if _lease_lost(exc):
                run.lost = True  # another server runs it now: say nothing in the store
            node = ""
            code = Code.UNKNOWN  # a node's own failure
            if isinstance(exc, NodeError):
                node, exc = exc.node, exc.cause
            else:
                code = classify(exc).code
            run.error = RunError(
                message=f"{type(exc).__name__}: {exc}",
                code=code,
                error_type=type(exc).__name__,
                node=node,
            )
            run.emit(ErrorEvent(run.error))
        finally:
            timer.cancel()
            if run.lost:
                await self._abandon(run, handle, status)
            else:
                await self._end(run, handle, status, last_config)

    async def _end(
        self, run: Run, handle: RunHandle, status: RunStatus, last_config: dict | None
    ) -> None:
        """Wind a run down once the engine is done with it: its end recorded, its
        thread released, its end announced, the next queued run started."""
        rolled_back = run.superseded == Multitask.ROLLBACK
        # A stopped run's readers learn of it now, though a sync node may hold the
        # thread until its step ends; every other end waits for the release (below).
        early = not rolled_back and status in (RunStatus.CANCELLED, RunStatus.TIMEOUT)
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
            status = RunStatus.CANCELLED
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
        if self.shared:
            with contextlib.suppress(BaseException):
                await asyncio.shield(self.hosting.store.durable())  # under the claim
            await self._release(run)
        if not early:
            _announce_end(run, status, last_config)
        self._hand_off(run.thread_id)
        # A finished run is kept for JoinRun (its events); not what ran it.
        run.task = run.handle = None

    async def _abandon(self, run: Run, handle: RunHandle, status: RunStatus) -> None:
        """A run whose thread another server took over (this one's lease lapsed):
        stop the engine and tell only this server's followers; the store is the
        other server's to write now (and refuses this one's checkpoints)."""
        run.publish = None
        with contextlib.suppress(BaseException):
            await handle.aclose()
        with contextlib.suppress(BaseException):
            await handle.stopped()
        if self.active.get(run.thread_id) is run:
            del self.active[run.thread_id]
        if run.error is None:
            run.error = RunError(
                message="this server lost the run's thread (its lease lapsed) and another "
                "server took the run over: join it there",
                code=Code.UNAVAILABLE,
                error_type="LeaseLost",
            )
            run.emit(ErrorEvent(run.error))
        _announce_end(run, RunStatus.ERROR if status == RunStatus.SUCCESS else status, None)
        run.task = run.handle = None

    async def _release(self, run: Run) -> None:
        """Let go of the run's claim in the store (a shared one), once."""
        if self.shared and not run.lost:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    asyncio.to_thread(self.coordination.release, run.thread_id, run.run_id)
                )

    async def _record_end(self, run: Run, status: RunStatus) -> None:
        """The run's end record, on disk before the end goes out: a client never sees
        an end a restart forgets."""
        run.status, run.updated_at = status, now()
        self._save(run)
        with contextlib.suppress(BaseException):
            await asyncio.shield(self.hosting.store.durable())

    def output(self, run: Run, values: Any) -> Any:
        """What the run returns, as `invoke` would: its last values cut to the graph's
        output schema (None when none of its keys holds a value)."""
        return self.hosting.graph(run.graph_id).graph.invoke_output(values)

    async def cancel(self, run_id: str, wait: bool) -> Run:
        run = self.get(run_id)
        if isinstance(run, RemoteRun):
            # Its server stops it (or drops it from the queue) when it reads the request.
            await asyncio.to_thread(self.coordination.request_cancel, run_id)
            if wait:
                async for _ in run.follow():
                    pass
            return run
        queue = self.queued.get(run.thread_id, ())
        for entry in list(queue):
            if entry[0] is run:
                queue.remove(entry)
                self._finish_pending(run, RunStatus.CANCELLED)
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
        # Alone, a queued run is cancelled when its turn comes; on a shared store
        # the loop that would start it stops with the server: cancelled now.
        for thread_id in list(self.queued) if self.shared else ():
            for run, _plan in self.queued.pop(thread_id):
                self._finish_pending(run, RunStatus.CANCELLED)
        tasks = [r.task for r in self.active.values() if r.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for run in list(self.active.values()):
                if run.task in pending:
                    run.stop()
            if pending:
                await asyncio.wait(pending, timeout=5)

    # -- several servers on one store ---------------------------------------------

    def _publisher(self, run: Run):
        """Appends each of the run's events to the store, for followers elsewhere."""
        append = self.coordination.append_events

        def publish(seq: int, event) -> None:
            try:
                append(run.run_id, seq, [event_record(event)])
            except Exception:
                log.exception("run %s: event %d could not be written", run.run_id, seq)

        return publish

    @staticmethod
    def _request(run: Run, plan: _Plan) -> bytes:
        """What a server taking the run over needs to run it (the store keeps it)."""
        return serde.dumps(
            {
                "graph_id": plan.graph_id,
                "input": plan.input,
                "config": plan.config,
                "modes": plan.modes,
                "kwargs": plan.kwargs,
                "mark": plan.mark,
                "tenant": plan.tenant,
            }
        )

    def _supersede_elsewhere(self, thread_id: str, by: Run) -> None:
        """An INTERRUPT or ROLLBACK run takes the thread over on a shared store: the
        runs queued on other servers are cancelled and the active one stopped, by
        their servers (they read the requests); this server's left the queue above."""
        co = self.coordination
        for queued in co.queued(thread_id):
            if queued.run_id == by.run_id:
                continue
            if queued.owner == co.owner:
                co.dequeue(queued.run_id)
            else:
                co.request_cancel(queued.run_id)
        holder = co.holder(thread_id)
        if holder is not None and holder.run_id and holder.owner != co.owner:
            co.request_cancel(holder.run_id, by.multitask.name.lower(), by.run_id)

    def serve(self) -> None:
        """Start the loop that keeps this server's part on a shared store (a no-op alone)."""
        if self.shared and self._loop_task is None:
            self._loop_task = asyncio.ensure_future(self._keep())

    async def stop_serving(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if self._background:
            await asyncio.wait(list(self._background), timeout=5)

    async def _keep(self) -> None:
        co = self.coordination
        renew_every = co.lease_seconds / 3
        renewed = taken = pruned = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), POLL_SECONDS * 2.5)
            self._kick.clear()
            try:
                for run_id, reason, by in await asyncio.to_thread(co.take_cancels):
                    self._cancel_requested(run_id, reason, by)
                await self._start_queued()
                clock = time.monotonic()
                if clock - renewed >= renew_every:
                    renewed = clock
                    await self._renew()
                if clock - taken >= co.lease_seconds / 4 and not self.draining:
                    taken = clock
                    await self._take_over_lapsed()
                if clock - pruned >= 60:
                    pruned = clock
                    await asyncio.to_thread(co.prune_events, _KEEP_EVENTS_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("keeping this server's runs in the shared store failed; retrying")

    def _cancel_requested(self, run_id: str, reason: str, by: str) -> None:
        """Another server asked to stop a run of this one."""
        run = self.runs.get(run_id)
        if run is None:
            return
        queue = self.queued.get(run.thread_id, ())
        for entry in list(queue):
            if entry[0] is run:
                queue.remove(entry)
                self._finish_pending(run, RunStatus.CANCELLED)
                return
        if run.done:
            return
        if reason in ("interrupt", "rollback"):
            if not multitask.supersede(run, Multitask[reason.upper()], by):
                return
        run.stop()

    async def _start_queued(self) -> None:
        """Start each thread's first queued run once the store says it is its turn."""
        for thread_id, queue in list(self.queued.items()):
            if not queue or thread_id in self.active or thread_id in self._editing:
                continue
            run, plan = queue[0]
            if self.draining:
                break
            plan.mark = new_checkpoint_id()
            request = self._request(run, plan)
            claimed = await asyncio.to_thread(
                self.coordination.claim, thread_id, run.run_id, request
            )
            if not claimed:
                continue
            if not queue or queue[0][0] is not run or thread_id in self.active:
                # Cancelled meanwhile: let go again.
                await asyncio.to_thread(self.coordination.release, thread_id, run.run_id)
                continue
            queue.popleft()
            if not queue:
                self.queued.pop(thread_id, None)
            self.active[thread_id] = run
            run.start_task(self._launch(run, plan, immediate=False))

    async def _renew(self) -> None:
        """Extend this server's leases; a run whose thread another server took over
        (this one stalled past its lease) stops, writing nothing more."""
        before = {thread_id: run for thread_id, run in self.active.items()}
        held = await asyncio.to_thread(self.coordination.renew)
        for thread_id, run in before.items():
            if self.active.get(thread_id) is run and (thread_id, run.run_id) not in held:
                if not run.done and run.started:
                    log.warning("run %s: lease lost to another server; stopping", run.run_id)
                    run.lost = True
                    run.stop()

    async def _take_over_lapsed(self) -> None:
        """Finish the runs of servers that died (their leases lapsed): a claimed run
        goes on from its thread's last checkpoint, a queued one waits here."""
        co = self.coordination
        for item in await asyncio.to_thread(co.expired):
            if item.owner == co.owner:
                continue  # this server's own, late in renewing: still its
            if not await asyncio.to_thread(co.take_over, item):
                continue
            try:
                await self._adopt(item)
            except Exception:
                log.exception("run %s: could not be taken over", item.run_id)
                if isinstance(item, Claim):
                    await asyncio.to_thread(co.release, item.thread_id, item.run_id)
                else:
                    await asyncio.to_thread(co.dequeue, item.run_id)

    async def _adopt(self, item: Claim | Queued) -> None:
        """Make a dead server's run this server's: rebuild it from its record, its
        request and the events it had sent, then run it (or queue it)."""
        asked = serde.loads(item.request)
        record = await asyncio.to_thread(self.hosting.store.runs.get, item.run_id)
        hosted = self.hosting.graph(asked["graph_id"])
        run = Run(
            run_id=item.run_id,
            thread_id=item.thread_id,
            graph_id=hosted.graph_id,
            multitask=Multitask(record.multitask_strategy or Multitask.REJECT)
            if record is not None
            else Multitask.REJECT,
            metadata=dict(record.metadata) if record is not None else {},
        )
        if record is not None:
            run.created_at = record.created_at
        sent = await asyncio.to_thread(self.coordination.read_events, item.run_id)
        run.events.extend(event_from_record(data) for _seq, data in sent)
        run.publish = self._publisher(run)  # numbered on from the events it had sent
        if not run.events:
            run.emit(run.metadata_event())
        plan = _Plan(
            hosted.graph,
            asked["input"],
            asked["config"],
            asked["modes"],
            asked["kwargs"],
            hosted.graph_id,
            asked["mark"],
            asked["tenant"],
        )
        if self.hosting.store.threads.get(run.thread_id) is None:
            # Its server died before the thread's record was written: write it now.
            self.hosting.store.threads.put(
                ThreadRecord(run.thread_id, hosted.graph_id, tenant=plan.tenant)
            )
        self.runs[run.run_id] = run
        log.warning(
            "run %s on thread %s: taken over from a server that stopped", run.run_id, run.thread_id
        )
        if isinstance(item, Queued):
            self.queued.setdefault(run.thread_id, deque()).append((run, plan))
            self._kick.set()
            return
        # Go on from the thread's last checkpoint if the run made one; else start over.
        head = await asyncio.to_thread(
            self.hosting.store.saver.get_tuple, self.hosting.config(run.thread_id)
        )
        if head is not None and plan.mark and head.checkpoint.id >= plan.mark:
            plan.input = None
        self.active[run.thread_id] = run
        run.start_task(self._launch(run, plan, immediate=False))

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
    graph_id: str = ""
    mark: str = ""  # set as it claims its thread (a shared store), else as it starts
    tenant: str = field(default_factory=current_tenant)  # whose thread it runs on


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


def _lease_lost(exc: BaseException) -> bool:
    """Whether a write was refused because another server took the thread over."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, LeaseLost):
            return True
        seen = getattr(seen, "cause", None) or seen.__cause__ or seen.__context__
    return False


def _announce_end(run: Run, status: RunStatus, last_config: dict | None) -> None:
    if run.status != status:  # else its end is recorded already, at that time
        run.status, run.updated_at = status, now()
    run.emit(EndEvent(status, last_config or None))
    run.done = True
    run.changed.set()


def _limit_error(err: LimitExceeded) -> RunError:
    return RunError(message=err.message, code=err.code, error_type=type(err).__name__)


_ADDRESSING = ("thread_id", "checkpoint_id", "checkpoint_ns")
# A thread's statuses (as stored) after which its head may hold a stopped step's writes.
_STOPPED_MIDWAY = (ThreadStatus.INTERRUPTED.value, ThreadStatus.ERROR.value)
# How long a run's events stay in a shared store after they were written.
_KEEP_EVENTS_SECONDS = 600.0


def _subgraph_interrupts(run: Run, ns: tuple[str, ...], interrupts: Any) -> None:
    """A subgraph's interrupts as they happen, once each (a run's own come at its end)."""
    if not ns:
        return
    for item in interrupts:
        key = (ns, item.id)
        if key not in run.subgraph_interrupts:
            run.subgraph_interrupts.add(key)
            run.emit(InterruptEvent(node="", id=item.id, value=jsonable(item.value), namespace=ns))


def _emit_chunk(run: Run, item: tuple[Any, ...]) -> None:
    """One of the engine's (mode, chunk) events, or (namespace, mode, chunk) for a run
    with subgraphs, as the run's events."""
    ns: tuple[str, ...] = ()
    if len(item) == 3:
        ns, mode, chunk = item
        ns = tuple(ns)
    else:
        mode, chunk = item
    if mode == "values":
        if isinstance(chunk, dict) and INTERRUPT in chunk:
            # The run's own: the interrupt events after the run say it plainly.
            _subgraph_interrupts(run, ns, chunk[INTERRUPT])
            return
        run.emit(ValuesEvent(jsonable(chunk), ns))
    elif mode == "updates":
        for node, update in chunk.items():
            if node == INTERRUPT:
                _subgraph_interrupts(run, ns, update)
                continue
            run.emit(UpdateEvent(node, jsonable(update), ns))
    elif mode == "messages":
        message, metadata = chunk
        run.emit(MessageEvent(jsonable(message), jsonable(metadata), ns))
    elif mode == "custom":
        run.emit(CustomEvent(jsonable(chunk), ns))
    elif mode == "debug":
        run.emit(DebugEvent(jsonable(chunk), ns))
    elif mode == "checkpoints":
        run.emit(CheckpointEvent(jsonable(chunk), ns))
    elif mode == "tasks":
        run.emit(TaskEvent(jsonable(chunk), ns))
    else:  # a host asks only for the modes it carries
        raise ValueError(f"stream mode {mode!r} is not one a run streams")
