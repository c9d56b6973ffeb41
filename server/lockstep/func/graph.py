"""An @entrypoint as a graph: one node, run by the engine's loop like any other.

The node is triggered by the run's input; what the function returns is written
to two channels, `__end__` (what the run returns and `values` mode shows) and
`__previous__` (what the next run on the thread gets as `previous`). The
function's @task calls are push tasks of the node's step (see calls.py), so the
loop, checkpoints, interrupts and time travel are the StateGraph ones.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lockstep.checkpoint.base import Config
from lockstep.constants import END, START
from lockstep.func.calls import begin
from lockstep.graph.channels import MISSING, Channel, LastValue
from lockstep.graph.drawing import Edge, Graph, Node
from lockstep.graph.injection import wanted
from lockstep.graph.node import Callee, NodeSpec
from lockstep.pregel import context
from lockstep.pregel.graph import CompiledGraph, check_drawing_args
from lockstep.types import RetryPolicy

PREVIOUS = "__previous__"

# Parameters an entrypoint function may declare (after its input) to be given them.
INJECTED = ("previous", "config", "writer", "store", "runtime")


class Final:
    """`entrypoint.final(value=..., save=...)`: return `value`, keep `save` as `previous`."""

    __slots__ = ("value", "save")

    def __init__(self, *, value: Any, save: Any) -> None:
        self.value = value
        self.save = save

    def __repr__(self) -> str:
        return f"entrypoint.final(value={self.value!r}, save={self.save!r})"


class _Shape:
    """What CompiledGraph reads of a builder: the output channels, no state schema."""

    schema = None

    def __init__(self, context_schema: type | None) -> None:
        self.context_schema = context_schema  # what a run's context= becomes
        self.channels: dict[str, Channel] = {END: LastValue(END), PREVIOUS: LastValue(PREVIOUS)}


class EntrypointGraph(CompiledGraph):
    """What `@entrypoint(...)` makes of a function: a runnable graph of one node."""

    # values mode shows the return value itself, None included (as LangGraph's
    # single output channel), rather than a dict of state keys.
    single_output = True
    # Its one task is the whole run: its tasks' events go out as they happen.
    live_events = True

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        checkpointer: Any,
        store: Any,
        retry: tuple[RetryPolicy, ...],
        context_schema: type | None,
    ) -> None:
        name = getattr(fn, "__name__", type(fn).__name__)
        names = injected_parameters(fn, name)
        is_async = asyncio.iscoroutinefunction(fn)
        runner = _arunner(fn, names) if is_async else _runner(fn, names)
        spec = NodeSpec(name, Callee(runner, is_async, ("config",), runner if is_async else None, name), retry, [START])
        shape = _Shape(context_schema)
        super().__init__(
            builder=shape,
            nodes={name: spec},
            channels=dict(shape.channels),
            checkpointer=checkpointer,
            interrupt_before=(),
            interrupt_after=(),
            name="LangGraph",
            store=store,
        )
        self.func = fn
        self.entry = name

    # -- what the loop reads -------------------------------------------------

    def read_state(self, channels: Mapping[str, Channel]) -> Any:
        """The node's input: the run's input."""
        value = channels[START].value
        return None if value is MISSING else value

    def read_output(self, channels: Mapping[str, Channel]) -> Any:
        value = channels[END].value
        return None if value is MISSING else value

    def update_view(self, output: Any, state_writes: list[tuple[str, Any]]) -> Any:
        """`updates` mode shows what the function returned."""
        return dict(state_writes).get(END)

    def _update(self, config, saved, values, as_node, settings, saver=None) -> Any:
        """update_state sets what the thread last returned (and `previous`)."""
        writes = None if values is None else output_writes(values)
        return super()._update(config, saved, writes, as_node or self.entry, settings, saver)

    def get_graph(self, config: Config | None = None, *, xray: int | bool = False) -> Graph:
        """The entrypoint as LangGraph draws it: START -> the function -> END."""
        check_drawing_args(config, xray)
        graph = Graph()
        for name in (self.entry, START, END):  # LangGraph lists the node first
            graph.nodes[name] = Node(name, name)
        graph.edges += [Edge(START, self.entry), Edge(self.entry, END, conditional=True)]
        return graph


def injected_parameters(fn: Callable[..., Any], name: str) -> tuple[str, ...]:
    """What `fn` asks for after its input, read as a node's signature is (by name and
    accepted annotation: graph/injection.py); any other parameter without a default
    cannot be given, and is refused now."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError) as exc:
        raise TypeError(f"@entrypoint: cannot read the parameters of {fn!r}") from exc
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not params or params[0].kind not in positional:
        raise TypeError(
            f"@entrypoint function {name!r} must take its input as its first parameter"
        )
    names = wanted(fn)
    for p in params[1:]:
        if p.name in names or p.default is not p.empty:
            continue
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(
                f"@entrypoint function {name!r}: parameter {p.name!r} cannot be given; "
                "after its input an entrypoint may take "
                + ", ".join(INJECTED)
                + " by name"
            )
    return names


def output_writes(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Final):
        return [(END, value.value), (PREVIOUS, value.save)]
    return [(END, value), (PREVIOUS, value)]


def _given(names: Sequence[str], loop: Any, config: Any) -> dict:
    """The values the function asks for; the run's Runtime gets `previous` first, so
    `runtime.previous` and get_runtime() inside it see it too."""
    value = loop.channels[PREVIOUS].value
    runtime = loop.give_previous(None if value is MISSING else value)
    out: dict[str, Any] = {}
    for name in names:
        if name == "config":
            out[name] = config  # the task's config, as a node taking config gets it
        elif name == "writer":
            out[name] = loop.write_custom
        elif name == "store":
            out[name] = runtime.store
        elif name == "runtime":
            out[name] = runtime
        else:
            out[name] = runtime.previous
    return out


def _runner(fn: Callable[..., Any], wanted: Sequence[str]):
    def run(value: Any, config: Any) -> list[tuple[str, Any]]:
        _, loop = context._current.get()
        scope = begin(reset=True)
        try:
            out = fn(value, **_given(wanted, loop, config))
        finally:
            scope.wait()  # its task calls are part of its step
        return output_writes(out)

    return run


def _arunner(fn: Callable[..., Any], wanted: Sequence[str]):
    async def run(value: Any, config: Any) -> list[tuple[str, Any]]:
        _, loop = context._current.get()
        scope = begin(reset=True)
        try:
            out = await fn(value, **_given(wanted, loop, config))
        finally:
            await scope.await_all()
        return output_writes(out)

    return run
