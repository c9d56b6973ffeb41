"""Random graph specs (plain data) and a builder that turns one into a graph of either library.

A spec is a dict of lists and strings only, so hypothesis can shrink it and a failing
example prints as something one can read. `build(spec, lib)` makes the same graph with
LangGraph's or lockstep's classes; every node is a deterministic function of its spec
entry and the state it is given, so both engines must agree on every event and every
checkpoint.
"""

from __future__ import annotations

import dataclasses
import operator
from types import SimpleNamespace
from typing import Annotated, Any, TypedDict

from hypothesis import strategies as st


def merge_tally(old: dict | None, new: dict | None) -> dict:
    """A user's own reducer: later counts win, keys accumulate, None clears."""
    if new is None:
        return {}
    return {**(old or {}), **new}


def highest(old: int, new: int) -> int:
    """A reducer that keeps the larger value (started from int(), as both libraries do)."""
    return max(old, new)


class State(TypedDict, total=False):
    log: Annotated[list, operator.add]  # every node appends what it did
    last: str  # a plain key: two writers in one step is an error
    count: int  # a plain key the nodes increment
    gate: int  # nodes that interrupt or fail do so while gate < their threshold
    tally: Annotated[dict, merge_tally]  # a custom reducer: node -> times it ran
    peak: Annotated[int, highest]  # a reducer whose start value comes from the type: int()


@dataclasses.dataclass
class DataState:
    """The same keys as a dataclass with defaults: nodes get an instance."""

    log: Annotated[list, operator.add] = dataclasses.field(default_factory=list)
    last: str = ""
    count: int = 0
    gate: int = 0
    tally: Annotated[dict, merge_tally] = dataclasses.field(default_factory=dict)
    peak: Annotated[int, highest] = 0
    item: int | None = None  # what a Send hands a node


SCHEMAS = {"typeddict": State, "dataclass": DataState}


def read(state: Any, key: str, default: Any = None) -> Any:
    """A key of the state as a node sees it: a dict (TypedDict, a Send's arg) or an object."""
    if isinstance(state, dict):
        return state.get(key, default)
    value = getattr(state, key, default)
    return default if value is None else value


END_NAME = "__end__"
START_NAME = "__start__"


def lib_langgraph() -> SimpleNamespace:
    import warnings

    from langgraph.checkpoint.memory import MemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, Send, interrupt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langgraph.errors import NodeInterrupt

    return SimpleNamespace(
        name="langgraph",
        StateGraph=StateGraph,
        START=START,
        END=END,
        NodeInterrupt=NodeInterrupt,
        interrupt=interrupt,
        Command=Command,
        Send=Send,
        MemorySaver=MemorySaver,
    )


def lib_lockstep() -> SimpleNamespace:
    from lockstep import END, START, Command, NodeInterrupt, Send, StateGraph, interrupt
    from lockstep.checkpoint import MemorySaver

    return SimpleNamespace(
        name="lockstep",
        StateGraph=StateGraph,
        START=START,
        END=END,
        NodeInterrupt=NodeInterrupt,
        interrupt=interrupt,
        Command=Command,
        Send=Send,
        MemorySaver=MemorySaver,
    )


# -- building -----------------------------------------------------------------


def _target(lib, name: str) -> str:
    return lib.END if name == END_NAME else name


def make_node(node: dict[str, Any], lib: SimpleNamespace):
    name = node["name"]

    def fn(state):
        gate = read(state, "gate", 0) or 0
        if node["error"] is not None and gate < node["error"]:
            raise ValueError(f"{name} failed at gate {gate}")
        if node["nodeint"] is not None and gate < node["nodeint"]:
            raise lib.NodeInterrupt(f"{name} needs gate {node['nodeint']}, has {gate}")
        entry = name
        if read(state, "item") is not None:
            entry += f":{read(state, 'item')}"
        for k in range(node["interrupts"]):
            answer = lib.interrupt(f"{name}?{k}")
            entry += f"<{answer}>"
        update: dict[str, Any] = {"log": [entry]}
        if node["write_last"]:
            update["last"] = name
        if node["count"]:
            update["count"] = (read(state, "count", 0) or 0) + 1
        if node.get("tally"):
            tally = read(state, "tally", {}) or {}
            update["tally"] = {name: tally.get(name, 0) + 1}
            update["peak"] = len(read(state, "log", []) or [])
        if node["ret"] == "none":
            return None
        if node["ret"] == "command":
            goto = [_goto_item(lib, g) for g in node["goto"]]
            return lib.Command(update=update, goto=goto)
        return update

    fn.__name__ = name
    return fn


