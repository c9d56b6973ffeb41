"""Supersteps: every triggered node runs in the step, writes apply together in a fixed
order, async nodes run concurrently, sync nodes stay off the event loop, Send fans out."""

from __future__ import annotations

import asyncio
import operator
import threading
from typing import Annotated, TypedDict

from support import run, thread

from lockstep import END, START, Command, Send, StateGraph
from lockstep.checkpoint import MemorySaver

WAIT = 5.0  # generous: only reached when the behaviour under test is broken


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def test_writes_apply_in_node_name_order_not_completion_order(driver):
    """'z' finishes first (and is added first), yet 'a's write lands first."""
    z_done = asyncio.Event()

    async def a(state):
        await asyncio.wait_for(z_done.wait(), WAIT)
        return {"log": ["a"]}

    async def z(state):
        z_done.set()
        return {"log": ["z"]}

    def sync_a(state):
        return {"log": ["a"]}

    def sync_z(state):
        return {"log": ["z"]}

    b = StateGraph(S)
    if driver == "astream":
        b.add_node("z", z)
        b.add_node("a", a)
    else:  # a sync driver runs a step's nodes in name order (as LangGraph): a, then z
        b.add_node("z", sync_z)
        b.add_node("a", sync_a)
    b.add_edge(START, "z")
    b.add_edge(START, "a")
    graph = b.compile(checkpointer=MemorySaver())
    updates = run(graph, {"x": 0}, thread("t"), driver=driver, stream_mode="updates")
    # Each task's update streams as it completes: async z first; sync a first.
    expected = ["z", "a"] if driver == "astream" else ["a", "z"]
    assert [next(iter(u)) for u in updates] == expected
    assert graph.get_state(thread("t")).values["log"] == ["a", "z"]  # apply order


def test_sends_apply_after_pull_tasks_in_the_order_sent():
    def fan(state):
        return [Send("w", {"x": i, "log": []}) for i in (3, 1, 2)]

    b = StateGraph(S)
    b.add_node("w", lambda s: {"log": [f"w{s['x']}"]})
    b.add_node("zz", lambda s: {"log": ["zz"]})
    b.add_edge(START, "zz")
    b.add_conditional_edges(START, fan)
    assert b.compile().invoke({"x": 0})["log"] == ["zz", "w3", "w1", "w2"]


def test_nodes_of_a_step_see_the_state_from_before_the_step():
    seen = {}

    def reader(name):
        def fn(state):
            seen[name] = list(state["log"])
            return {"log": [name]}

        return fn

    b = StateGraph(S)
    b.add_node("a", reader("a"))
    b.add_node("b", reader("b"))
    b.add_node("c", reader("c"))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("a", "c")
    b.compile().invoke({"log": ["in"]})
    assert seen == {"a": ["in"], "b": ["in"], "c": ["in", "a", "b"]}


def test_async_nodes_of_one_step_run_concurrently():
    """A handshake: each node waits for the other's signal. Run one after the other,
    the first would wait forever (here: time out and fail)."""
    ping, pong = asyncio.Event(), asyncio.Event()

    async def left(state):
        ping.set()
        await asyncio.wait_for(pong.wait(), WAIT)
        return {"log": ["left"]}

    async def right(state):
        pong.set()
        await asyncio.wait_for(ping.wait(), WAIT)
        return {"log": ["right"]}

    b = StateGraph(S)
    b.add_node("left", left)
    b.add_node("right", right)
    b.add_edge(START, "left")
    b.add_edge(START, "right")
    graph = b.compile()
    assert asyncio.run(graph.ainvoke({"x": 0}))["log"] == ["left", "right"]


def test_sync_node_in_astream_runs_off_the_event_loop():
    """The sync node blocks on a threading.Event that only another asyncio task sets:
    were the node called on the event loop, that task could never run."""
    released = threading.Event()

    def blocking(state):
        return {"log": [f"released={released.wait(WAIT)}"]}

    b = StateGraph(S)
    b.add_node("blocking", blocking)
    b.add_edge(START, "blocking")
    graph = b.compile()

    async def main():
        async def release():
            await asyncio.sleep(0)
            released.set()

        helper = asyncio.create_task(release())
        out = [c async for c in graph.astream({"x": 0}, stream_mode="values")]
        await helper
        return out

    assert asyncio.run(main())[-1]["log"] == ["released=True"]


