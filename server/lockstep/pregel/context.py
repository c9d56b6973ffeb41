"""What a running node can reach without being passed it: interrupt() and its writer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from lockstep.errors import GraphInterrupt
from lockstep.types import Interrupt

# The running node's (task, loop): its TaskContext is made from them on first use.
_current: ContextVar[tuple[Any, Any]] = ContextVar("lockstep_task")


class TaskContext:
    """The per-task scratchpad: resume values given so far and the custom-event writer."""

    __slots__ = ("task_id", "resume", "null_resume", "calls", "writer", "used_null", "scope")

    def __init__(
        self,
        task_id: str,
        resume: list[Any],
        null_resume: list[Any],
        writer: Callable[[Any], None],
    ) -> None:
        self.task_id = task_id
        self.resume = resume  # answers to this task's interrupt() calls, in order
        self.null_resume = null_resume  # a one-element box: a resume for whoever asks first
        self.calls = 0
        self.writer = writer
        self.used_null = False
        self.scope: Any = None  # the @task calls the node has made (lockstep.func.calls)

    def interrupt(self, value: Any) -> Any:
        index = self.calls
        self.calls += 1
        if index < len(self.resume):
            return self.resume[index]
        if self.null_resume:
            answer = self.null_resume.pop()
            self.resume.append(answer)
            self.used_null = True
            return answer
        raise GraphInterrupt((Interrupt(value=value, id=interrupt_id(self.task_id, index)),))


def interrupt_id(task_id: str, index: int) -> str:
    """Stable across re-runs of the task, so a resume can name the interrupt it answers."""
    return hashlib.blake2b(f"{task_id}:{index}".encode(), digest_size=16).hexdigest()


def node_interrupt_id(task_id: str) -> str:
    """A NodeInterrupt's id: stable too, and told apart from interrupt() calls' ids, since
    a NodeInterrupt takes no answer (a bare resume is not ambiguous because of it)."""
    return interrupt_id(task_id, -1)


def current_task() -> TaskContext:
    """The running task's context, made the first time its node asks (most never do)
    and kept on the task, so its interrupt() calls, and its retries, share it."""
    try:
        task, loop = _current.get()
    except LookupError:
        raise RuntimeError(
            "interrupt() and get_stream_writer() can only be called inside a running node"
        ) from None
    ctx = task.context
    if ctx is None:
        # The task's own resume list: answers interrupt() takes are recorded on the task.
        ctx = task.context = TaskContext(task.id, task.resume, loop.null_resume, loop.write_custom)
    return ctx


def current_run() -> Any:
    """The running node's loop (its run), for get_runtime()."""
    try:
        return _current.get()[1]
    except LookupError:
        raise RuntimeError(
            "get_runtime(), get_config() and get_store() can only be called inside a running node"
        ) from None


# enter((task, loop)) makes the task the running one and returns the token that
# leave(token) takes to undo it: the context variable's own methods, as a call per
# task is felt in a step.
enter = _current.set
leave = _current.reset
