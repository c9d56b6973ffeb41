"""Which edges a StateGraph has, found the way LangGraph 1.2 finds them: a dry run.

LangGraph does not draw the edges as declared. It runs the compiled graph's trigger
channels step by step with no state at all: every node that wakes writes what its
plain edges always write, and, once, every target its conditional edges and
`Command` destinations declare (a path_map, a `Literal[...]` return annotation,
`destinations=`). An edge is drawn from the nodes whose writes woke a node to that
node. What this walk never reaches is not drawn: a conditional edge with nothing
declared contributes no edge, and an edge to END is only drawn for a node nothing
else follows. `walk(builder)` reproduces that walk over Lockstep's builder so that
`get_graph()` lists the same edges; its comments say why each odd-looking rule is
there.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from inspect import isfunction, ismethod
from typing import Any, Literal, Union, get_args, get_origin

from lockstep.constants import END, START, branch_channel, join_channel

STEP_LIMIT = 250  # LangGraph's cap on the walk: a cycle of plain edges ends here


@dataclass(frozen=True, eq=False)
class Writer:
    """One writer a node runs after itself: `plain` writes happen on every visit,
    `declared` ones (conditional: (channel or END, label)) on the first visit only."""

    plain: tuple[tuple[str, Any], ...] = ()
    declared: tuple[tuple[str, str | None], ...] = ()


@dataclass
class _Channel:
    """A trigger channel's state in the walk. `kind` is one of: "wake" (a node's
    trigger: set by a write, gone a step later), "barrier" (a join: set once every
    source wrote), and their deferred variants, which only open when the run
    would otherwise stop."""

    kind: str
    names: frozenset[str] = frozenset()
    value: bool = False
    seen: set[str] = field(default_factory=set)
    finished: bool = False
    version: int = 0

    def available(self) -> bool:
        if self.kind == "wake":
            return self.value
        if self.kind == "deferred":
            return self.value and self.finished
        if self.kind == "barrier":
            return self.seen == self.names
        return self.finished and self.seen == self.names  # deferred barrier

    def write(self, values: list[Any]) -> bool:
        """Apply a step's writes; True when that changed the channel."""
        if self.kind == "wake":
            if not values:
                changed, self.value = self.value, False
                return changed
            self.value = True
            return True
        if self.kind == "deferred":
            if not values:
                return False
            self.value, self.finished = True, False
            return True
        new = {v for v in values if v in self.names} - self.seen
        self.seen |= new
        return bool(new)

    def consume(self) -> bool:
        if self.kind == "barrier" and self.seen == self.names:
            self.seen = set()
            return True
        if self.kind in ("deferred", "deferred-barrier") and self.available():
            self.finished, self.value, self.seen = False, False, set()
            return True
        return False

    def finish(self) -> bool:
        if self.finished:
            return False
        if self.kind == "deferred" and self.value:
            self.finished = True
            return True
        if self.kind == "deferred-barrier" and self.seen == self.names:
            self.finished = True
            return True
        return False


@dataclass
class Walk:
    """What the walk found: edges as (source, target, conditional, label) and the
    nodes whose trigger is deferred."""

    edges: set[tuple[str, str, bool, str | None]]
    last_step: list[str]  # the nodes of the walk's last step
    deferred: set[str]


def writers_of(builder: Any) -> tuple[dict[str, list[str]], dict[str, list[Writer]]]:
    """Each node's trigger channels and its writers, as LangGraph compiles them."""
    triggers: dict[str, list[str]] = {START: [START]}
    writers: dict[str, list[Writer]] = {START: [Writer()]}
    for name in builder.nodes:
        triggers[name] = [branch_channel(name)]
        ends = command_ends(node_action(builder, name), node_destinations(builder, name))
        writers[name] = [Writer(declared=_declared(ends))]
    for source, target in builder.edges:
        if target != END:  # an edge to END writes nothing: END is drawn by other rules
            writers[source].append(Writer(plain=((branch_channel(target), None),)))
    for sources, target in builder.joins:
        if target == END:
            continue
        channel = join_channel(sources, target)
        triggers[target].append(channel)
        for source in sources:
            writers[source].append(Writer(plain=((channel, source),)))
    for source, branches in builder.branches.items():
        for path, path_map in branches:
            ends = path_map if path_map is not None else literal_ends(path)
            declared = [(t, str(label)) for label, t in ends.items()] if ends else []
            writers[source].append(Writer(declared=_declared(declared)))
    return triggers, writers


