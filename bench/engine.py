"""Lockstep's engine against LangGraph, in one process, with in-memory checkpointers.

Cases (each on a fresh thread per run, MemorySaver in both engines):

  a. the seed graph (../shared/seed/SCENARIO.md), input "hello", sync invoke to the end
  b. a 100-node chain
  c. a 20-way fan-out into an Annotated[list, operator.add] key, joined by one node
  d. get_state on a thread the 100-node chain ran on
  e. list(get_state_history(...)) on that thread (102 checkpoints)
  f. a MessagesState agent loop: a stub model asks for a tool 20 times, a ToolNode
     (each engine's own) answers, tools_condition routes; then the model answers

and, Lockstep against itself (target: at most 1.5x the flat graph's time):

  g. a run through a two-level subgraph: a chain of 10 nodes whose middle node is a
     subgraph of 10 nodes whose middle node is a subgraph of 10, against the same
     30 nodes in one flat chain (MemorySaver; each subgraph checkpoints on the thread)

Each figure is the median over several repetitions of the mean time of one call
in a small batch; the engines' repetitions alternate (and swap which goes first)
so drift in the machine hits both alike. Target: lockstep >= 10x faster on each.

Run with `make bench` (or `.venv/bin/python bench/engine.py`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import operator
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import langgraph
import langgraph.checkpoint.memory as lg_memory
import langgraph.errors as lg_errors
import langgraph.graph as lg_graph
import langgraph.prebuilt as lg_prebuilt
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

import lockstep
import lockstep.checkpoint as ls_checkpoint
import lockstep.graph as ls_graph
import lockstep.prebuilt as ls_prebuilt

TARGET = 10.0
NESTING_TARGET = 1.5  # case g: the nested graph's time over the flat one's, at most
CHAIN = 100
LEVEL = 10  # case g: nodes per level
FANOUT = 20
TOOL_ROUNDS = 20


class Engine:
    """The names a graph needs, from one engine or the other."""

    def __init__(self, name: str, *, StateGraph, START, END, NodeInterrupt, MemorySaver, chat):
        self.name = name
        self.StateGraph = StateGraph
        self.START = START
        self.END = END
        self.NodeInterrupt = NodeInterrupt
        self.MemorySaver = MemorySaver
        # (MessagesState, ToolNode, tools_condition)
        self.MessagesState, self.ToolNode, self.tools_condition = chat


LOCKSTEP = Engine(
    "lockstep",
    StateGraph=lockstep.StateGraph,
    START=lockstep.START,
    END=lockstep.END,
    NodeInterrupt=lockstep.NodeInterrupt,
    MemorySaver=ls_checkpoint.MemorySaver,
    chat=(ls_graph.MessagesState, ls_prebuilt.ToolNode, ls_prebuilt.tools_condition),
)
LANGGRAPH = Engine(
    "langgraph",
    StateGraph=lg_graph.StateGraph,
    START=lg_graph.START,
    END=lg_graph.END,
    NodeInterrupt=lg_errors.NodeInterrupt,
    MemorySaver=lg_memory.MemorySaver,
    chat=(lg_graph.MessagesState, lg_prebuilt.ToolNode, lg_prebuilt.tools_condition),
)


# -- the graphs ----------------------------------------------------------------


class SeedState(TypedDict):
    input: str


def seed_graph(e: Engine):
    """The seed scenario's graph, verbatim (its prints go to a null sink while timed)."""

    def step_1(state):
        print("---Step 1---")
        return state

    def step_2(state):
        if len(state["input"]) > 5:
            raise e.NodeInterrupt(
                f"Received input that is longer than 5 characters: {state['input']}"
            )
        print("---Step 2---")
        return state

    def step_3(state):
        print("---Step 3---")
        return state

    builder = e.StateGraph(SeedState)
    builder.add_node("step_1", step_1)
    builder.add_node("step_2", step_2)
    builder.add_node("step_3", step_3)
    builder.add_edge(e.START, "step_1")
    builder.add_edge("step_1", "step_2")
    builder.add_edge("step_2", "step_3")
    builder.add_edge("step_3", e.END)
    return builder.compile(checkpointer=e.MemorySaver())


class ChainState(TypedDict):
    n: int


def chain_graph(e: Engine, length: int = CHAIN):
    def bump(state):
        return {"n": state["n"] + 1}

    builder = e.StateGraph(ChainState)
    names = [f"node_{i:03d}" for i in range(length)]
    for name in names:
        builder.add_node(name, bump)
    builder.add_edge(e.START, names[0])
    for a, b in itertools.pairwise(names):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], e.END)
    return builder.compile(checkpointer=e.MemorySaver())


