"""Crash-test graph: a -> (b1, b2, b3) -> c -> d, every node slow and counted.

Each node sleeps `nap` seconds (b2 twice as long), then appends "<tag> <node>"
to the side file named by `log` before returning, so a test can count how often
each node of each thread ran, across server processes. Every node writes its
own key (v<node>) and appends to `trail`; `c` and `d` add up what came before, so a state
mixed from two steps cannot equal any step's state.

`graph` has only sync nodes (the engine runs the step's tasks one after another
in a worker thread); `async_graph` has async b-nodes, which run at once;
`nested_graph` is a -> sub, sub a subgraph s1 -> s2 -> s3.

Faults, for tests/crash/test_crash_faults.py: the file named by $LOCKSTEP_TEST_FAULTS
holds lines "<thread> <node> raise|exit|hold" (the node raises, ends the server
process with os._exit, or waits for as long as the line is there: its siblings'
writes are saved meanwhile, so a test can kill the server in that window) and "<thread> store full|locked <step>" (with
`store_graph`, the checkpoint of that step fails to save: SQLite's "database or
disk is full", or a real "database is locked" when another connection holds the
write lock). A node checks the file before doing anything, so a failed attempt
is not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import os
import sqlite3
import threading
import time
from typing import Annotated, TypedDict

from lockstep import END, START, StateGraph
from lockstep.checkpoint.base import BaseSaver


class State(TypedDict, total=False):
    tag: str
    log: str
    nap: float
    trail: Annotated[list[str], operator.add]
    va: int
    vb1: int
    vb2: int
    vb3: int
    vc: int
    vd: int


def faults(thread_id: str) -> list[list[str]]:
    """The fault lines for a thread (none when no fault file is set or it is gone)."""
    path = os.environ.get("LOCKSTEP_TEST_FAULTS", "")
    if not path or not os.path.exists(path):
        return []
    with open(path) as file:
        lines = [line.split() for line in file]
    return [line[1:] for line in lines if line and line[0] == thread_id]


def _fault(state: State, name: str) -> None:
    for fault in faults(state["tag"]):
        if fault[0] == name and fault[1] == "raise":
            raise RuntimeError(f"{name} was told to fail")
        if fault[0] == name and fault[1] == "exit":
            os._exit(3)


def _held(state: State, name: str) -> bool:
    return [name, "hold"] in (fault[:2] for fault in faults(state["tag"]))


def _hold(state: State, name: str) -> None:
    while _held(state, name):
        time.sleep(0.01)


async def _ahold(state: State, name: str) -> None:
    while _held(state, name):
        await asyncio.sleep(0.01)


def _count(state: State, name: str) -> None:
    """One line per execution; O_APPEND keeps lines whole between processes."""
    fd = os.open(state["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{state['tag']} {name}\n".encode())
    finally:
        os.close(fd)


def a(state: State) -> State:
    _fault(state, "a")
    time.sleep(state["nap"])
    _count(state, "a")
    return {"va": 1, "trail": ["a"]}


def _b(name: str, value: int, factor: float):
    def node(state: State) -> State:
        _fault(state, name)
        _hold(state, name)
        time.sleep(state["nap"] * factor)
        _count(state, name)
        return {f"v{name}": state["va"] * value, "trail": [name]}

    node.__name__ = name
    return node


def _async_b(name: str, value: int, factor: float):
    async def node(state: State) -> State:
        _fault(state, name)
        await _ahold(state, name)
        await asyncio.sleep(state["nap"] * factor)
        _count(state, name)
        return {f"v{name}": state["va"] * value, "trail": [name]}

    node.__name__ = name
    return node


def c(state: State) -> State:
    _fault(state, "c")
    time.sleep(state["nap"])
    _count(state, "c")
    return {"vc": state["vb1"] + state["vb2"] + state["vb3"], "trail": ["c"]}


def d(state: State) -> State:
    _fault(state, "d")
    time.sleep(state["nap"])
    _count(state, "d")
    return {"vd": state["vc"] * 10 + state["va"], "trail": ["d"]}


def build(make_b) -> StateGraph:
    builder = StateGraph(State)
    builder.add_node("a", a)
    for name, value, factor in (("b1", 2, 1.0), ("b2", 3, 2.0), ("b3", 5, 0.5)):
        builder.add_node(name, make_b(name, value, factor))
        builder.add_edge("a", name)
    builder.add_node("c", c)
    builder.add_node("d", d)
    builder.add_edge(START, "a")
    builder.add_edge(["b1", "b2", "b3"], "c")
    builder.add_edge("c", "d")
    builder.add_edge("d", END)
    return builder


class FaultySaver:
    """The server's saver, failing the checkpoint puts the fault file names."""

    def __init__(self, saver) -> None:
        self._saver = saver
        self.blocking = getattr(saver, "blocking", True)
        self._local = threading.local()

    def __getattr__(self, name: str):
        return getattr(self._saver, name)

    def put(self, config, checkpoint, metadata, blobs):
        thread_id = config["configurable"]["thread_id"]
        for fault in faults(thread_id):
            if fault[0] == "store" and int(fault[2]) == metadata.get("step"):
                if fault[1] == "full":
                    raise sqlite3.OperationalError("database or disk is full")
                if fault[1] == "locked":
                    self._local.short_wait = True
        return self._saver.put(config, checkpoint, metadata, blobs)

    def put_step(self, config, writes, checkpoint, metadata, blobs):
        """As BaseSaver's: the writes, then a put that can fail, in one batch."""
        with self.batch():
            self._saver.put_writes(config, writes)
            return self.put(config, checkpoint, metadata, blobs)

    def batch_later(self, lane, on_done):
        """Written at once, through `batch` below, so a fault can meet its commit."""
        return BaseSaver.batch_later(self, lane, on_done)

    @contextlib.contextmanager
    def batch(self):
        """The real batch; when a put in it is to meet a lock, its commit waits
        0.2 s for it rather than 30 s, and SQLite itself says "database is locked"."""
        self._local.short_wait = False
        conn, lock = self._saver._conn, self._saver._lock
        try:
            with self._saver.batch():
                yield
                if self._local.short_wait:
                    with lock:
                        conn.execute("PRAGMA busy_timeout = 200")
        finally:
            if self._local.short_wait:
                with lock:
                    conn.execute("PRAGMA busy_timeout = 30000")


