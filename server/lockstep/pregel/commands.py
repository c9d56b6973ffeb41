"""A Command given to update_state: applied as if the node it stands for returned it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstep.graph.channels import Channel
from lockstep.pregel.tasks import output_writes
from lockstep.types import Command


def is_command(value: Any) -> bool:
    """A Command, or a list of them (a node may return either)."""
    if isinstance(value, Command):
        return True
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, Command) for v in value)
    )


def command_update(
    as_node: str, value: Any, state_keys: Mapping[str, Channel]
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(state writes, goto writes) of `update_state(config, Command(...))`. A resume
    answers interrupts only as a run's input: here it is refused, not dropped."""
    commands = [value] if isinstance(value, Command) else list(value)
    if any(c.resume is not None for c in commands):
        raise ValueError(
            "update_state cannot answer interrupts: resume with "
            "invoke(Command(resume=...), config) instead"
        )
    return output_writes(as_node, value, state_keys)
