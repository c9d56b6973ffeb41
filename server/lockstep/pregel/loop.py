"""The superstep loop, as a state machine the sync and async drivers both step.

Each step: plan the tasks from channel versions, run them (the driver's job),
apply their writes through the channels at once, save one checkpoint. The loop
never touches the store itself: it queues saves, which the driver flushes with
the sync or async store methods, so one loop serves `stream` and `astream`.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import ChainMap, deque
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from lockstep.checkpoint.base import (
    Blob,
    Checkpoint,
    CheckpointTuple,
    Config,
    PendingWrite,
    checkpoint_config,
    new_tuple,
)
from lockstep.checkpoint.ids import new_checkpoint_id, new_stamp
from lockstep.constants import (
    BRANCH_PREFIX,
    ERROR,
    INTERRUPT,
    RESUME,
    RETURN,
    SENDS,
    SKIPPED,
    START,
)
from lockstep.errors import (
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
    StateTooLargeError,
)
from lockstep.graph.channels import MISSING, Channel
from lockstep.graph.deferred import finish_deferred
from lockstep.pregel import chat, durability, live
from lockstep.pregel.arguments import node_config
from lockstep.pregel.context import node_interrupt_id
from lockstep.pregel.settings import DEFAULT, RunSettings
from lockstep.pregel.sizing import StateSizer
from lockstep.pregel.streaming import (
    checkpoint_payload,
    namespace_tuple,
    task_payload,
    task_result_payload,
)
from lockstep.pregel.tasks import (
    Task,
    apply_order,
    goto_writes,
    prepare,
    triggered,
    update_writes,
)
from lockstep.runtime import Runtime
from lockstep.types import Command, Interrupt

NULL_TASK = "00000000-0000-0000-0000-000000000000"
LATER: Any = object()  # a values chunk whose state is read once it is known to be the last


class Save(NamedTuple):
    """A store call the driver must make: a task's writes (put_writes), a checkpoint
    (put), or both (put_step: the step's last task's writes and its checkpoint).
    A tuple: one or two are made at every step (see new_tuple)."""

    config: Config
    checkpoint: Checkpoint | None = None
    metadata: dict[str, Any] | None = None
    blobs: dict[str, Blob] | None = None
    writes: list[PendingWrite] | None = None


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class Loop:
    def __init__(
        self,
        graph: Any,  # CompiledGraph: nodes, channels, state keys, input mapping
        thread_id: str,
        saved: CheckpointTuple | None,
        *,
        modes: frozenset[str],
        interrupt_before: tuple[str, ...],
        interrupt_after: tuple[str, ...],
        recursion_limit: int,
        checkpoint_ns: str = "",
        exit_only: bool = False,
        config: Config | None = None,
        settings: RunSettings = DEFAULT,
        context: Any = None,
        time_travel: str | None = None,
        threads: set[Any] | None = None,
        saver: Any = None,
        nesting: Any = None,
        subgraphs: bool = False,
    ) -> None:
        """`config` is the run's (its nodes get it through node_config); `context` its
        `context=`; `time_travel` is "fork" or "replay" when the run addresses an old
        checkpoint by id (see _travel); `threads` is where the async driver keeps the
        sync nodes running in worker threads. `saver` is the store the run saves to
        (None: none); `nesting` places a subgraph's run in its parent's
        (pregel/nesting.py); `subgraphs`: the caller streams subgraphs' events too."""
        self.graph = graph
        self.saver = saver
        self.nesting = nesting
        # The long-term memory its nodes get: a subgraph run's is its parent run's, as
        # in LangGraph (a served graph's subgraphs see the server's store).
        self.store = nesting.parent.store if nesting is not None else graph.store
        # Subgraph runs' events go to the top run's queue (`forward`), in the modes
        # it streams (`subgraph_modes`; None: it does not stream them).
        self.subgraph_modes: frozenset[str] | None = modes if subgraphs else None
        self.forward: Any = None
        self.own_modes = modes
        # A subgraph's checkpoints name the checkpoint each run above it was at, by
        # namespace (metadata "parents", as LangGraph's): never changed once made.
        self.parents: dict[str, str] = {}
        if nesting is not None:
            parent = nesting.parent
            self.parents = {**parent.parents, parent.checkpoint_ns: parent.checkpoint.id}
            if parent.subgraph_modes is not None:
                self.subgraph_modes = parent.subgraph_modes
                self.forward = parent.forward if parent.forward is not None else parent.events
                modes = modes | parent.subgraph_modes
                settings = dataclasses.replace(settings, final_only=False)
        self.settings = settings
        self.final_only = settings.final_only
        self.write_behind = settings.write_behind
        self.node_errors = settings.node_errors
        self.context = context
        self.time_travel = time_travel
        self.thread_id = thread_id
        self.checkpoint_ns = checkpoint_ns  # "" for a root run; see pregel/streaming.py
        self.namespace = namespace_tuple(checkpoint_ns)
        self.modes = modes
        # As LangGraph: checkpoints stream only when they are saved (a checkpointer is set).
        self.show_checkpoints = saver is not None and not modes.isdisjoint(
            ("checkpoints", "debug")
        )
        self.show_tasks = not modes.isdisjoint(("tasks", "debug"))
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        self.events: deque[tuple[str, Any]] = deque()
        self.saves: list[Save] = []
        self.status = "running"  # -> done | interrupted | error
        self.interrupts: tuple[Interrupt, ...] = ()
        self.channels: dict[str, Channel] = graph.fresh_channels()
        self.provisional: set[str] = set()  # versions set between checkpoints (Command input)
        self.null_resume: list[Any] = []
        if saved is None:
            # Nothing is written yet, so no node waits.
            self.checkpoint = Checkpoint(*new_stamp(), {}, {}, pending=())
            self.config: Config | None = None
            self.metadata: dict[str, Any] = {}
            self.parent_config: Config | None = None
            self.step = -2
            self.pending: list[PendingWrite] = []
        else:
            self.checkpoint = saved.checkpoint
            self.config = saved.config
            self.metadata = saved.metadata
            self.parent_config = saved.parent_config
            self.step = saved.metadata.get("step", -1)
            self.pending = latest_writes(saved.pending_writes)
            graph.restore_channels(self.channels, saved.blobs)
        self.recursion_limit = recursion_limit
        # As LangGraph: a fresh thread (step -2 before its input) runs loop steps 0..limit
        # (step 0 being the input's own task), and raises before step limit + 1.
        self.stop_step = self.step + recursion_limit + 3
        self.tasks: list[Task] = []
        self._consumed: set[str] = set()
        self.threads: set[Any] = threads if threads is not None else set()
        # What this run last queued for the store: (config, checkpoint, metadata, parent).
        self.stored: tuple[Config, Checkpoint, dict[str, Any], Config | None] | None = None
        limit = settings.max_state_bytes
        self.sizer = StateSizer(limit) if limit is not None else None
        self.run_config = node_config(config)  # what its nodes are given
        # durability="exit": the saves held until the run ends, and where it started
        # (see take_saves and pregel/durability.py); None: saved as they come.
        self.held: list[Save] | None = None
        self.held_base: CheckpointTuple | None = None
        if exit_only:
            self.held, self.held_base = [], saved
        # An entrypoint, or custom mode: every event wakes the driver, so each is
        # yielded as it is written (pregel/live.py). The queue is made first: the
        # chat stream below appends to it.
        waking = graph.live_events or "custom" in modes or subgraphs
        if waking:
            self.events = live.Waking(self.events)
        if "messages" in modes:
            self.chat = self.live = chat.stream_for(self.events, config or {})
            above = nesting.parent.chat if nesting is not None else None
            if above is not None:  # a message streamed below is not sent again above
                self.chat.seen = above.seen
        watcher = settings.watcher
        if watcher is not None:  # an astream_events call (pregel/events.py)
            self.watch = watcher.task_event
            self.show_tasks = True
            self.chat = watcher.attach(self, config or {})
        if waking:
            if self.live is None:
                self.live = live.EventWatch()
            self.events.watch = self.live

    # -- starting -----------------------------------------------------------

    # A step completed since the last static breakpoint was passed or set. LangGraph's
    # ephemeral trigger channels change on every step (they are cleared), so a step
    # counts as an update for interrupt_before/after even if it wrote nothing.
    _stepped = False
    _given: tuple[PendingWrite, ...] = ()  # the writes of this run's Command input
    # With final_only (invoke), a state read for a values event is put off (LATER)
    # until it is known to be the last (read_final); the last chunk waits here.
    last_chunk: Any = None
    run_interrupts: tuple[Interrupt, ...] = ()  # each one this run stopped on (final_only)
    # A run streaming messages: its ChatStream (pregel/chat.py); None for the rest.
    chat: Any = None
    # What wakes a driver waiting on a task to yield the events it emits meanwhile
    # (pregel/live.py): the ChatStream, or an entrypoint's event watcher; None: not done.
    live: Any = None
    _runtime: Runtime | None = None  # made when a node first asks (see runtime)
    # Told of each task's start and end, for astream_events (pregel/events.py).
    watch: Any = None
    # (checkpoint id, the (node, triggers) found triggered when the loop made it)
    _planned: tuple[str, list[tuple[str, tuple[str, ...]]]] | None = None
    # In the run's first step when it continues a saved thread (no new input): a
    # subgraph run its tasks make then continues from its own checkpoint.
    resuming = False
    # In the run's first step when it travels back (time travel): a subgraph run its
    # tasks make then starts anew, from its input (pregel/graph.py's _target).
    traveling = False
    # Command(resume={interrupt id: value}): the answers, for subgraph runs to take
    # theirs from (their interrupts pause the parent's task, which records them too).
    resume_map: dict[str, Any] | None = None

    @property
    def runtime(self) -> Runtime[Any]:
        """The run's Runtime (`runtime` parameter, get_runtime()), made on first use."""
        if self._runtime is None:
            self._runtime = Runtime(
                context=self.context, store=self.store, stream_writer=self.write_custom
            )
        return self._runtime

    def give_previous(self, previous: Any) -> Runtime[Any]:
        """The functional API's `previous` (an entrypoint's last saved return), which
        its Runtime carries from now on; that Runtime."""
        self._runtime = self.runtime.override(previous=previous)
        return self._runtime

    def start(self, input: Any) -> None:
        if self.nesting is not None:
            input = self._nested_input(input)
        if self.time_travel and (
            input is None or (isinstance(input, Command) and input.resume is None)
        ):
            # As LangGraph: a subgraph its step runs again starts over, rather than
            # continuing from a checkpoint it made after the one travelled to.
            self.traveling = True
            self._travel(input)
            return
        self.resuming = input is None or isinstance(input, Command)
        if isinstance(input, Command):
            self._start_command(input)
        elif input is not None:
            self._start_input(input)
        elif self.config is None:
            raise EmptyInputError(
                "there is nothing to resume on this thread: give an input to start it"
            )
        else:
            self._apply_null_writes()
            self._skip_static_breakpoint()
            self._emit_values()

    def _nested_input(self, input: Any) -> Any:
        """A subgraph run made while its parent resumes continues from its own saved
        checkpoint (its input is not taken again), with the parent's answers; one with
        none starts from its input, and may take the bare answer as any task may."""
        parent = self.nesting.parent
        if not parent.resuming:
            return input
        self.null_resume = parent.null_resume  # a bare answer: whoever asks first
        if self.config is None:
            return input
        answers = parent.resume_map
        if answers:
            self.resume_map = answers
            ids = {i.id for items in self._pending_interrupts().values() for i in items}
            mine = {k: v for k, v in answers.items() if k in ids}
            if mine:
                writes = self._resume_writes(mine)
                self.pending += writes
                self.saves.append(Save(self.config, writes=writes))
        return None

    def _skip_static_breakpoint(self) -> None:
        """Resuming goes past the interrupt_before/after that paused the thread (as LangGraph):
        any run on from a saved thread without new input, after its null writes are applied
        (a Command's update is part of the resume, not news for a breakpoint)."""
        self.checkpoint.versions_seen[INTERRUPT] = dict(self.checkpoint.channel_versions)
        self._stepped = False

    def _start_input(self, input: Any) -> None:
        # As LangGraph: a Command input stored on this checkpoint (its run had nothing
        # left to do) still applies; then tasks left unfinished are dropped: the new
        # input wins.
        self._apply_null_writes()
        seen = dict(self.checkpoint.versions_seen)
        for task in prepare(self.graph.nodes, self.checkpoint, self.channels, None):
            self._mark_seen(task, seen)
        changed = self._consumed | {START}
        self._consumed = set()
        if self.channels[SENDS].clear_if_unwritten():
            changed.add(SENDS)
        self.channels[START].update([(START, input)])
        self.step += 1
        self._put_checkpoint({START: [(START, input)]}, changed, "input", seen)

    def _travel(self, command: Command | None) -> None:
        """As LangGraph: running from a checkpoint named by id re-runs its step from the
        start (answers and finished tasks' writes recorded there are dropped). Unless it
        is the thread's head and itself an update or fork, a "fork" checkpoint copying it
        (with the Command's writes, if any) is saved first, so the run is a new branch."""
        self.pending = [w for w in self.pending if w.task_id == NULL_TASK and w.channel != RESUME]
        writes = self._command_writes(command) if command is not None else []
        if self.time_travel == "fork":
            self.pending += writes
            self._apply_null_writes()
            self._skip_static_breakpoint()
            self.step += 1
            self._put_checkpoint({}, set(), "fork")
        else:
            if writes:
                self.pending += writes
                self.saves.append(Save(self.config, writes=writes))
            self._apply_null_writes()
            self._skip_static_breakpoint()
        self._emit_values()

    def _start_command(self, command: Command) -> None:
        if self.config is None:
            self._start_fresh(command)
            return
        writes: list[PendingWrite] = []
        if command.resume is not None:
            writes += self._resume_writes(command.resume)
        writes += self._command_writes(command)
        if writes and self.config is not None:
            self.pending += writes
            self.saves.append(Save(self.config, writes=writes))
        self._given = tuple(writes)
        self._apply_null_writes()
        if self.config is not None:
            self._skip_static_breakpoint()
        self._emit_values()

    def _start_fresh(self, command: Command) -> None:
        """As LangGraph: a Command on a thread with nothing saved starts it as an empty
        input would. Its update is applied first (and saved with the input), its goto
        is the input task's routing (runner), and a resume has nothing to answer yet:
        the run's first interrupt() still pauses."""
        if command.resume is not None and self.saver is None:
            raise RuntimeError(
                "Command(resume=...) needs a checkpointer: compile(checkpointer=...) "
                "so the run can pause and be resumed"
            )
        if command.update is not None:
            keys = self.graph.state_keys
            for key, value in update_writes("Command", command.update, keys):
                self.pending.append(PendingWrite(NULL_TASK, key, value))
            self._apply_null_writes()
            self.pending = []
            if not self.provisional.isdisjoint(keys):
                self._emit_values()
        self._start_input(command)

    def _command_writes(self, command: Command) -> list[PendingWrite]:
        """A Command input's update and goto, as writes of no task (checked first)."""
        writes: list[PendingWrite] = []
        if command.update is not None:
            for key, value in update_writes("Command", command.update, self.graph.state_keys):
                writes.append(PendingWrite(NULL_TASK, key, value))
        for channel, value in goto_writes("Command", command.goto):
            self._check_channel(channel, "Command", value)
            writes.append(PendingWrite(NULL_TASK, channel, value))
        return writes

    def _resume_writes(self, resume: Any) -> list[PendingWrite]:
        pending = self._pending_interrupts()
        # An interrupt raised in a @task shows on its caller too: the first record
        # (the task's own, made as it stopped) says whose interrupt() it was.
        by_id: dict[str, str] = {}
        for task, items in pending.items():
            for i in items:
                by_id.setdefault(i.id, task)
        if isinstance(resume, dict) and resume and all(k in by_id for k in resume):
            self.resume_map = resume
            answers: dict[str, list[Any]] = {}
            for interrupt_id, value in resume.items():
                answers.setdefault(by_id[interrupt_id], []).append(value)
            out = []
            for task, values in answers.items():
                given = self._resume_values(task)
                out.append(PendingWrite(task, RESUME, given + values))
            return out
        # As LangGraph, a bare value is ambiguous with two interrupt() calls pending; a
        # NodeInterrupt takes no answer, so it does not count (LangGraph counts distinct
        # ids, and all its NodeInterrupts share one: see the differential test, note 10).
        answerable = [i for i, task in by_id.items() if i != node_interrupt_id(task)]
        if len(answerable) > 1:
            raise InvalidUpdateError(
                "several interrupts are pending; resume them by id: "
                "Command(resume={interrupt_id: value, ...}) with ids "
                + ", ".join(sorted(by_id))
            )
        return [PendingWrite(NULL_TASK, RESUME, resume)]

    def _pending_interrupts(self) -> dict[str, list[Interrupt]]:
        out: dict[str, list[Interrupt]] = {}
        for w in self.pending:
            if w.channel == INTERRUPT:
                # A task re-run after a resume may stop at its next interrupt():
                # only its latest stop is pending, not the ones already answered.
                out[w.task_id] = list(w.value)
            elif w.channel == RETURN:  # resumed since, and finished
                out.pop(w.task_id, None)
        return out

    def _resume_values(self, task_id: str) -> list[Any]:
        values: list[Any] = []
        for w in self.pending:
            if w.task_id == task_id and w.channel == RESUME:
                values = list(w.value)
        return values

    def _apply_null_writes(self) -> None:
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for w in self.pending:
            if w.task_id != NULL_TASK:
                continue
            if w.channel == RESUME:
                # Only the resume given to this run answers "whoever asks first": a
                # stored one was taken by a task then (and recorded as that task's).
                if any(w is given for given in self._given):
                    self.null_resume = [w.value]
            else:
                grouped.setdefault(w.channel, []).append(("Command", w.value))
        if not grouped:
            return
        version = new_checkpoint_id()
        for channel, writes in grouped.items():
            if self.channels[channel].update(writes):
                self.checkpoint.channel_versions[channel] = version
                self.provisional.add(channel)
                self.checkpoint.pending = None  # versions moved outside a step: test every node

    # -- stepping -----------------------------------------------------------

    def tick(self) -> list[Task] | None:
        """The tasks to run now, or None when the run is over (done or paused before)."""
        if self.status != "running":
            return None
        planned = self._planned
        if planned is not None and planned[0] != self.checkpoint.id:
            planned = None
        tasks = prepare(
            self.graph.nodes, self.checkpoint, self.channels, None, planned and planned[1]
        )
        # Read the state only when a node will see it: before the input is applied a
        # dataclass schema with required fields cannot be built yet.
        state = MISSING
        if self.graph.managed:  # lockstep.managed: RemainingSteps, IsLastStep
            remaining = self.stop_step - self.step - 2
            for key, manager in self.graph.managed.items():
                self.channels[key].value = manager.value(remaining)
        readers = self.graph.node_readers  # nodes with their own input schema: rare
        for t in tasks:
            if t.triggers and t.name != START:
                if readers and t.name in readers:
                    t.input = readers[t.name].read(self.channels)
                    continue
                if state is MISSING:
                    state = self._state_input()
                t.input = state
        if self.show_checkpoints:  # as LangGraph: also when the run ends or runs out of steps
            self._emit_checkpoint(tasks)
        if self.step + 1 >= self.stop_step:
            # As LangGraph, checked before looking for work: a run that needs exactly
            # `recursion_limit` steps fails too.
            self.status = "error"
            raise GraphRecursionError(
                f"recursion limit of {self.recursion_limit} steps reached without hitting a stop condition; raise config['recursion_limit'] "
                "if the graph is meant to run longer"
            )
        if not tasks:
            self.status = "done"
            return None
        if self.interrupt_before and self._should_interrupt(tasks, self.interrupt_before):
            self._pause_static(queued=False)
            return None
        self.tasks = tasks
        if not self.pending and len(self.modes) == 1 and "values" in self.modes and self.watch is None:
            return tasks  # nothing finished here before, no events to show: the usual case
        self._attach_pending(tasks)
        if self.show_tasks:
            self._emit_task_starts(tasks)
        if "updates" in self.modes:
            # As LangGraph: tasks finished in an earlier attempt at this step show again.
            for task in tasks:
                if task.done and task.name != START:
                    chunk = {task.name: task.update, "__metadata__": {"cached": True}}
                    self.events.append(("updates", chunk))
        return [t for t in tasks if not t.done]

    def cancel(self) -> None:
        """Stopped from outside at a step boundary or between tasks: the run ends
        here; what finished is saved (finished tasks' writes stay pending)."""
        self.status = "cancelled"

    def fail(self) -> None:
        """A task failed: the run ends with its error."""
        self.status = "error"

    def take_saves(self) -> list[Save]:
        """The saves to hand to the store now: all queued ones, or with durability
        "exit" none while the run goes on and the compacted end once it is over."""
        saves, self.saves = self.saves, []
        if self.held is None:
            return saves
        self.held += saves
        if self.status == "running":
            return []
        held, self.held = self.held, []
        return durability.compact(self, held)

    def write_custom(self, value: Any) -> None:
        """A node's stream writer: `custom` events, when the run streams them."""
        if "custom" in self.modes:
            self.events.append(("custom", value))

    def _state_input(self) -> dict[str, Any]:
        return self.graph.read_state(self.channels)

    def _attach_pending(self, tasks: list[Task]) -> None:
        if not self.pending:
            return
        by_task: dict[str, list[PendingWrite]] = {}
        for w in self.pending:
            by_task.setdefault(w.task_id, []).append(w)
        for task in tasks:
            for w in by_task.get(task.id, ()):
                if w.channel == RETURN:
                    task.done = True
                    task.update = w.value
                elif w.channel == RESUME:
                    task.resume = list(w.value)
                elif w.channel not in (ERROR, INTERRUPT):
                    task.writes.append((w.channel, w.value))
            if not task.done:
                task.writes.clear()

    def task_stopped(self, task: Task) -> None:
        """Record where a task stopped on an interrupt, as pending writes, without
        reporting it (the caller that stopped it reports it): a functional-API call."""
        if self.config is not None:
            self._keep(_interrupt_writes(task))

    def _keep(self, writes: list[PendingWrite]) -> None:
        self.pending += writes
        self.saves.append(new_tuple(Save, (self.config, None, None, None, writes)))

    def task_finished(self, task: Task) -> None:
        """Record a task's outcome as pending writes, before the step completes."""
        if self.config is None:
            return
        if task.error is not None:
            writes = [PendingWrite(task.id, ERROR, repr(task.error))]  # as LangGraph shows it
        elif task.paused:
            # (Paused by a subgraph's static breakpoint, with no interrupt: as in
            # LangGraph, nothing is recorded; the task runs again on resume.)
            writes = _interrupt_writes(task)
        else:
            tid = task.id
            writes = [new_tuple(PendingWrite, (tid, ch, v)) for ch, v in task.writes]
            writes.append(new_tuple(PendingWrite, (tid, RETURN, task.update)))
        self._keep(writes)
        if self.watch is not None and task.name != START:  # before the graph's own chunks
            self.watch("task_result", task)
        if task.error is None and not task.paused:
            if "updates" in self.modes and task.name != START:
                if task.cached:  # as LangGraph marks a result taken from the node cache
                    chunk = {task.name: task.update, "__metadata__": {"cached": True}}
                    self.events.append(("updates", chunk))
                else:
                    self.events.append(("updates", {task.name: task.update}))
        elif task.interrupts:
            # As LangGraph: each interrupted task is reported as it stops (one paused
            # by a subgraph's static breakpoint, with none, when the step ends).
            self._emit_interrupt(task.interrupts)
        if self.show_tasks and task.name != START:
            self._emit_task("task_result", task)

    def after_tick(self) -> None:
        """Complete the step: apply every write, save the checkpoint, or pause."""
        tasks = self.tasks
        interrupted: tuple[Interrupt, ...] = ()
        paused = False
        for task in tasks:
            if task.paused:
                interrupted += task.interrupts
                paused = True
        if paused:
            self.status = "interrupted"
            self.interrupts = interrupted
            if self.nesting is None or self.forward is not None:  # (its caller sees none)
                self._emit_finished_values(tasks)
            if not interrupted and "updates" in self.modes:
                self.events.append(("updates", {INTERRUPT: ()}))
            return
        ordered = sorted(tasks, key=apply_order) if len(tasks) > 1 else tasks
        grouped = self._checked_writes(ordered)
        # The new checkpoint's table: the current one is queued for the store already.
        seen = dict(self.checkpoint.versions_seen)
        for task in ordered:
            self._mark_seen(task, seen)
        changed = self._apply_writes(grouped, "loop", seen, ordered)
        # As LangGraph: a bare resume belongs to the checkpoint it was given on, so
        # only the first step of the run can take it.
        if self.nesting is None:  # (a subgraph's is its parent task's: it lasts that task)
            self.null_resume.clear()
        self.resuming = self.traveling = False
        self._stepped = True
        if not changed.isdisjoint(self.graph.state_keys):
            self._emit_values()
        if self.interrupt_after and self._should_interrupt(tasks, self.interrupt_after):
            self._pause_static(queued=True)
            if self.show_checkpoints:  # as LangGraph: the pause shows the step's checkpoint
                self._emit_checkpoint(prepare(self.graph.nodes, self.checkpoint, self.channels, None))

    def apply_update(self, as_node: str, writes: list[tuple[str, Any]]) -> None:
        """update_state: apply `writes` as node `as_node` returning them would, through
        the same path as a step's writes, and queue the "update" checkpoint."""
        grouped = self._checked_writes([Task("update", as_node, (), None, (), writes)])
        # Edges fire for one step: a node woken only by an edge the update does
        # not write again no longer runs (as LangGraph's ephemeral branch
        # channels). A join that is complete still wakes its node.
        all_seen = self.checkpoint.versions_seen
        versions = self.checkpoint.channel_versions
        for pending in prepare(self.graph.nodes, self.checkpoint, self.channels, None):
            for channel in pending.triggers:
                if channel.startswith(BRANCH_PREFIX) and channel not in grouped:
                    node_seen = all_seen.get(pending.name, {})
                    # Marked seen, not read: as_node inference must not take the node
                    # for one that ran (see CompiledGraph._resolve_as_node).
                    skipped = all_seen.get(SKIPPED, {})
                    read = node_seen.get(channel, "")
                    marked, _, before = skipped.get(pending.name, "").partition(" ")
                    if marked and read == marked:  # skipped before, not run since
                        read = before
                    all_seen[SKIPPED] = {**skipped, pending.name: f"{versions[channel]} {read}"}
                    all_seen[pending.name] = {**node_seen, channel: versions[channel]}
        if self.config is None:
            self.step = -1  # on a fresh thread the update is step 0, as LangGraph numbers it
        self._apply_writes(grouped, "update")

    def _checked_writes(self, tasks: Sequence[Task]) -> dict[str, list[tuple[str, Any]]]:
        """The tasks' writes by channel, in order. Every write is checked before
        anything changes: a bad one leaves the run as it was."""
        known = self.graph.channels
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for task in tasks:
            for channel, value in task.writes:
                if channel not in known or channel == SENDS:
                    self._check_channel(channel, task.name, value)
                grouped.setdefault(channel, []).append((task.name, value))
        return grouped

    def _apply_writes(
        self,
        grouped: dict[str, list[tuple[str, Any]]],
        source: str,
        seen: dict[str, dict[str, str]] | None = None,
        ran: Sequence[Task] = (),
    ) -> set[str]:
        """The one way writes reach the channels, for a step and for update_state:
        apply them all at once (as a step, an update clears an input and Sends it
        did not write itself), make due deferred nodes, and queue the checkpoint
        that records them; the channels that changed."""
        changed = set(self._consumed)
        self._consumed.clear()
        channels = self.channels
        for channel, writes in grouped.items():
            if channels[channel].update(writes):
                changed.add(channel)
        for name in self.graph.clearable:
            if name not in grouped and channels[name].clear_if_unwritten():
                changed.add(name)
        if self.graph.deferred:  # with nothing else to run, deferred nodes are due
            finish_deferred(channels, self.graph.deferred, changed, self.graph.trigger_index)
        self.step += 1
        self._put_checkpoint(grouped, changed, source, seen, ran)
        return changed

    def _mark_seen(self, task: Task, all_seen: dict[str, dict[str, str]]) -> None:
        """Record in `all_seen` (the next checkpoint's table) what the task read."""
        if not task.triggers:
            return
        # Copy on write: checkpoints share the inner dicts (see _put_checkpoint).
        seen = dict(all_seen.get(task.name, ()))
        for channel in task.triggers:
            seen[channel] = self.checkpoint.channel_versions[channel]
            if self.channels[channel].consume():
                self._consumed.add(channel)
        all_seen[task.name] = seen

    def _check_channel(self, channel: str, writer: str, value: Any = None) -> None:
        if channel == SENDS and value.node not in self.graph.nodes:
            raise InvalidUpdateError(f"{writer!r} sends to unknown node {value.node!r}")
        if channel not in self.channels:
            target = channel.removeprefix(BRANCH_PREFIX)
            raise InvalidUpdateError(f"{writer!r} routes to unknown node {target!r}")

    # -- checkpoints --------------------------------------------------------

    def _put_checkpoint(
        self,
        grouped: Mapping[str, list[tuple[str, Any]]],
        changed: set[str],
        source: str,
        seen: dict[str, dict[str, str]] | None = None,
        ran: Sequence[Task] = (),
    ) -> None:
        """Queue the next checkpoint. The store may keep the object as given, so the
        loop never changes a checkpoint once queued: it builds the next one."""
        old = self.checkpoint
        new_id, ts = new_stamp()
        versions = dict(old.channel_versions)
        blobs: dict[str, Blob] = {}
        channels, provisional = self.channels, self.provisional
        for name in changed:
            base = versions.get(name)
            versions[name] = new_id
            channel = channels[name]
            if channel.stores_value and name not in provisional:
                blob = channel.blob(grouped.get(name, ()))
                if blob[0] == "delta":  # (kind, value, base): a delta folds onto the old version
                    blob = new_tuple(Blob, ("delta", blob[1], base))
                blobs[name] = blob
        for name in provisional:  # written outside a step (a Command's update): stored whole
            channel = channels[name]
            if channel.stores_value:
                blobs[name] = Blob("full", channel.get()) if channel.available() else Blob("empty")
        if self.sizer is not None:  # before anything is queued: a refused state is not saved
            try:
                self.sizer.check(self.channels, blobs)
            except StateTooLargeError:
                # Nor are the step's task writes still queued: the thread stays as it was.
                self.saves = [save for save in self.saves if save.writes is None]
                raise
        # A provisional channel not written again keeps its version; its blob lands there.
        self.provisional.clear()
        if seen is None:
            # Shallow: _mark_seen replaces a node's inner dict rather than mutating it.
            seen = dict(old.versions_seen)
        self.checkpoint = Checkpoint(new_id, ts, versions, seen)
        plan = self._waiting(old.pending, changed, ran)
        self.checkpoint.pending = tuple([name for name, _ in plan])
        # As LangGraph: the nodes woken by a step run (and stream) in name order; a
        # snapshot lists them in graph order (checkpoint.pending).
        self._planned = (new_id, sorted(plan) if len(plan) > 1 else plan)
        metadata = {"source": source, "step": self.step, "parents": self.parents or {}}
        parent = self.config or {"configurable": {"thread_id": self.thread_id}}
        last = self.saves[-1] if self.saves else None
        if last is not None and last.checkpoint is None and last.config is parent:
            # The step's last task's writes and its checkpoint: one store call.
            self.saves[-1] = new_tuple(Save, (parent, self.checkpoint, metadata, blobs, last.writes))
        else:
            self.saves.append(new_tuple(Save, (parent, self.checkpoint, metadata, blobs, None)))
        self.config = checkpoint_config(self.thread_id, new_id, self.checkpoint_ns)
        stored_parent = parent if parent.get("configurable", {}).get("checkpoint_id") else None
        self.stored = (self.config, self.checkpoint, metadata, stored_parent)
        self.metadata, self.parent_config = metadata, stored_parent
        self.pending = []

    def _waiting(
        self, before: tuple[str, ...] | None, changed: set[str], ran: Sequence[Task] = ()
    ) -> list[tuple[str, tuple[str, ...]]]:
        """The nodes triggered at the new checkpoint, with their triggers: only those
        waiting before or woken by a channel that just changed can be (versions move
        nowhere else). A node that `ran` has seen what woke it: only a change can wake
        it again."""
        nodes = self.graph.nodes
        candidates: Any
        if before is None:
            candidates = nodes
        else:
            candidates = set(before)
            for task in ran:
                if task.triggers:
                    candidates.discard(task.name)
            index = self.graph.trigger_index
            for channel in changed:
                candidates.update(index.get(channel, ()))
            if len(candidates) > 1:
                candidates = sorted(candidates, key=self.graph.node_order.__getitem__)
        checkpoint, channels = self.checkpoint, self.channels
        plan = []
        for name in candidates:
            hits = triggered(nodes[name], checkpoint, channels)
            if hits:
                plan.append((name, hits))
        return plan

    def _should_interrupt(self, tasks: list[Task], names: tuple[str, ...]) -> bool:
        seen = self.checkpoint.versions_seen.get(INTERRUPT, {})
        updated = self._stepped or any(
            v > seen.get(c, "") for c, v in self.checkpoint.channel_versions.items()
        )
        # "*" means every node of the graph, not the hidden input task (as LangGraph).
        return updated and any(
            t.name in names or ("*" in names and t.name != START) for t in tasks
        )

    def _pause_static(self, queued: bool) -> None:
        """Stop on a static breakpoint. After a step (`queued`) its checkpoint is not
        yet stored and records the pause; before one it was stored already, and a
        copy takes the note: the stored checkpoint never changes."""
        checkpoint = self.checkpoint
        noted = {**checkpoint.versions_seen, INTERRUPT: dict(checkpoint.channel_versions)}
        if queued:
            checkpoint.versions_seen = noted
        else:
            self.checkpoint = dataclasses.replace(checkpoint, versions_seen=noted)
        self._stepped = False
        self.status = "interrupted"
        self.interrupts = ()
        if "updates" in self.modes and self.nesting is None:  # (its parent's task reports it)
            self.events.append(("updates", {INTERRUPT: ()}))

    # -- events -------------------------------------------------------------

    def _emit_values(self) -> None:
        if "values" in self.modes:
            if self.final_only:
                # Read only if it stays the last: see read_final(). With nothing queued
                # before it, it is the last chunk already (no event to drain each step).
                if self.events:
                    self.events.append(("values", LATER))
                else:
                    self.last_chunk = LATER
                return
            values = self.graph.read_output(self.channels)
            if values is not None or self.graph.single_output:
                self.events.append(("values", values))

    def keep_last(self) -> None:
        """With final_only: drop the events emitted so far but the last, which waits
        in `last_chunk` for the run to end (read_final reads it then)."""
        events = self.events
        while events:
            self.last_chunk = events.popleft()[1]

    def read_final(self, chunk: Any) -> Any:
        """A values chunk as emitted: LATER is the state as the emit found it, which
        is the state now when nothing was emitted since (a step's changes are
        followed by an emit; an interrupted step changes nothing)."""
        if chunk is LATER:
            return self.graph.read_output(self.channels)
        return chunk

    def _emit_finished_values(self, tasks: list[Task]) -> None:
        """As LangGraph: a step stopped by an interrupt ends with one last values event
        holding the writes of the tasks that did finish (the checkpoint is unchanged).
        Applying them in any stream mode, as LangGraph does, reports two finished tasks
        writing one plain key here (InvalidUpdateError) rather than on the resume."""
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for task in sorted(tasks, key=apply_order):
            if task.error is None and not task.paused:
                for channel, value in task.writes:
                    if channel in self.graph.state_keys:
                        grouped.setdefault(channel, []).append((task.name, value))
        # Applied to copies: the run's channels stay as the checkpoint has them.
        applied = {name: self.channels[name].with_writes(ws) for name, ws in grouped.items()}
        if applied and "values" in self.modes:
            values = self.graph.read_output(ChainMap(applied, self.channels))
            if values is not None:
                self.events.append(("values", values))

    def _emit_interrupt(self, interrupts: tuple[Interrupt, ...]) -> None:
        if self.final_only:  # invoke lists every one of them (see graph._with_interrupts)
            self.run_interrupts += interrupts
        if "updates" in self.modes:
            self.events.append(("updates", {INTERRUPT: interrupts}))
        if "values" in self.modes:
            values = self.graph.read_output(self.channels)
            if not isinstance(values, dict):  # an entrypoint's return value may be anything
                values = {}
            self.events.append(("values", {**values, INTERRUPT: interrupts}))

    def _emit_task(self, kind: str, task: Task) -> None:
        """A task starting ("task") or ending ("task_result"): `tasks` mode, and in
        `debug` mode the same payload wrapped with the step and time, as LangGraph;
        and to astream_events, when it watches (pregel/events.py)."""
        if self.watch is not None and kind == "task":  # (a result: see task_finished)
            self.watch(kind, task)
        modes = self.modes
        if "tasks" not in modes and "debug" not in modes:
            return
        if kind == "task":
            payload = task_payload(task, self.graph)
        else:
            payload = task_result_payload(task, self.graph.state_keys)
        if "tasks" in modes:
            self.events.append(("tasks", payload))
        if "debug" in self.modes:
            event = {"step": self.step + 1, "timestamp": now_iso(), "type": kind, "payload": payload}
            self.events.append(("debug", event))

    def _emit_task_starts(self, tasks: list[Task]) -> None:
        # As LangGraph: a task finished in an earlier attempt at this step starts again
        # (its writes are reused; it has no result event).
        for task in tasks:
            if task.name != START:
                self._emit_task("task", task)

    def _emit_checkpoint(self, tasks: list[Task]) -> None:
        """The checkpoint the next step starts from, with its tasks (and what the pending
        writes say of them), as LangGraph streams it at each step: `checkpoints` mode,
        and wrapped in `debug` mode."""
        if self.config is None:
            return
        payload = checkpoint_payload(self, tasks)
        if "checkpoints" in self.modes:
            self.events.append(("checkpoints", payload))
        if "debug" in self.modes:
            event = {
                "step": self.metadata.get("step", self.step),
                "timestamp": now_iso(),
                "type": "checkpoint",
                "payload": payload,
            }
            self.events.append(("debug", event))


