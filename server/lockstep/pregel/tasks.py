"""Tasks: which nodes run in the next superstep, and what their return values write."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lockstep.checkpoint.base import Checkpoint
from lockstep.constants import END, SENDS, START, branch_channel
from lockstep.errors import InvalidUpdateError, ParentCommand
from lockstep.graph.channels import Channel
from lockstep.graph.node import NodeSpec
from lockstep.graph.schema import has_annotations, object_writes
from lockstep.types import Command, Interrupt, Send

PULL = "__pregel_pull"
PUSH = "__pregel_push"
_NONE_SEEN: dict[str, str] = {}


@dataclass(slots=True)
class Task:
    id: str
    name: str
    path: tuple
    input: Any
    triggers: tuple[str, ...]
    writes: list[tuple[str, Any]] = field(default_factory=list)
    update: Any = None  # what the node returned, as `updates` mode shows it
    interrupts: tuple[Interrupt, ...] = ()
    paused: bool = False  # stopped by an interrupt (a subgraph's breakpoint has none)
    error: BaseException | None = None
    resume: list[Any] = field(default_factory=list)
    done: bool = False  # finished in an earlier attempt at this step: writes reused
    cached: bool = False  # its writes came from the node cache (pregel/caching.py)
    cache_key: Any = None
    context: Any = None  # its TaskContext, once its node asks for it (context.current_task)


def task_id(checkpoint_id: str, name: str, path: tuple) -> str:
    """Deterministic, so a resumed step finds the pending writes of the same tasks.

    UUID-shaped: the checkpoint id's first four groups (its time, unique per
    checkpoint) and 48 bits of a hash of the node and path (unique within it).
    A pull task's hash is made once per node: it recurs every step."""
    if path[0] == PULL:
        tail = _pull_tails.get(name)
        if tail is None:
            tail = _pull_tails[name] = _tail(name, path)
    else:
        tail = _tail(name, path)
    return checkpoint_id[:24] + tail


def _tail(name: str, path: tuple) -> str:
    return hashlib.blake2b(f"{name}|{path}".encode(), digest_size=6).hexdigest()


_pull_tails: dict[str, str] = {}


def triggered(spec: NodeSpec, checkpoint: Checkpoint, channels: Mapping[str, Channel]) -> tuple:
    versions = checkpoint.channel_versions
    seen = checkpoint.versions_seen.get(spec.name, _NONE_SEEN)
    hits: tuple[str, ...] = ()
    for channel in spec.triggers:
        version = versions.get(channel)
        if version is not None and version > seen.get(channel, "") and channels[channel].available():
            hits += (channel,)
    return hits


def prepare(
    nodes: Mapping[str, NodeSpec],
    checkpoint: Checkpoint,
    channels: Mapping[str, Channel],
    state_input: Any,
    planned: Sequence[tuple[str, tuple[str, ...]]] | None = None,
) -> list[Task]:
    """The tasks of the next step: one per pending Send, then one per triggered node.
    `planned` is what the loop found triggered when it made this checkpoint, as
    (node, triggers) pairs: the test need not run twice."""
    tasks: list[Task] = []
    sends = channels[SENDS]
    if sends.available():
        for index, packet in enumerate(sends.get()):
            path = (PUSH, index)
            tid = task_id(checkpoint.id, packet.node, path)
            tasks.append(Task(tid, packet.node, path, packet.arg, ()))
    if planned is not None:
        for name, hits in planned:
            path = (PULL, name)
            value = channels[START].get() if name == START else state_input
            tasks.append(Task(task_id(checkpoint.id, name, path), name, path, value, hits))
        return tasks
    # triggered(), inlined: this scan runs over every node at every step and snapshot.
    versions = checkpoint.channel_versions
    all_seen = checkpoint.versions_seen
    waiting = getattr(checkpoint, "pending", None)
    candidates = nodes.items() if waiting is None else [(n, nodes[n]) for n in waiting if n in nodes]
    for name, spec in candidates:
        seen = all_seen.get(name, _NONE_SEEN)
        hits: tuple[str, ...] = ()
        for channel in spec.triggers:
            version = versions.get(channel)
            if version is not None and version > seen.get(channel, "") and channels[channel].available():
                hits += (channel,)
        if hits:
            path = (PULL, name)
            value = channels[START].get() if name == START else state_input
            tasks.append(Task(task_id(checkpoint.id, name, path), name, path, value, hits))
    return tasks


def apply_order(task: Task) -> tuple:
    """Writes apply pull tasks first (by node name), then sends in the order made."""
    return (0, task.name, 0) if task.path[0] == PULL else (1, "", task.path[1])


def output_writes(
    name: str, output: Any, state_keys: Mapping[str, Channel]
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(state writes, control writes) for what node `name` returned."""
    if type(output) is dict:  # the usual return: a partial state
        return [(k, v) for k, v in output.items() if k in state_keys], []
    if output is None:
        return [], []
    if isinstance(output, Command):
        return _command_writes(name, output, state_keys)
    if isinstance(output, list | tuple) and output and all(isinstance(o, Command) for o in output):
        state: list[tuple[str, Any]] = []
        control: list[tuple[str, Any]] = []
        for command in output:
            s, c = _command_writes(name, command, state_keys)
            state += s
            control += c
        return state, control
    return update_writes(name, output, state_keys), []


def update_writes(name: str, update: Any, state_keys: Mapping[str, Channel]) -> list:
    if isinstance(update, dict):
        return [(k, v) for k, v in update.items() if k in state_keys]
    if isinstance(update, list | tuple) and all(
        isinstance(pair, tuple) and len(pair) == 2 for pair in update
    ):
        return [(k, v) for k, v in update if k in state_keys]
    if not isinstance(update, type) and has_annotations(type(update)):
        return object_writes(update, list(state_keys))  # a dataclass or Pydantic state
    raise InvalidUpdateError(
        f"node {name!r} returned {type(update).__name__} {update!r:.80}; "
        "a node must return a dict of state keys to update, a Command, or None"
    )


def _command_writes(name: str, command: Command, state_keys) -> tuple[list, list]:
    if command.graph == Command.PARENT:
        raise ParentCommand(command)  # for the parent graph's task (pregel/graph.py)
    state = update_writes(name, command.update, state_keys) if command.update is not None else []
    return state, goto_writes(name, command.goto)


def goto_writes(name: str, goto: Any) -> list[tuple[str, Any]]:
    targets = goto if isinstance(goto, list | tuple) else [goto]
    out: list[tuple[str, Any]] = []
    for target in targets:
        if isinstance(target, Send):
            out.append((SENDS, target))
        elif target == END or target is None or target == ():
            continue
        elif isinstance(target, str):
            out.append((branch_channel(target), None))
        else:
            raise InvalidUpdateError(f"node {name!r}: cannot go to {target!r}")
    return out