def make_async_node(node: dict[str, Any], lib: SimpleNamespace):
    """The same node as a coroutine function (for runs through astream)."""
    sync = make_node(node, lib)

    async def fn(state):
        return sync(state)

    fn.__name__ = node["name"]
    return fn


def _goto_item(lib, g):
    if isinstance(g, list):  # ["send", target, item]
        return lib.Send(g[1], {"item": g[2]})
    return _target(lib, g)


def make_path(cond: dict[str, Any], lib: SimpleNamespace):
    options = cond["options"]

    def path(state):
        log = read(state, "log", []) or []
        index = (len(log) + (read(state, "gate", 0) or 0)) % len(options)
        option = options[index]
        if isinstance(option, dict):  # {"send": target, "n": how many}
            return [lib.Send(option["send"], {"item": i}) for i in range(option["n"])]
        if isinstance(option, list):
            return [o if cond["path_map"] else _target(lib, o) for o in option]
        return option if cond["path_map"] else _target(lib, option)

    return path


def build(
    spec: dict[str, Any],
    lib: SimpleNamespace,
    checkpointer=None,
    use_async: bool = False,
    subgraph: bool = False,
):
    """The spec's graph in `lib`. Nodes marked async are coroutine functions only when the
    graph will run through astream (a sync run cannot await them, in either library).
    A node with a "sub" spec is that graph, compiled as a subgraph (`subgraph`: no
    checkpointer of its own, so it keeps its checkpoints on its parent's thread)."""
    builder = lib.StateGraph(SCHEMAS[spec.get("schema", "typeddict")])
    for node in spec["nodes"]:
        if node.get("sub"):
            builder.add_node(node["name"], build(node["sub"], lib, use_async=use_async, subgraph=True))
            continue
        make = make_async_node if use_async and node.get("async") else make_node
        builder.add_node(node["name"], make(node, lib))
    for source, target in spec["edges"]:
        builder.add_edge(lib.START if source == START_NAME else source, _target(lib, target))
    for sources, target in spec["joins"]:
        builder.add_edge(list(sources), target)
    for cond in spec["conds"]:
        source = lib.START if cond["source"] == START_NAME else cond["source"]
        path_map = None
        if cond["path_map"]:
            path_map = {key: _target(lib, value) for key, value in cond["path_map"].items()}
        builder.add_conditional_edges(source, make_path(cond, lib), path_map)
    return builder.compile(
        checkpointer=None if subgraph else checkpointer or lib.MemorySaver(),
        interrupt_before=spec["interrupt_before"] or None,
        interrupt_after=spec["interrupt_after"] or None,
    )


# -- generating ---------------------------------------------------------------


def _maybe(draw, strategy, p_none: int = 3):
    """None most of the time (p_none out of p_none + 1), else a draw."""
    if draw(st.integers(0, p_none)) == 0:
        return draw(strategy)
    return None