def _declared(ends: list[tuple[str, str | None]]) -> tuple[tuple[str, str | None], ...]:
    return tuple((t if t == END else branch_channel(t), label) for t, label in ends)


# -- what the builder holds (one place to read it) ------------------------------


def node_action(builder: Any, name: str) -> Any:
    return builder.nodes[name][0]


def node_destinations(builder: Any, name: str) -> Any:
    return builder.nodes[name][2]


def node_metadata(builder: Any, name: str) -> dict[str, Any] | None:
    return getattr(builder, "node_metadata", {}).get(name)


def deferred_nodes(builder: Any) -> set[str]:
    """Nodes added with `defer=True` (their trigger waits for the run to finish)."""
    return set(getattr(builder, "deferred", ()) or ())


def walk(builder: Any) -> Walk:
    triggers, writers = writers_of(builder)
    deferred = deferred_nodes(builder)
    channels: dict[str, _Channel] = {START: _Channel("wake")}
    for name in builder.nodes:
        channels[branch_channel(name)] = _Channel("deferred" if name in deferred else "wake")
    for sources, target in builder.joins:
        if target != END:
            kind = "deferred-barrier" if target in deferred else "barrier"
            channels[join_channel(sources, target)] = _Channel(kind, frozenset(sources))
    triggered_by: dict[str, list[str]] = {}
    for node, chans in triggers.items():
        for chan in chans:
            triggered_by.setdefault(chan, []).append(node)
    seen: dict[str, dict[str, int]] = {}

    def step(tasks: list[str], writes: dict[str, list[tuple[str, Any]]]) -> set[str]:
        """Apply one step's writes; return the trigger channels that opened."""
        version = max((c.version for c in channels.values()), default=0) + 1
        for task in tasks:
            seen.setdefault(task, {}).update(
                {c: channels[c].version for c in triggers[task] if channels[c].version}
            )
        for chan in {c for task in tasks for c in triggers[task]}:
            if channels[chan].consume():
                channels[chan].version = version
        grouped: dict[str, list[Any]] = {}
        for made in writes.values():
            for chan, value in made:
                if chan in channels:
                    grouped.setdefault(chan, []).append(value)
        opened: set[str] = set()
        for chan, values in grouped.items():
            if channels[chan].write(values):
                channels[chan].version = version
                if channels[chan].available():
                    opened.add(chan)
        if tasks:
            for name, chan in channels.items():
                if name not in opened and chan.available() and chan.write([]):
                    chan.version = version
                    if chan.available():
                        opened.add(name)
            if opened.isdisjoint(triggered_by):
                for name, chan in channels.items():
                    if chan.finish():
                        chan.version = version
                        if chan.available():
                            opened.add(name)
        return opened

    def ready() -> list[str]:
        """The nodes a channel with news for them wakes, in the order LangGraph sorts them."""
        out = []
        for node, chans in triggers.items():
            mine = seen.get(node)
            if any(
                channels[c].available()
                and (mine is None or channels[c].version > mine.get(c, 0))
                for c in chans
            ):
                out.append(node)
        return sorted(out)

    step([], {START: [(START, {})]})  # the (empty) input
    tasks = ready()
    edges: set[tuple[str, str, bool, str | None]] = set()
    applied: set[int] = set()  # writers whose declared writes were made already
    sources: dict[str, set[tuple[str, bool, str | None]]] = {}
    declared_by: dict[str, set[tuple[str, bool, str | None]]] = {}
    step_sources: dict[str, set[tuple[str, bool, str | None]]] = {}
    for _ in range(-1, STEP_LIMIT):
        if not tasks:
            break
        writes: dict[str, list[tuple[str, Any]]] = {}
        conditional: dict[tuple[str, str, Any], str | None] = {}
        for task in tasks:
            out = writes.setdefault(task, [])
            for writer in writers[task]:
                out.extend(writer.plain)
                if id(writer) in applied:
                    continue
                applied.add(id(writer))
                for chan, label in writer.declared:
                    if chan == END:  # END is never written: it is an edge at once
                        edges.add((task, END, True, label))
                        continue
                    conditional[(task, chan, None)] = label
                    declared_by.setdefault(task, set()).add((chan, True, label))
                    out.append((chan, None))
        step_sources = {}
        for task in tasks:
            made = {
                (chan, (task, chan, value or None) in conditional,
                 conditional.get((task, chan, value or None)))
                for chan, value in writes[task]
            }
            step_sources[task] = made | declared_by.get(task, set())
        sources.update(step_sources)
        woken_from: dict[str, set[tuple[str, bool, str | None]]] = {}
        for src, made in sources.items():
            for chan, cond, label in made:
                woken_from.setdefault(chan, set()).add((src, cond, label))
        step(tasks, writes)
        tasks = ready()
        for task in tasks:
            from_this_step = False
            for chan in triggers[task]:
                for src, cond, label in woken_from.get(chan, ()):
                    edges.add((src, task, cond, label))
                    if (chan, cond, label) in step_sources.get(src, ()):
                        from_this_step = True
                    else:
                        sources[src].discard((chan, cond, label))
            if not from_this_step:  # woken by nothing of the last step: from all of it
                for src in step_sources:
                    edges.add((src, task, True, None))
    return Walk(edges, list(step_sources), deferred)