def latest_writes(writes: Sequence[PendingWrite]) -> list[PendingWrite]:
    """The pending writes as LangGraph's savers keep them. A store appends; a task
    that finished (RETURN) is run again on the same checkpoint only by a replay (time
    travel). LangGraph's savers keep a task's writes by their place in its record
    (one record per run of the task): a place already filled keeps its first write,
    so a task run again keeps what it recorded first, and only a longer record adds
    its extra places. Its interrupt, error and resume have one place each and keep
    the latest. (The replay's own run streams the new result all the same.)"""
    returns: dict[str, int] = {}
    for w in writes:
        if w.channel == RETURN:
            returns[w.task_id] = returns.get(w.task_id, 0) + 1
    again = {task for task, count in returns.items() if count > 1}
    if not again:
        return list(writes)
    out: list[Any] = []
    kept: dict[str, tuple[list[PendingWrite], dict[str, PendingWrite]]] = {}
    place: dict[str, int] = {}
    for w in writes:
        task = w.task_id
        if task not in again:
            out.append(w)
            continue
        if task not in kept:
            kept[task] = ([], {})
            out.append(task)  # where the task's writes go, filled in below
        slots, outcomes = kept[task]
        if w.channel in _OUTCOMES:
            outcomes[w.channel] = w
            continue
        index = place.get(task, 0)
        if index >= len(slots):
            slots.append(w)
        place[task] = 0 if w.channel == RETURN else index + 1  # a record ends at RETURN
    result: list[PendingWrite] = []
    for item in out:
        if isinstance(item, str):
            slots, outcomes = kept[item]
            result += slots
            result += outcomes.values()
        else:
            result.append(item)
    return result


# A task's outcome writes, one place each in LangGraph's savers (see latest_writes).
_OUTCOMES = frozenset({ERROR, INTERRUPT, RESUME})


def _interrupt_writes(task: Task) -> list[PendingWrite]:
    """What a task stopped on an interrupt leaves pending: its interrupts, and the
    resume values it was given, so a resume hands them back in order. (A task paused
    by a subgraph's static breakpoint has no interrupt: none is recorded, as LangGraph.)"""
    writes = [PendingWrite(task.id, INTERRUPT, task.interrupts)] if task.interrupts else []
    if task.resume:
        writes.append(PendingWrite(task.id, RESUME, list(task.resume)))
    return writes
