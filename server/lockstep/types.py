"""The values graph authors and callers handle: interrupts, commands, sends, snapshots."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from lockstep.errors import GraphInterrupt

Config = dict[str, Any]

N = TypeVar("N")  # the node names a Command may go to: -> Command[Literal["a", "b"]]

StreamWriter = Callable[[Any], None]  # what a node's `writer` parameter is given


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Why a task paused, and the id a `Command(resume={id: value})` answers."""

    value: Any
    id: str = ""

    @property
    def when(self) -> str:
        """Always 'during': the node paused itself (LangGraph 0.2's field, read-only here)."""
        return "during"


class NodeInterrupt(GraphInterrupt):
    """Raise inside a node to stop the run there; resuming re-runs the node."""

    def __init__(self, value: Any, id: str | None = None) -> None:
        super().__init__((Interrupt(value=value, id=id or ""),))
        self.value = value


@dataclass(frozen=True, slots=True)
class Send:
    """Run `node` in the next step with `arg` as its whole input (map-reduce)."""

    node: str
    arg: Any


@dataclass(frozen=True, slots=True)
class Command(Generic[N]):
    """A node's return value or a run's input that updates state and/or moves on.

    `resume` answers pending `interrupt()` calls: a single value for the one
    pending interrupt, or a dict of interrupt id -> value. Generic in the names it
    may go to, so a node can be annotated `-> Command[Literal["a", "b"]]`.
    """

    update: Any = None
    goto: str | Send | Sequence[str | Send] = ()
    resume: Any = None
    graph: str | None = None

    PARENT: ClassVar[str] = "__parent__"


@dataclass(slots=True)
class Overwrite:
    """A write that replaces a reducer key's value instead of being folded into it.

    `{"messages": Overwrite(["b"])}` sets `messages` to `["b"]` whatever its reducer;
    two Overwrites of one key in a step are an error. On a plain key it is stored as
    given (as LangGraph does). `type` marks the dict form a JSON round trip leaves.
    """

    value: Any
    type: Literal["__overwrite__"] = "__overwrite__"


def default_cache_key(*args: Any, **kwargs: Any) -> bytes:
    """A node's cache key by default: its input, pickled (equal inputs, equal keys)."""
    import pickle

    return pickle.dumps((args, kwargs), protocol=5)


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How a node's results are cached (`add_node(cache_policy=...)`): under
    `key_func(input)`, for `ttl` seconds (None: until the cache is cleared)."""

    key_func: Callable[..., str | bytes] = default_cache_key
    ttl: int | None = None


def default_retry_on(exc: BaseException) -> bool:
    """LangGraph's default: retry what looks transient, not bugs or bad input.

    Connection errors and HTTP 5xx (anything with `.response.status_code`) are
    retried; ValueError, TypeError, LookupError, OSError and the like are not.
    """
    if isinstance(exc, ConnectionError):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int):
        return 500 <= status < 600
    return not isinstance(
        exc,
        (
            ValueError,
            TypeError,
            ArithmeticError,
            ImportError,
            LookupError,
            NameError,
            SyntaxError,
            RuntimeError,
            ReferenceError,
            StopIteration,
            StopAsyncIteration,
            OSError,
        ),
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failing node is tried again."""

    max_attempts: int = 3
    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    jitter: bool = True
    retry_on: type[BaseException] | tuple[type[BaseException], ...] | Callable[
        [BaseException], bool
    ] = default_retry_on

    def should_retry(self, exc: BaseException) -> bool:
        if isinstance(self.retry_on, type | tuple):
            return isinstance(exc, self.retry_on)
        return bool(self.retry_on(exc))


@dataclass(frozen=True, slots=True)
class PregelTask:
    """A task as `get_state` shows it: what will run next, or what paused or failed."""

    id: str
    name: str
    path: tuple = ()
    error: BaseException | None = None
    interrupts: tuple[Interrupt, ...] = ()
    state: Any = None
    result: Any = None


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """A thread as it stood at one checkpoint."""

    values: dict[str, Any]
    next: tuple[str, ...]
    config: Config
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: Config | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...] = field(default=())


# Every stream mode the engine knows; the one list (see pregel/streaming.py).
StreamMode = Literal["values", "updates", "checkpoints", "tasks", "debug", "messages", "custom"]


def interrupt(value: Any) -> Any:
    """Pause the running node and surface `value`; returns the resume value later.

    The first call in a node raises; once the caller resumes with
    `Command(resume=x)`, the node runs again from the top and this call returns x.
    Several calls in one node are matched to resume values in order.
    """
    from lockstep.pregel.context import current_task

    return current_task().interrupt(value)


def get_stream_writer() -> Callable[[Any], None]:
    """The writer of the running node: what it is given goes out in `custom` mode."""
    from lockstep.pregel.context import current_task

    return current_task().writer
