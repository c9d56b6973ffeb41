"""Reading a thread: a checkpoint from the store, seen as a StateSnapshot."""

from __future__ import annotations

from typing import Any

from lockstep.checkpoint.base import (
    BaseSaver,
    CheckpointTuple,
    Config,
    checkpoint_id_of,
    thread_id_of,
)
from lockstep.constants import ERROR, INTERRUPT, RETURN
from lockstep.errors import InvalidUpdateError
from lockstep.pregel.loop import NULL_TASK, latest_writes
from lockstep.pregel.nesting import subgraph_saver
from lockstep.pregel.streaming import task_namespace
from lockstep.pregel.tasks import apply_order, prepare
from lockstep.types import PregelTask, StateSnapshot


def load(saver: BaseSaver, config: Config) -> CheckpointTuple | None:
    thread_id_of(config)
    return saver.get_tuple(config)


def state(graph: Any, saver: BaseSaver, config: Config, subgraphs: bool = False) -> StateSnapshot:
    """The thread at the checkpoint `config` names (its head without an id); with
    `subgraphs`, each task running a subgraph shows that subgraph's state."""
    saved = load(saver, config)
    if saved is None:
        return empty(thread_id_of(config))
    live = checkpoint_id_of(config) is None
    return from_saved(graph, saved, live, saver if subgraphs else None)


def empty(thread_id: str) -> StateSnapshot:
    """A thread with no checkpoint yet, as LangGraph shows one."""
    return StateSnapshot(
        values={},
        next=(),
        config={"configurable": {"thread_id": thread_id}},
        metadata=None,
        created_at=None,
        parent_config=None,
        tasks=(),
        interrupts=(),
    )


def from_loop(graph: Any, loop: Any) -> StateSnapshot | None:
    """The thread's head as a run that just ended left it, built from the run's own
    state rather than read back from the store: what `get_state` would then return
    (values share objects with the run's). None when the run saved no checkpoint."""
    if loop.stored is None:
        return None
    config, checkpoint, metadata, parent = loop.stored
    saved = CheckpointTuple(
        config=config,
        checkpoint=checkpoint,
        metadata={**metadata, "parents": dict(metadata.get("parents", {}))},
        parent_config=parent,
        pending_writes=list(loop.pending),
    )
    # The run's channels, in a dict of our own: _snapshot replaces entries, not values.
    return _snapshot(graph, saved, dict(loop.channels), live=True)


def from_saved(
    graph: Any, saved: CheckpointTuple, live: bool = False, nested: BaseSaver | None = None
) -> StateSnapshot:
    """The thread at one checkpoint. As LangGraph: `live` (the thread's head, read
    without a checkpoint id) shows the writes of tasks that already finished in the
    unfinished step and leaves them out of `next`; otherwise the snapshot is a record of
    the step as it started. Command(update=...) input waiting on the step shows in both."""
    channels = graph.fresh_channels()
    graph.restore_channels(channels, saved.blobs)
    return _snapshot(graph, saved, channels, live, nested)


def _snapshot(
    graph: Any, saved: CheckpointTuple, channels: Any, live: bool, nested: BaseSaver | None = None
) -> StateSnapshot:
    """(`nested`: the store to read the tasks' subgraph states from; None: each such
    task shows the config that addresses its subgraph's state instead, as LangGraph.)"""
    tasks = prepare(graph.nodes, saved.checkpoint, channels, None)
    pending = latest_writes(saved.pending_writes)
    outcome: dict[str, dict[str, Any]] = {}
    null: dict[str, list[tuple[str, Any]]] = {}
    for w in pending:
        outcome.setdefault(w.task_id, {})[w.channel] = w.value
        if w.task_id == NULL_TASK and w.channel in graph.state_keys:
            null.setdefault(w.channel, []).append(("Command", w.value))
    for channel, writes in null.items():
        # A copy: the channels may be a run's (from_loop), to leave as they are.
        channels[channel] = channels[channel].with_writes(writes)
    finished = {t.id for t in tasks if RETURN in outcome.get(t.id, {})} if live else set()
    if finished:
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for task in sorted(tasks, key=apply_order):
            if task.id in finished:
                for w in pending:
                    if w.task_id == task.id and w.channel in graph.state_keys:
                        grouped.setdefault(w.channel, []).append((task.name, w.value))
        try:
            applied = {k: channels[k].with_writes(writes) for k, writes in grouped.items()}
        except InvalidUpdateError:
            # The step failed on these very writes (two to a plain key): LangGraph's
            # get_state raises here too; we show the step as it started instead.
            finished = set()
        else:
            channels.update(applied)
    shown = []
    states = _task_states(graph, saved, tasks, nested) if graph.subgraph_nodes else {}
    for task in tasks:
        done = outcome.get(task.id, {})
        shown.append(
            PregelTask(
                id=task.id,
                name=task.name,
                path=task.path,
                error=done.get(ERROR),
                interrupts=() if task.id in finished else tuple(done.get(INTERRUPT, ())),
                state=states.get(task.id),
                result=_result(graph, done),
            )
        )
    values = graph.read_output(channels)
    if values is None and not graph.single_output:
        values = {}
    return StateSnapshot(
        values=values,
        next=tuple(t.name for t in tasks if t.id not in finished),
        config=saved.config,
        metadata=saved.metadata,
        created_at=saved.checkpoint.ts,
        parent_config=saved.parent_config,
        tasks=tuple(shown),
        interrupts=tuple(i for t in shown for i in t.interrupts),
    )


def _task_states(
    graph: Any, saved: CheckpointTuple, tasks: list[Any], nested: BaseSaver | None
) -> dict[str, Any]:
    """What `tasks[i].state` shows for the tasks that run a subgraph: the config of
    the subgraph's checkpoints (its namespace on this thread) or, read from
    `nested`, its own snapshot (with its tasks' subgraphs too)."""
    subgraphs = graph.subgraph_nodes
    conf = saved.config.get("configurable", {})
    thread_id, parent_ns = conf.get("thread_id"), conf.get("checkpoint_ns", "")
    out: dict[str, Any] = {}
    for task in tasks:
        sub = subgraphs.get(task.name)
        if sub is None:
            continue
        ns = task_namespace(parent_ns, task.name, task.id)
        address = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
        if nested is None:
            out[task.id] = address
        else:
            out[task.id] = state(sub, subgraph_saver(sub, nested, ns), address, subgraphs=True)
    return out


def _result(graph: Any, done: dict[str, Any]) -> dict[str, Any] | None:
    """A finished task's result as LangGraph shows it: the state keys it wrote (an empty
    dict when it wrote none); None while it has not finished."""
    if RETURN not in done:
        return None
    if graph.single_output:  # an entrypoint: what it returned
        return done[RETURN]
    return {k: v for k, v in done.items() if k in graph.state_keys}