class StoreFaultGraph(type(build(_b).compile())):
    """`graph`, whose store (set by the server) fails when told to."""

    @property
    def checkpointer(self):
        return self._checkpointer

    @checkpointer.setter
    def checkpointer(self, saver) -> None:
        self._checkpointer = FaultySaver(saver) if saver is not None else None


def _s(name: str):
    """A node of the subgraph: fault-checked, slow and counted like the others."""

    def node(state: State) -> State:
        _fault(state, name)
        time.sleep(state["nap"])
        _count(state, name)
        return {"trail": [name]}

    node.__name__ = name
    return node


def build_nested() -> StateGraph:
    """a -> sub -> END, where sub is a compiled graph s1 -> s2 -> s3 (it checkpoints
    on the parent's thread, under its own namespace)."""
    inner = StateGraph(State)
    for name in SUB_NODES:
        inner.add_node(name, _s(name))
    inner.add_edge(START, "s1")
    inner.add_edge("s1", "s2")
    inner.add_edge("s2", "s3")
    builder = StateGraph(State)
    builder.add_node("a", a)
    builder.add_node("sub", inner.compile())
    builder.add_edge(START, "a")
    builder.add_edge("a", "sub")
    builder.add_edge("sub", END)
    return builder


NODES = ("a", "b1", "b2", "b3", "c", "d")
SUB_NODES = ("s1", "s2", "s3")
graph = build(_b).compile()
nested_graph = build_nested().compile()
async_graph = build(_async_b).compile()
store_graph = build(_b).compile()
store_graph.__class__ = StoreFaultGraph
store_graph.checkpointer = None
