"""Crash-test graph: a -> (b1, b2, b3) -> c -> d, every node slow and counted.

Each node sleeps `nap` seconds (b2 twice as long), then appends "<tag> <node>"
to the side file named by `log` before returning, so a test can count how often
each node of each thread ran, across server processes. Every node writes its
own key (v<node>) and appends to `trail`; `c` and `d` add up what came before, so a state
mixed from two steps cannot equal any step's state.

`graph` has only sync nodes (the engine runs the step's tasks one after another
in a worker thread); `async_graph` has async b-nodes, which run at once.
"""

from __future__ import annotations

import asyncio
import operator
import os
import time
from typing import Annotated, TypedDict

from lockstep import END, START, StateGraph


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


def _count(state: State, name: str) -> None:
    """One line per execution; O_APPEND keeps lines whole between processes."""
    fd = os.open(state["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{state['tag']} {name}\n".encode())
    finally:
        os.close(fd)


def a(state: State) -> State:
    time.sleep(state["nap"])
    _count(state, "a")
    return {"va": 1, "trail": ["a"]}


def _b(name: str, value: int, factor: float):
    def node(state: State) -> State:
        time.sleep(state["nap"] * factor)
        _count(state, name)
        return {f"v{name}": state["va"] * value, "trail": [name]}

    node.__name__ = name
    return node


def _async_b(name: str, value: int, factor: float):
    async def node(state: State) -> State:
        await asyncio.sleep(state["nap"] * factor)
        _count(state, name)
        return {f"v{name}": state["va"] * value, "trail": [name]}

    node.__name__ = name
    return node


def c(state: State) -> State:
    time.sleep(state["nap"])
    _count(state, "c")
    return {"vc": state["vb1"] + state["vb2"] + state["vb3"], "trail": ["c"]}


def d(state: State) -> State:
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


NODES = ("a", "b1", "b2", "b3", "c", "d")
graph = build(_b).compile()
async_graph = build(_async_b).compile()