@st.composite
def graph_specs(draw, nested: bool = True, max_nodes: int = 6, prefix: str = "n") -> dict[str, Any]:
    """A graph; with `nested`, one of its nodes may be a subgraph (a smaller graph of
    the same schema, whose nodes interrupt, fail and route as any others)."""
    n = draw(st.integers(1, max_nodes))
    names = [f"{prefix}{i}" for i in range(n)]
    nodes = []
    for i, name in enumerate(names):
        later = names[i + 1 :]
        ret = draw(st.sampled_from(["dict", "dict", "dict", "none", "command"]))
        goto: list[Any] = []
        if ret == "command":
            choices = later + [END_NAME]
            goto = draw(st.lists(st.sampled_from(choices), max_size=2, unique=True))
            if later and draw(st.integers(0, 3)) == 0:
                goto.append(["send", draw(st.sampled_from(later)), draw(st.integers(0, 2))])
        nodes.append(
            {
                "name": name,
                "ret": ret,
                "goto": goto,
                "write_last": draw(st.integers(0, 3)) == 0,
                "count": draw(st.integers(0, 3)) == 0,
                "nodeint": _maybe(draw, st.integers(1, 2), 4),
                "error": _maybe(draw, st.integers(1, 2), 6),
                "interrupts": draw(st.sampled_from([0, 0, 0, 0, 1, 2])),
                "tally": draw(st.integers(0, 3)) == 0,
                "async": draw(st.integers(0, 2)) == 0,
            }
        )
    edges: list[list[str]] = []
    joins: list[list[Any]] = []
    conds: list[dict[str, Any]] = []
    starts = draw(st.lists(st.sampled_from(names), min_size=0, max_size=2, unique=True))
    if not starts and draw(st.booleans()):
        conds.append(_cond(draw, START_NAME, names, names))
    else:
        starts = starts or [names[0]]
        edges += [[START_NAME, s] for s in starts]
    for i, name in enumerate(names):
        later = names[i + 1 :]
        kind = draw(st.sampled_from(["edge", "edge", "cond", "none", "edges"]))
        if kind == "edge":
            edges.append([name, draw(st.sampled_from(later + [END_NAME]))])
        elif kind == "edges" and later:
            for target in draw(st.lists(st.sampled_from(later), min_size=1, max_size=3, unique=True)):
                edges.append([name, target])
        elif kind == "cond":
            # back edges make loops; the recursion limit ends the ones that never stop
            back = names[: i + 1] if draw(st.integers(0, 5)) == 0 else []
            conds.append(_cond(draw, name, later + back, later))
    if n >= 3 and draw(st.integers(0, 2)) == 0:
        target_index = draw(st.integers(2, n - 1))
        sources = draw(
            st.lists(st.sampled_from(names[:target_index]), min_size=2, max_size=3, unique=True)
        )
        joins.append([sorted(sources), names[target_index]])
    _make_reachable(draw, names, edges, joins, conds)
    interrupt_before = draw(st.lists(st.sampled_from(names), max_size=1)) if draw(st.integers(0, 4)) == 0 else []
    interrupt_after = draw(st.lists(st.sampled_from(names), max_size=1)) if draw(st.integers(0, 4)) == 0 else []
    schema = draw(st.sampled_from(["typeddict", "typeddict", "dataclass"]))
    # A subgraph returns its whole state, so the parent's `log` gains it all again: in
    # a loop that doubles it each time round (in either engine). Only loop-free graphs
    # get one.
    if nested and not _loops(names, conds) and draw(st.integers(0, 3)) == 0:
        sub = draw(graph_specs(nested=False, max_nodes=3, prefix="s"))
        draw(st.sampled_from(nodes))["sub"] = {**sub, "schema": schema}
    return {
        "schema": schema,
        "nodes": nodes,
        "edges": edges,
        "joins": joins,
        "conds": conds,
        "interrupt_before": interrupt_before,
        "interrupt_after": interrupt_after,
    }


def _loops(names: list[str], conds: list[dict[str, Any]]) -> bool:
    """Whether a conditional edge may lead back (to its source or an earlier node)."""
    for cond in conds:
        if cond["source"] not in names:
            continue
        earlier = set(names[: names.index(cond["source"]) + 1])
        for option in cond["options"]:
            targets = [option["send"]] if isinstance(option, dict) else option if isinstance(option, list) else [option]
            if cond["path_map"]:
                targets = [cond["path_map"].get(t, t) for t in targets]
            if earlier.intersection(targets):
                return True
    return False