def test_sync_node_does_not_block_another_runs_stream():
    """Two runs on one loop: run A's sync node waits for run B to finish."""
    b_finished = threading.Event()

    def waits(state):
        return {"log": [f"b_finished={b_finished.wait(WAIT)}"]}

    def quick(state):
        return {"log": ["quick"]}

    def graph_of(fn):
        b = StateGraph(S)
        b.add_node("n", fn)
        b.add_edge(START, "n")
        return b.compile()

    slow_graph, quick_graph = graph_of(waits), graph_of(quick)

    async def main():
        async def run_b():
            out = await quick_graph.ainvoke({"x": 0})
            b_finished.set()
            return out

        return await asyncio.gather(slow_graph.ainvoke({"x": 0}), run_b())

    a_out, b_out = asyncio.run(main())
    assert a_out["log"] == ["b_finished=True"]
    assert b_out["log"] == ["quick"]


def test_sync_and_async_nodes_of_one_step_overlap_under_astream():
    go = threading.Event()

    def sync_node(state):
        return {"log": [f"sync saw go={go.wait(WAIT)}"]}

    async def async_node(state):
        await asyncio.sleep(0)
        go.set()
        return {"log": ["async"]}

    b = StateGraph(S)
    b.add_node("a_sync", sync_node)
    b.add_node("b_async", async_node)
    b.add_edge(START, "a_sync")
    b.add_edge(START, "b_async")
    out = asyncio.run(b.compile().ainvoke({"x": 0}))
    assert out["log"] == ["sync saw go=True", "async"]


def test_send_fans_out_one_task_per_send(driver):
    inputs = []

    def plan(state):
        return [Send("work", {"x": n, "log": []}) for n in range(5)]

    def work(state):
        inputs.append(state)
        return {"log": [state["x"] * 10]}

    b = StateGraph(S)
    b.add_node("plan", lambda s: None)
    b.add_node("work", work)
    b.add_node("after", lambda s: {"log": ["after"]})
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", plan)
    b.add_edge("work", "after")
    graph = b.compile(checkpointer=MemorySaver())
    events = run(graph, {"x": 1}, thread("t"), driver=driver, stream_mode="debug")
    tasks = [e["payload"] for e in events if e["type"] == "task"]
    work_tasks = [t for t in tasks if t["name"] == "work"]
    assert len(work_tasks) == 5
    assert len({t["id"] for t in work_tasks}) == 5
    assert sorted(t["x"] for t in inputs) == [0, 1, 2, 3, 4]
    # every Send's task runs in the same step; 'after' runs once, in the next.
    work_steps = {e["step"] for e in events if e["type"] == "task" and e["payload"]["name"] == "work"}
    after_steps = [e["step"] for e in events if e["type"] == "task" and e["payload"]["name"] == "after"]
    assert len(work_steps) == 1 and after_steps == [work_steps.pop() + 1]
    assert graph.get_state(thread("t")).values["log"] == [0, 10, 20, 30, 40, "after"]


def test_send_from_command_goto():
    def plan(state):
        return Command(update={"log": ["plan"]}, goto=[Send("work", {"x": n}) for n in (1, 2)])

    b = StateGraph(S)
    b.add_node("plan", plan)
    b.add_node("work", lambda s: {"log": [s["x"]]})
    b.add_edge(START, "plan")
    b.add_edge("work", END)
    assert b.compile().invoke({"x": 0})["log"] == ["plan", 1, 2]


def test_send_to_unknown_node_is_an_error():
    b = StateGraph(S)
    b.add_node("a", lambda s: None)
    b.add_edge(START, "a")
    b.add_conditional_edges("a", lambda s: [Send("ghost", {})])
    try:
        b.compile().invoke({"x": 0})
    except Exception as exc:
        assert "ghost" in str(exc)
    else:
        raise AssertionError("a Send to an unknown node must fail")


def test_deferred_join_survives_the_store(saver):
    """A deferred node's waiting edges are saved with the checkpoint: a run paused
    between its two branches resumes from the store and still runs it once."""

    def log(name):
        return lambda s: {"log": [name]}

    b = StateGraph(S)
    for name in ("a", "b", "c"):
        b.add_node(name, log(name))
    b.add_node("join", log("join"), defer=True)
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("b", "c")
    b.add_edge(["a", "c"], "join")
    b.add_edge("a", "join")
    graph = b.compile(checkpointer=saver, interrupt_before=["c"])
    cfg = thread("t")
    graph.invoke({"x": 0, "log": []}, cfg)
    assert graph.get_state(cfg).next == ("c",)
    reread = b.compile(checkpointer=saver)
    assert reread.invoke(None, cfg)["log"] == ["a", "b", "c", "join"]