class FanState(TypedDict):
    items: Annotated[list, operator.add]
    total: int


def fanout_graph(e: Engine, width: int = FANOUT):
    def worker(i: int) -> Callable[[Any], dict]:
        def run(state):
            return {"items": [i]}

        return run

    def join(state):
        return {"total": len(state["items"])}

    builder = e.StateGraph(FanState)
    names = [f"worker_{i:02d}" for i in range(width)]
    for i, name in enumerate(names):
        builder.add_node(name, worker(i))
        builder.add_edge(e.START, name)
    builder.add_node("join", join)
    builder.add_edge(names, "join")
    builder.add_edge("join", e.END)
    return builder.compile(checkpointer=e.MemorySaver())


@tool
def lookup(query: str) -> str:
    """Looks the query up (the agent's one tool)."""
    return f"result for {query}"


def agent_graph(e: Engine, rounds: int = TOOL_ROUNDS):
    """The docs' tool-calling agent, with a stub for the model: it asks for the tool
    until it has `rounds` answers, then replies."""

    def model(state):
        answered = sum(1 for m in state["messages"] if m.type == "tool")
        if answered < rounds:
            call = {"name": "lookup", "args": {"query": f"q{answered}"}, "id": f"call_{answered}"}
            return {"messages": [AIMessage("", tool_calls=[call])]}
        return {"messages": [AIMessage("done")]}

    builder = e.StateGraph(e.MessagesState)
    builder.add_node("agent", model)
    builder.add_node("tools", e.ToolNode([lookup]))
    builder.add_edge(e.START, "agent")
    builder.add_conditional_edges("agent", e.tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=e.MemorySaver())


# -- the cases -----------------------------------------------------------------

_threads = itertools.count()


def fresh() -> dict:
    """A new thread's config; no recursion_limit: both engines run with their defaults."""
    return {"configurable": {"thread_id": f"bench-{next(_threads)}"}}


class Case:
    """One benchmark case for one engine: `run()` is the timed call."""

    def __init__(self, run: Callable[[], Any], check: Callable[[Any], bool]):
        self.run = run
        self.check = check


def seed_case(e: Engine) -> Case:
    graph = seed_graph(e)
    return Case(
        lambda: graph.invoke({"input": "hello"}, fresh()),
        lambda out: out == {"input": "hello"},
    )


def chain_case(e: Engine) -> Case:
    graph = chain_graph(e)
    return Case(lambda: graph.invoke({"n": 0}, fresh()), lambda out: out == {"n": CHAIN})


def fanout_case(e: Engine) -> Case:
    graph = fanout_graph(e)
    return Case(
        lambda: graph.invoke({"items": []}, fresh()),
        lambda out: sorted(out["items"]) == list(range(FANOUT)) and out["total"] == FANOUT,
    )


def _chain_thread(e: Engine):
    graph = chain_graph(e)
    config = fresh()
    graph.invoke({"n": 0}, config)
    return graph, {"configurable": {"thread_id": config["configurable"]["thread_id"]}}


def get_state_case(e: Engine) -> Case:
    graph, config = _chain_thread(e)
    return Case(
        lambda: graph.get_state(config),
        lambda snap: snap.values == {"n": CHAIN} and snap.next == (),
    )


def history_case(e: Engine) -> Case:
    graph, config = _chain_thread(e)
    return Case(
        lambda: list(graph.get_state_history(config)),
        lambda h: len(h) == CHAIN + 2 and h[0].values == {"n": CHAIN} and h[-1].values == {},
    )


def agent_case(e: Engine) -> Case:
    graph = agent_graph(e)
    return Case(
        lambda: graph.invoke({"messages": [("user", "go")]}, fresh()),
        lambda out: len(out["messages"]) == 2 + 2 * TOOL_ROUNDS
        and out["messages"][-1].content == "done"
        and out["messages"][-2].content == f"result for q{TOOL_ROUNDS - 1}",
    )


# (label, case factory, calls per timed batch, repetitions)
CASES = [
    ("a. seed graph, invoke 'hello'", seed_case, 20, 31),
    (f"b. {CHAIN}-node chain, invoke", chain_case, 3, 21),
    (f"c. {FANOUT}-way fan-out + join, invoke", fanout_case, 10, 31),
    (f"d. get_state after the {CHAIN}-node chain", get_state_case, 200, 31),
    (f"e. list(get_state_history) after the {CHAIN}-node chain", history_case, 3, 21),
    (f"f. agent loop, {TOOL_ROUNDS} tool rounds, invoke", agent_case, 2, 15),
]


