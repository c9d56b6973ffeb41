"""StateGraph: describe nodes and edges over a typed state, then compile."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from lockstep.constants import END, RESERVED, START, branch_channel, join_channel
from lockstep.errors import GraphBuildError
from lockstep.graph.channels import Barrier, Channel, Trigger
from lockstep.graph.deferred import DeferredBarrier, DeferredTrigger
from lockstep.graph.dryrun import command_targets
from lockstep.graph.node import Branch, Callee, NodeSpec, is_runnable, node_name
from lockstep.graph.schema import channels_for, input_schema_of, merge_channels
from lockstep.options import unsupported
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
    ) -> None:
        self.schema = self.state_schema = state_schema
        self.context_schema = context_schema  # what `context=` a run takes (coerced to it)
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
        self.node_metadata: dict[str, dict[str, Any] | None] = {}
        self.compiled = False
        self.cache_policies: dict[str, Any] = {}  # node -> CachePolicy (pregel/caching.py)
        self.deferred: set[str] = set()  # nodes added with defer=True (graph/deferred.py)

    # -- building -----------------------------------------------------------

    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Callable[..., Any] | None = None,
        *,
        defer: bool = False,
        metadata: dict[str, Any] | None = None,
        input_schema: type | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: Any = None,
        error_handler: Any = None,
        destinations: dict[str, str] | tuple[str, ...] | None = None,
        timeout: Any = None,
        trace_policy: Any = None,
    ) -> StateGraph:
        """Add a node: a function of the state (or a runnable) returning an update."""
        unsupported(
            "add_node",
            error_handler=(error_handler, "catch the error inside the node and return an update"),
            timeout=(timeout, "bound the work inside the node (e.g. asyncio.wait_for)"),
            trace_policy=(trace_policy, "Lockstep does not trace nodes"),
        )
        if action is None:
            if not callable(node) and not is_runnable(node):
                raise GraphBuildError(f"add_node({node!r}) needs a function to run")
            node, action = node_name(node), node
        if not isinstance(node, str) or not node:
            raise GraphBuildError(f"a node name must be a non-empty string, got {node!r}")
        if node in RESERVED:
            raise GraphBuildError(f"{node!r} is a reserved name and cannot name a node")
        if any(ch in node for ch in ":|"):
            raise GraphBuildError(f"node name {node!r} must not contain ':' or '|'")
        if node in self.nodes:
            raise GraphBuildError(f"node {node!r} is already in the graph")
        if not callable(action) and not is_runnable(action):
            raise GraphBuildError(
                f"node {node!r}: {action!r} is neither callable nor a runnable (invoke/ainvoke)"
            )
        policy = retry_policy
        policies = (policy,) if isinstance(policy, RetryPolicy) else tuple(policy or ())
        if isinstance(destinations, dict):  # target -> the label get_graph() draws
            destinations = dict(destinations)
        else:
            destinations = tuple(destinations or ())
        self.nodes[node] = (action, policies, destinations)
        if defer:
            self.deferred.add(node)
        self.node_metadata[node] = metadata
        if cache_policy is not None:
            if not (hasattr(cache_policy, "key_func") and hasattr(cache_policy, "ttl")):
                raise TypeError(
                    f"add_node({node!r}, cache_policy=...) takes a CachePolicy, "
                    f"got {type(cache_policy).__name__}"
                )
            self.cache_policies[node] = cache_policy
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

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph:
        start, end = start_key, end_key
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
                name = node_name(item)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | Sequence[str] | None = None,
    ) -> StateGraph:
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph:
        return self.add_edge(key, END)

    # -- compiling ----------------------------------------------------------

    def compile(
        self,
        checkpointer: Any = None,
        *,
        cache: Any = None,
        store: Any = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        debug: bool = False,
        name: str | None = None,
        transformers: Any = None,
    ):
        """The runnable graph. `store` is handed to nodes (`store` parameter, `runtime.store`)."""
        from lockstep.pregel.graph import CompiledGraph

        unsupported(
            "compile",
            debug=(debug or None, 'stream with stream_mode="debug" to see each step'),
            transformers=(transformers, "transform the chunks as you read them"),
        )
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
        graph = CompiledGraph(
            builder=self,
            nodes=specs,
            channels=channels,
            checkpointer=checkpointer,
            interrupt_before=_names(interrupt_before),
            interrupt_after=_names(interrupt_after),
            name=name or "LangGraph",
            store=store,
        )
        graph.cache = cache  # with cache_policies: see pregel/caching.py
        graph.cache_policies = dict(self.cache_policies)
        return graph

    def _node_specs(self) -> dict[str, NodeSpec]:
        specs = {START: NodeSpec(START, None, (), [START])}
        for name, (fn, retry, _) in self.nodes.items():
            callee = Callee.of(fn, name)
            callee.metadata = self.node_metadata.get(name)
            specs[name] = NodeSpec(name, callee, retry, [branch_channel(name)])
        for source, target in self.edges:
            if target != END:
                specs[source].edge_writes.append((branch_channel(target), None))
        for sources, target in self.joins:
            if target == END:  # as an edge into END: nothing waits on the join
                continue
            channel = join_channel(sources, target)
            specs[target].triggers.append(channel)
            for source in sources:
                specs[source].edge_writes.append((channel, source))
        for source, branches in self.branches.items():
            for path, path_map in branches:
                callee = Callee.of(path)
                specs[source].branches.append(Branch(callee, path_map, input_schema_of(path)))
                specs[source].async_paths |= callee.afn is not None
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
        for name, (fn, _, destinations) in self.nodes.items():
            ends = destinations or command_targets(fn)  # -> Command[Literal[...]] names them
            if ends:
                out.setdefault(name, set()).update(ends)
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
        """A node annotated to return Command may go anywhere unless it names destinations
        (`destinations=` or `-> Command[Literal[...]]`)."""
        fn, _, destinations = self.nodes[name]
        if destinations or command_targets(fn):
            return False
        hint = getattr(fn, "__annotations__", {}).get("return")
        return hint is not None and "Command" in str(hint)


def _names(value: Sequence[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
