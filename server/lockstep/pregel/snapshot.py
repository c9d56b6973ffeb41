"""Reading a thread: a checkpoint from the store, seen as a StateSnapshot."""

from __future__ import annotations

from typing import Any

from lockstep.checkpoint.base import BaseSaver, CheckpointTuple, Config, thread_id_of
from lockstep.constants import ERROR, INTERRUPT, RETURN
from lockstep.pregel.tasks import prepare
from lockstep.types import PregelTask, StateSnapshot


def load(saver: BaseSaver, config: Config) -> CheckpointTuple | None:
    thread_id_of(config)
    return saver.get_tuple(config)


def state(graph: Any, saver: BaseSaver, config: Config) -> StateSnapshot:
    saved = load(saver, config)
    if saved is None:
        return StateSnapshot(
            values={},
            next=(),
            config={"configurable": {"thread_id": thread_id_of(config)}},
            metadata=None,
            created_at=None,
            parent_config=None,
            tasks=(),
            interrupts=(),
        )
    return from_saved(graph, saved)


def from_saved(graph: Any, saved: CheckpointTuple) -> StateSnapshot:
    channels = graph.fresh_channels()
    graph.restore_channels(channels, saved.blobs)
    graph.restore_triggers(channels, saved.checkpoint.channel_versions)
    tasks = prepare(graph.nodes, saved.checkpoint, channels, None)
    outcome: dict[str, dict[str, Any]] = {}
    for w in saved.pending_writes:
        outcome.setdefault(w.task_id, {})[w.channel] = w.value
    shown = []
    for task in tasks:
        done = outcome.get(task.id, {})
        shown.append(
            PregelTask(
                id=task.id,
                name=task.name,
                path=task.path,
                error=done.get(ERROR),
                interrupts=tuple(done.get(INTERRUPT, ())),
                state=None,
                result=done.get(RETURN),
            )
        )
    values = graph.read_output(channels) or {}
    return StateSnapshot(
        values=values,
        next=tuple(t.name for t in tasks),
        config=saved.config,
        metadata=saved.metadata,
        created_at=saved.checkpoint.ts,
        parent_config=saved.parent_config,
        tasks=tuple(shown),
        interrupts=tuple(i for t in shown for i in t.interrupts),
    )