def _level(e: Engine, prefix: str, middle: Any = None):
    """LEVEL chained nodes bumping `n`; with `middle`, it stands in the middle as a node."""

    def bump(state):
        return {"n": state["n"] + 1}

    builder = e.StateGraph(ChainState)
    names = [f"{prefix}{i}" for i in range(LEVEL)]
    for name in names:
        builder.add_node(name, bump)
    if middle is not None:
        names.insert(LEVEL // 2, f"{prefix}_sub")
        builder.add_node(names[LEVEL // 2], middle)
    builder.add_edge(e.START, names[0])
    for a, b in itertools.pairwise(names):
        builder.add_edge(a, b)
    return builder


def nested_graph(e: Engine):
    inner = _level(e, "i").compile()
    middle = _level(e, "m", inner).compile()
    return _level(e, "r", middle).compile(checkpointer=e.MemorySaver())


def flat_graph(e: Engine):
    return chain_graph(e, 3 * LEVEL)


def nesting_cases() -> dict[str, Case]:
    """Case g: the same 30 nodes, through two levels of subgraphs and flat."""
    want = {"n": 3 * LEVEL}
    out = {}
    for label, graph in (("nested", nested_graph(LOCKSTEP)), ("flat", flat_graph(LOCKSTEP))):
        out[label] = Case(lambda g=graph: g.invoke({"n": 0}, fresh()), lambda r: r == want)
    return out


# -- timing ----------------------------------------------------------------------


class _Null:
    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass


def batch(run: Callable[[], Any], calls: int) -> float:
    """Mean seconds per call over one batch."""
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def measure(
    factory, calls: int, reps: int, engines: tuple[Engine, Engine] | None = None
) -> tuple[float, float]:
    """Median seconds per call of (lockstep, langgraph); `engines` replaces the two
    engines (bench/postgres.py gives them its savers)."""
    cases = {e.name: factory(e) for e in (engines or (LOCKSTEP, LANGGRAPH))}
    samples = _samples(cases, calls, reps)
    return statistics.median(samples["lockstep"]), statistics.median(samples["langgraph"])


def _samples(cases: dict[str, Case], calls: int, reps: int) -> dict[str, list[float]]:
    """Each case's batch times, the cases alternating (and swapping who goes first)."""
    for name, case in cases.items():  # warm up, and make sure both compute the same thing
        out = case.run()
        if not case.check(out):
            raise SystemExit(f"{name} gave a wrong result: {out!r:.200}")
        batch(case.run, calls)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    for _ in range(reps):
        for name in order:
            gc.collect()
            samples[name].append(batch(cases[name].run, calls))
        order.reverse()  # alternate who goes first
    return samples


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    import os

    print(
        f"lockstep vs langgraph {langgraph_version()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({cpu_model()})"
    )
    print("median per call; target: lockstep at least 10x faster\n")
    header = f"{'case':<52} {'lockstep':>11} {'langgraph':>11} {'ratio':>8}  target"
    print(header)
    print("-" * len(header))
    misses = 0
    began = time.perf_counter()
    for label, factory, calls, reps in CASES:
        with contextlib.redirect_stdout(_Null()):
            ours, theirs = measure(factory, calls, reps)
        ratio = theirs / ours
        ok = ratio >= TARGET
        misses += not ok
        print(
            f"{label:<52} {fmt(ours):>11} {fmt(theirs):>11} {ratio:>7.1f}x  "
            f"{'met' if ok else 'MISSED'}",
            flush=True,
        )
    print(
        f"\n{len(CASES) - misses}/{len(CASES)} cases meet the target "
        f"({time.perf_counter() - began:.0f} s)"
    )
    with contextlib.redirect_stdout(_Null()):
        samples = _samples(nesting_cases(), 5, 21)
    nested, flat = statistics.median(samples["nested"]), statistics.median(samples["flat"])
    ratio = nested / flat
    print(
        f"\ng. two-level subgraph, {3 * LEVEL} nodes: {fmt(nested)} nested, {fmt(flat)} flat: "
        f"{ratio:.2f}x the flat time (target at most {NESTING_TARGET}x: "
        f"{'met' if ratio <= NESTING_TARGET else 'MISSED'})"
    )
    return 0


def langgraph_version() -> str:
    from importlib.metadata import version

    try:
        return version("langgraph")
    except Exception:  # pragma: no cover - metadata missing
        return getattr(langgraph, "__version__", "?")


if __name__ == "__main__":
    sys.exit(main())