def _cond(draw, source: str, targets: list[str], forward: list[str]) -> dict[str, Any]:
    choices = targets + [END_NAME]
    options: list[Any] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["one", "one", "many", "send"]))
        if kind == "one" or (kind == "many" and len(targets) < 2):
            options.append(draw(st.sampled_from(choices)))
        elif kind == "many":
            options.append(draw(st.lists(st.sampled_from(targets), min_size=2, max_size=3, unique=True)))
        elif forward:
            options.append({"send": draw(st.sampled_from(forward)), "n": draw(st.integers(1, 3))})
        else:
            options.append(END_NAME)
    path_map = None
    if draw(st.booleans()):
        used = sorted({o for opt in options if not isinstance(opt, dict) for o in (opt if isinstance(opt, list) else [opt])})
        keys = {target: f"k_{target}" for target in used}
        path_map = {keys[t]: t for t in used}
        # a mapped target the path never picks is still declared
        if targets and draw(st.booleans()):
            extra = draw(st.sampled_from(targets))
            path_map.setdefault(f"k_{extra}", extra)
        options = [
            opt if isinstance(opt, dict) else ([keys[o] for o in opt] if isinstance(opt, list) else keys[opt])
            for opt in options
        ]
    return {"source": source, "options": options, "path_map": path_map}


def _make_reachable(draw, names, edges, joins, conds) -> None:
    """Give every node a declared way in from an earlier node (lockstep rejects unreachable ones)."""
    incoming: dict[str, set[str]] = {n: set() for n in names}
    for source, target in edges:
        if target in incoming:
            incoming[target].add(source)
    for sources, target in joins:
        incoming[target].update(sources)
    for cond in conds:
        if cond["path_map"]:
            targets = set(cond["path_map"].values())
        else:
            targets = {
                o
                for opt in cond["options"]
                for o in (
                    [opt["send"]] if isinstance(opt, dict) else opt if isinstance(opt, list) else [opt]
                )
            }
        for target in targets:
            if target in incoming:
                incoming[target].add(cond["source"])
    for i, name in enumerate(names):
        earlier = [START_NAME] + names[:i]
        if not incoming[name] & set(earlier):
            edges.append([draw(st.sampled_from(earlier)), name])


# -- operations ---------------------------------------------------------------


@st.composite
def operations(draw, spec: dict[str, Any]) -> list[dict[str, Any]]:
    names = [n["name"] for n in spec["nodes"]]
    modes = st.sampled_from(["values", "updates", ["values", "updates"], ["updates", "values"]])
    first = {
        "op": "run",
        "input": {"kind": "dict", "value": {"log": ["in"], "gate": draw(st.integers(0, 2))}},
        "mode": draw(modes),
        "before": None,
        "after": None,
    }
    ops = [first]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(
            st.sampled_from(
                ["resume_none", "resume_none", "resume", "update", "update", "input", "command", "travel", "fork"]
            )
        )
        if kind in ("resume_none", "resume", "input", "command"):
            if kind == "resume_none":
                inp: dict[str, Any] = {"kind": "none"}
            elif kind == "resume":
                inp = {"kind": "resume", "by_id": draw(st.booleans())}
            elif kind == "input":
                inp = {"kind": "dict", "value": {"log": ["again"], "gate": draw(st.integers(0, 3))}}
            else:
                inp = {
                    "kind": "command",
                    "update": draw(st.sampled_from([None, {"gate": 3}, {"gate": 0}, {"log": ["cmd"]}])),
                    "goto": draw(st.sampled_from([None] + names)),
                }
                if inp["update"] is None and inp["goto"] is None:
                    # an empty Command(): LangGraph fails with UnboundLocalError (its bug)
                    inp["update"] = {"gate": 3}
            per_call = draw(st.integers(0, 5)) == 0
            ops.append(
                {
                    "op": "run",
                    "input": inp,
                    "mode": draw(modes),
                    "before": draw(st.lists(st.sampled_from(names), max_size=1)) if per_call else None,
                    "after": draw(st.lists(st.sampled_from(names), max_size=1)) if per_call else None,
                }
            )
        elif kind == "update":
            ops.append(
                {
                    "op": "update",
                    "values": draw(
                        st.sampled_from([None, {"gate": 3}, {"gate": 1}, {"log": ["upd"]}, {"last": "u", "gate": 3}])
                    ),
                    "as_node": draw(st.sampled_from([None, None, "<next>", "<next>"] + names)),
                }
            )
        else:
            ops.append(
                {
                    "op": kind,  # travel: replay from an old checkpoint; fork: update it, then run
                    "index": draw(st.integers(0, 20)),
                    "values": draw(st.sampled_from([{"gate": 3}, {"log": ["fork"]}])),
                    "mode": draw(modes),
                }
            )
    return ops
