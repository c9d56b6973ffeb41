"""StateGraph: describe nodes and edges over a typed state, then compile."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from lockstep.constants import END, RESERVED, START, branch_channel, join_channel
from lockstep.errors import GraphBuildError
from lockstep.graph.channels import Barrier, Channel, Trigger
from lockstep.graph.deferred import DeferredBarrier, DeferredTrigger
from lockstep.graph.node import Branch, Callee, NodeSpec
from lockstep.graph.schema import channels_for, input_schema_of, merge_channels
from lockstep.types import RetryPolicy


class StateGraph:
    """A graph whose nodes read the state and return partial updates to it."""

    def __init__(
        self,
        state_schema: type,
        context_schema: type | None = None,
        *,
        input_schema: type | None = None,
        output_schema: type | None = None,
        input: type | None = None,
        output: type | None = None,
        config_schema: type | None = None,
    ) -> None:
        context_schema = _renamed("config_schema", config_schema, "context_schema", context_schema)
        input_schema = _renamed("input", input, "input_schema", input_schema)
        output_schema = _renamed("output", output, "output_schema", output_schema)
        self.schema = self.state_schema = state_schema
        self.context_schema = context_schema
        self.input_schema = input_schema or state_schema
        self.output_schema = output_schema or state_schema
        # Every schema's keys, each a channel: the state's, the input's and output's,
        # and those of the nodes' own input schemas (private channels).
        self.schemas: dict[type, tuple[str, ...]] = {}
        self.channels: dict[str, Channel] = {}
        for schema in (state_schema, self.input_schema, self.output_schema):
            self._add_schema(schema)
        self.node_schemas: dict[str, type] = {}  # nodes reading another schema than the state's
        self.nodes: dict[str, tuple[Callable[..., Any], tuple[RetryPolicy, ...], tuple]] = {}
        self.edges: list[tuple[str, str]] = []
        self.joins: list[tuple[tuple[str, ...], str]] = []
        self.branches: dict[str, list[tuple[Callable[..., Any], dict[Hashable, str] | None]]] = {}
        self.compiled = False
        self.deferred: set[str] = set()  # nodes added with defer=True (graph/deferred.py)

    # -- building -----------------------------------------------------------

    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Callable[..., Any] | None = None,
        *,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        retry: RetryPolicy | Sequence[RetryPolicy] | None = None,
        destinations: Sequence[str] | None = None,
        defer: bool = False,
        input_schema: type | None = None,
        **_: Any,
    ) -> StateGraph:
        if action is None:
            if not callable(node):
                raise GraphBuildError(f"add_node({node!r}) needs a function to run")
            node, action = getattr(node, "__name__", type(node).__name__), node
        if not isinstance(node, str) or not node:
            raise GraphBuildError(f"a node name must be a non-empty string, got {node!r}")
        if node in RESERVED:
            raise GraphBuildError(f"{node!r} is a reserved name and cannot name a node")
        if any(ch in node for ch in ":|"):
            raise GraphBuildError(f"node name {node!r} must not contain ':' or '|'")
        if node in self.nodes:
            raise GraphBuildError(f"node {node!r} is already in the graph")
        if node in self.channels:
            raise GraphBuildError(f"{node!r} is already a state key; give the node another name")
        if not callable(action):
            raise GraphBuildError(f"node {node!r}: {action!r} is not callable")
        policy = retry_policy if retry_policy is not None else retry
        policies = (policy,) if isinstance(policy, RetryPolicy) else tuple(policy or ())
        self.nodes[node] = (action, policies, tuple(destinations or ()))
        if defer:
            self.deferred.add(node)
        schema = input_schema or input_schema_of(action)
        if schema is not None:
            self._add_schema(schema)
            if schema is not self.state_schema:
                self.node_schemas[node] = schema
        return self

    def _add_schema(self, schema: type) -> None:
        if schema not in self.schemas:
            channels = channels_for(schema)
            merge_channels(self.channels, schema, channels)
            self.schemas[schema] = tuple(channels)

    def add_edge(self, start: str | Sequence[str], end: str) -> StateGraph:
        if isinstance(start, str):
            if start == END:
                raise GraphBuildError("END cannot be the start of an edge")
            if end == START:
                raise GraphBuildError("START cannot be the end of an edge")
            self.edges.append((start, end))
        else:
            sources = tuple(start)
            if not sources:
                raise GraphBuildError("add_edge needs at least one start node")
            if END in sources or end == START:
                raise GraphBuildError(f"invalid join edge {list(sources)} -> {end!r}")
            self.joins.append((sources, end))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | Sequence[str] | None = None,
    ) -> StateGraph:
        if source == END:
            raise GraphBuildError("END cannot have outgoing edges")
        if path_map is not None and not isinstance(path_map, dict):
            path_map = {name: name for name in path_map}
        schema = input_schema_of(path)
        if schema is not None:
            self._add_schema(schema)
        self.branches.setdefault(source, []).append((path, path_map))
        return self

    def add_sequence(self, nodes: Sequence[str | Callable[..., Any]]) -> StateGraph:
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple):
                self.add_node(*item)
                name = item[0]
            else:
                self.add_node(item)
                name = getattr(item, "__name__", str(item))
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def set_entry_point(self, node: str) -> StateGraph:
        return self.add_edge(START, node)

    def set_conditional_entry_point(self, path: Callable[..., Any], path_map=None) -> StateGraph:
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, node: str) -> StateGraph:
        return self.add_edge(node, END)

    # -- compiling ----------------------------------------------------------

    def compile(
        self,
        checkpointer: Any = None,
        *,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        name: str | None = None,
        **_: Any,
    ):
        from lockstep.pregel.graph import CompiledGraph

        self._validate(interrupt_before, interrupt_after)
        specs = self._node_specs()
        channels = dict(self.channels)
        for spec in specs.values():
            deferred = spec.name in self.deferred
            for trigger in spec.triggers:
                if trigger.startswith("join:"):
                    sources = trigger.split(":", 2)[1].split("+")
                    barrier = DeferredBarrier if deferred else Barrier
                    channels[trigger] = barrier(trigger, sources)
                else:
                    channels[trigger] = DeferredTrigger(trigger) if deferred else Trigger(trigger)
        self.compiled = True
        return CompiledGraph(
            builder=self,
            nodes=specs,
            channels=channels,
            checkpointer=checkpointer,
            interrupt_before=_names(interrupt_before),
            interrupt_after=_names(interrupt_after),
            name=name or "LangGraph",
        )

    def _node_specs(self) -> dict[str, NodeSpec]:
        specs = {START: NodeSpec(START, None, (), [START])}
        for name, (fn, retry, _) in self.nodes.items():
            specs[name] = NodeSpec(name, Callee.of(fn), retry, [branch_channel(name)])
        for source, target in self.edges:
            if target != END:
                specs[source].edge_writes.append((branch_channel(target), None))
        for sources, target in self.joins:
            channel = join_channel(sources, target)
            if target != END:
                specs[target].triggers.append(channel)
            for source in sources:
                specs[source].edge_writes.append((channel, source))
        for source, branches in self.branches.items():
            for path, path_map in branches:
                specs[source].branches.append(Branch(Callee.of(path), path_map, input_schema_of(path)))
        return specs

    def _validate(self, before: Any, after: Any) -> None:
        known = set(self.nodes)
        for source, target in self.edges:
            if source != START and source not in known:
                raise GraphBuildError(f"edge {source!r} -> {target!r} starts at unknown node {source!r}")
            if target != END and target not in known:
                raise GraphBuildError(f"edge {source!r} -> {target!r} ends at unknown node {target!r}")
        for sources, target in self.joins:
            for source in sources:
                if source != START and source not in known:
                    raise GraphBuildError(f"join edge into {target!r} starts at unknown node {source!r}")
            if target != END and target not in known:
                raise GraphBuildError(f"join edge ends at unknown node {target!r}")
        for source, branches in self.branches.items():
            if source != START and source not in known:
                raise GraphBuildError(f"conditional edge starts at unknown node {source!r}")
            for _, path_map in branches:
                for target in (path_map or {}).values():
                    if target != END and target not in known:
                        raise GraphBuildError(
                            f"conditional edge from {source!r} maps to unknown node {target!r}"
                        )
        starts = {s for s, _ in self.edges} | set(self.branches) | {
            s for sources, _ in self.joins for s in sources
        }
        if START not in starts:
            raise GraphBuildError(
                "the graph has no entry point: add an edge from START, e.g. add_edge(START, 'first')"
            )
        for label, names in (("interrupt_before", before), ("interrupt_after", after)):
            for node in _names(names):
                if node != "*" and node not in known:
                    raise GraphBuildError(f"{label} names unknown node {node!r}")
        self._check_reachable()

    def _check_reachable(self) -> None:
        """Unreachable nodes are an error, when every way out of a node is declared."""
        out: dict[str, set[str]] = {}
        for source, target in self.edges:
            out.setdefault(source, set()).add(target)
        for sources, target in self.joins:
            for source in sources:
                out.setdefault(source, set()).add(target)
        for source, branches in self.branches.items():
            for _, path_map in branches:
                if path_map is None:
                    return  # the path may go anywhere: nothing to conclude
                out.setdefault(source, set()).update(path_map.values())
        for name, (_, _, destinations) in self.nodes.items():
            if destinations:
                out.setdefault(name, set()).update(destinations)
        seen, todo = {START}, [START]
        while todo:
            for target in out.get(todo.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        # A reached node with no declared way out may route with Command(goto=...):
        # then nothing can be concluded about the rest.
        for name in seen - {START}:
            if name in self.nodes and (name not in out or self._may_command(name)):
                return
        unreachable = [n for n in self.nodes if n not in seen]
        if unreachable:
            raise GraphBuildError(
                f"node(s) {', '.join(map(repr, unreachable))} cannot be reached from START"
            )

    def _may_command(self, name: str) -> bool:
        """A node annotated to return Command may go anywhere unless it names destinations."""
        fn, _, destinations = self.nodes[name]
        if destinations:
            return False
        hint = getattr(fn, "__annotations__", {}).get("return")
        return hint is not None and "Command" in str(hint)


def _renamed(old: str, value: type | None, new: str, current: type | None) -> type | None:
    """LangGraph's deprecated spellings of StateGraph's schema arguments, still read
    (with its warning) so older programs run: the new name wins when both are given."""
    if value is None:
        return current
    warnings.warn(f"`{old}` is deprecated; use `{new}` instead", DeprecationWarning, stacklevel=3)
    return current if current is not None else value


def _names(value: Sequence[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