# -- what a node or a path declares -------------------------------------------


def command_ends(fn: Any, destinations: Any) -> list[tuple[str, str | None]]:
    """Where a node says it may go with `Command(goto=...)`: `destinations=` (a tuple,
    or a dict of target -> label) or a `-> Command[Literal[...]]` annotation."""
    if destinations:
        if isinstance(destinations, dict):
            return [(t, label) for t, label in destinations.items()]
        return [(t, None) for t in destinations]
    return [(t, None) for t in _command_literal(fn)]


def command_targets(fn: Any) -> list[str]:
    """`def node(state) -> Command[Literal["a", END]]` may go to a or END."""
    return list(_command_literal(fn))


def _command_literal(fn: Any) -> tuple[str, ...]:
    from lockstep.types import Command

    call = getattr(fn, "__call__", None)  # noqa: B004 - a callable object's method
    if not (isfunction(fn) or ismethod(fn) or ismethod(call)):
        return ()
    try:
        hints = typing.get_type_hints(call) or typing.get_type_hints(fn)
    except (NameError, TypeError):
        return ()
    rtn = hints.get("return")
    if get_origin(rtn) is Union:
        rtn = next((a for a in get_args(rtn) if get_origin(a) is Command), rtn)
    args = get_args(rtn) if get_origin(rtn) is Command else ()
    if args and get_origin(args[0]) is Literal:
        return get_args(args[0])
    return ()


def literal_ends(path: Callable[..., Any]) -> dict[Hashable, str] | None:
    """A path function's `-> Literal["a", "b"]` return annotation as a path_map (of a
    LangChain `RunnableLambda` path too: its function's)."""
    if hasattr(path, "invoke") and not (isfunction(path) or ismethod(path)):
        path = getattr(path, "func", None) or getattr(path, "afunc", None)
    if not (isfunction(path) or ismethod(path)):
        return None
    try:
        rtn = typing.get_type_hints(path).get("return")
    except Exception:  # noqa: BLE001 - an annotation that does not resolve declares nothing
        return None
    if get_origin(rtn) is Literal:
        return {name: name for name in get_args(rtn)}
    return None
