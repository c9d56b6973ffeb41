"""Streaming as users read it: namespaced chunks (subgraphs=True), the checkpoints and
tasks modes across an interrupt and its resume, debug, several modes at once, and
astream_events filtered as the how-to guides filter it."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from harness import aoutcome, compared, outcome


class Draft(TypedDict, total=False):
    topic: str
    notes: Annotated[list, operator.add]


def _review_graph(lib, **compile_kw):
    """write -> review (asks a person) -> publish."""

    def write(state):
        return {"notes": ["draft on " + state["topic"]]}

    def review(state):
        verdict = lib.interrupt({"question": "publish?", "notes": state["notes"]})
        return {"notes": ["review: " + verdict]}

    def publish(state):
        return {"notes": ["published"]}

    graph = lib.StateGraph(Draft)
    graph.add_node("write", write)
    graph.add_node("review", review)
    graph.add_node("publish", publish)
    graph.add_edge(lib.START, "write")
    graph.add_edge("write", "review")
    graph.add_edge("review", "publish")
    graph.add_edge("publish", lib.END)
    return graph.compile(checkpointer=lib.MemorySaver(), **compile_kw)


def _untimed(chunk):
    """A debug event without its wall-clock time (the one thing no two runs share)."""
    if isinstance(chunk, tuple):
        return (*chunk[:-1], _untimed(chunk[-1]))
    if isinstance(chunk, dict) and "timestamp" in chunk:
        return {**chunk, "timestamp": None}
    return chunk


@compared
def test_subgraphs_true_on_a_flat_graph_in_each_mode(lib):
    app = _review_graph(lib)
    out = []
    for n, mode in enumerate(["values", "updates", "custom", "checkpoints", "tasks"]):
        cfg = {"configurable": {"thread_id": f"t{n}"}}
        out.append(list(app.stream({"topic": "owls"}, cfg, stream_mode=mode, subgraphs=True)))
        out.append(list(app.stream(lib.Command(resume="yes"), cfg, stream_mode=mode, subgraphs=True)))
    return out


@compared
def test_subgraphs_true_with_a_list_of_modes_and_the_default_mode(lib):
    def shout(state):
        lib.get_stream_writer()({"progress": state["topic"]})
        return {"notes": [state["topic"].upper()]}

    graph = lib.StateGraph(Draft)
    graph.add_node("shout", shout)
    graph.add_edge(lib.START, "shout")
    app = graph.compile()
    return [
        list(app.stream({"topic": "hi"}, subgraphs=True)),
        list(app.stream({"topic": "hi"}, stream_mode=["updates", "custom", "values"], subgraphs=True)),
        list(app.stream({"topic": "hi"}, stream_mode=["values"], subgraphs=True)),
    ]


@compared
async def test_astream_subgraphs_true_with_async_nodes(lib):
    async def fetch(state):
        await asyncio.sleep(0)
        return {"notes": ["fetched " + state["topic"]]}

    graph = lib.StateGraph(Draft)
    graph.add_node("fetch", fetch)
    graph.add_edge(lib.START, "fetch")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "a"}}
    one = [c async for c in app.astream({"topic": "x"}, cfg, subgraphs=True)]
    many = [
        c
        async for c in app.astream(
            {"topic": "y"}, cfg, stream_mode=["updates", "checkpoints"], subgraphs=True
        )
    ]
    return [one, many]


@compared
def test_checkpoints_mode_across_an_interrupt_and_its_resume(lib):
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "1"}}
    first = list(app.stream({"topic": "owls"}, cfg, stream_mode="checkpoints"))
    resumed = list(app.stream(lib.Command(resume="yes"), cfg, stream_mode="checkpoints"))
    return [first, resumed, app.get_state(cfg)]


@compared
def test_tasks_mode_across_an_interrupt_and_its_resume(lib):
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "1"}}
    first = list(app.stream({"topic": "owls"}, cfg, stream_mode="tasks"))
    resumed = list(app.stream(lib.Command(resume="no"), cfg, stream_mode="tasks"))
    return [first, resumed]


@compared
def test_parallel_branches_one_paused_checkpoints_and_tasks(lib):
    """A finished branch's result shows on the checkpoint a resume starts from."""

    def left(state):
        return {"notes": ["left"]}

    def right(state):
        return {"notes": ["right:" + lib.interrupt("right?")]}

    graph = lib.StateGraph(Draft)
    graph.add_node("left", left)
    graph.add_node("right", right)
    graph.add_node("join", lambda s: {"notes": ["joined"]})
    graph.add_edge(lib.START, "left")
    graph.add_edge(lib.START, "right")
    graph.add_edge("left", "join")
    graph.add_edge("right", "join")
    app = graph.compile(checkpointer=lib.MemorySaver(), interrupt_before=["join"])
    cfg = {"configurable": {"thread_id": "p"}}
    modes = ["checkpoints", "tasks", "updates"]
    return [
        _by_step(app.stream({"notes": []}, cfg, stream_mode=modes)),
        _by_step(app.stream(lib.Command(resume="R"), cfg, stream_mode=modes)),
        _by_step(app.stream(None, cfg, stream_mode=modes)),
    ]


def _by_step(chunks):
    """A stream's (mode, chunk) pairs with each step's task events in a fixed order.
    A step's tasks run in parallel: LangGraph streams each one's result (and
    updates) as its thread finishes, so only the steps' order, marked by their
    checkpoints, is guaranteed; within a step, events are ordered by mode, task
    and kind, each task's own events keeping their order."""

    def key(pair):
        mode, chunk = pair
        if mode == "tasks":
            return (mode, chunk["name"], "input" not in chunk)
        return (mode, tuple(sorted(chunk)), False)

    out, step = [], []
    for pair in chunks:
        if pair[0] == "checkpoints":
            out += sorted(step, key=key) + [pair]
            step = []
        else:
            step.append(pair)
    return out + sorted(step, key=key)


@compared
def test_debug_mode_is_checkpoints_and_tasks_wrapped(lib):
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "d"}}
    first = [_untimed(c) for c in app.stream({"topic": "owls"}, cfg, stream_mode="debug")]
    resumed = [
        _untimed(c)
        for c in app.stream(lib.Command(resume="yes"), cfg, stream_mode=["debug", "values"])
    ]
    return [first, resumed]


@compared
def test_checkpoints_mode_without_a_checkpointer_and_a_failing_task(lib):
    def boom(state):
        raise ValueError("no " + state["topic"])

    graph = lib.StateGraph(Draft)
    graph.add_node("ok", lambda s: {"notes": ["ok"]})
    graph.add_node("boom", boom)
    graph.add_edge(lib.START, "ok")
    graph.add_edge("ok", "boom")
    app = graph.compile()
    seen = []

    def run():
        for chunk in app.stream({"topic": "x"}, stream_mode=["checkpoints", "tasks"]):
            kind, payload = chunk
            if kind == "tasks" and payload.get("error") is not None:
                payload = {**payload, "error": type(payload["error"]).__name__}
            seen.append((kind, payload))

    return [outcome(run), seen]


@compared
def test_stream_of_a_multi_mode_list_with_map_reduce(lib):
    def fan_out(state):
        return [lib.Send("work", {"topic": t}) for t in state["topic"].split()]

    graph = lib.StateGraph(Draft)
    graph.add_node("work", lambda s: {"notes": [s["topic"] * 2]})
    graph.add_conditional_edges(lib.START, fan_out, ["work"])
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "m"}}
    return list(app.stream({"topic": "a b"}, cfg, stream_mode=["values", "updates", "tasks"]))


def _event_view(event):
    """What a user filtering astream_events reads of one event."""
    meta = event["metadata"]
    return (
        event["event"],
        event["name"],
        event["tags"],
        event["data"],
        len(event["parent_ids"]),
        dict(meta),
    )


@compared
async def test_astream_events_whole_transcript_of_a_chain(lib):
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "e"}, "tags": ["mine"], "metadata": {"user": "ann"}}
    first = [_event_view(e) async for e in app.astream_events({"topic": "owls"}, cfg, version="v2")]
    resumed = [
        _event_view(e)
        async for e in app.astream_events(
            lib.Command(resume="yes"), cfg, version="v2", stream_mode="values"
        )
    ]
    return [first, resumed]


@compared
async def test_astream_events_filtered_by_event_and_name(lib):
    async def research(state):
        await asyncio.sleep(0)
        return {"notes": ["found " + state["topic"]]}

    def summarize(state):
        return {"notes": [f"summary of {len(state['notes'])}"]}

    def route(state):
        return "summarize" if state["notes"] else lib.END

    graph = lib.StateGraph(Draft)
    graph.add_node("research", research)
    graph.add_node("summarize", summarize)
    graph.add_edge(lib.START, "research")
    graph.add_conditional_edges("research", route, ["summarize", lib.END])
    app = graph.compile()
    starts, ends, nodes = [], [], []
    async for event in app.astream_events({"topic": "bees", "notes": []}, version="v2"):
        if event["event"] == "on_chain_start" and event["metadata"].get("langgraph_node"):
            starts.append((event["name"], event["metadata"]["langgraph_step"]))
        if event["event"] == "on_chain_end" and event["name"] == "LangGraph":
            ends.append(event["data"]["output"])
        if event["event"] == "on_chain_stream" and event["name"] in ("research", "summarize"):
            nodes.append((event["name"], event["data"]["chunk"]))
    only = [
        (e["event"], e["name"])
        async for e in app.astream_events(
            {"topic": "b", "notes": []}, version="v2", include_names=["summarize"]
        )
    ]
    return [starts, ends, nodes, only]


@compared
async def test_astream_events_of_a_failing_node_and_a_list_of_modes(lib):
    def fine(state):
        return {"notes": ["fine"]}

    def broken(state):
        raise KeyError("missing")

    graph = lib.StateGraph(Draft)
    graph.add_node("fine", fine)
    graph.add_node("broken", broken)
    graph.add_edge(lib.START, "fine")
    graph.add_edge("fine", "broken")
    app = graph.compile()
    seen = []

    async def run():
        async for e in app.astream_events(
            {"topic": "t"}, version="v2", stream_mode=["updates", "values"]
        ):
            seen.append((e["event"], e["name"], e["data"]))

    return [await aoutcome(run()), seen]


@compared
def test_a_node_reads_its_task_metadata_and_namespace_from_config(lib):
    seen = []

    def look(state, config):
        meta = config["metadata"]
        seen.append(
            (
                {k: v for k, v in meta.items() if k.startswith("langgraph_") or k in ("user", "thread_id")},
                config["configurable"]["checkpoint_ns"],
            )
        )
        return {"notes": [meta["langgraph_node"]]}

    graph = lib.StateGraph(Draft)
    graph.add_node("first", look)
    graph.add_node("each", look)
    graph.add_edge(lib.START, "first")
    graph.add_conditional_edges("first", lambda s: [lib.Send("each", s), lib.Send("each", s)], ["each"])
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "m"}, "metadata": {"user": "ann"}}
    return [app.invoke({"notes": []}, cfg), seen]


# -- custom events arrive as they are written ------------------------------------

PROGRESS_STEPS = 3
ACK_TIMEOUT = 5.0  # far longer than a live event needs; a late one waits it out


class Job(TypedDict, total=False):
    done: Annotated[list, operator.add]


def _progress_graph(lib, acks, asynchronous: bool = False):
    """One long node writing progress events, each waiting until the reader has it:
    it records whether each was read while it still ran (live) or not (late)."""

    def work(state):
        writer = lib.get_stream_writer()
        seen = []
        for i in range(PROGRESS_STEPS):
            writer({"progress": i})
            seen.append("live" if acks[i].wait(ACK_TIMEOUT) else "late")
        return {"done": seen}

    async def awork(state, writer):
        seen = []
        for i in range(PROGRESS_STEPS):
            writer({"progress": i})
            try:
                await asyncio.wait_for(acks[i].wait(), ACK_TIMEOUT)
                seen.append("live")
            except TimeoutError:
                seen.append("late")
        return {"done": seen}

    graph = lib.StateGraph(Job)
    graph.add_node("work", awork if asynchronous else work)
    graph.add_node("after", lambda s: {"done": ["after"]})
    graph.add_edge(lib.START, "work")
    graph.add_edge("work", "after")
    return graph.compile()


def _acked(chunk, acks) -> None:
    mode, data = chunk
    if mode == "custom":
        acks[data["progress"]].set()


@compared
def test_custom_events_stream_while_a_sync_node_runs(lib):
    import threading

    acks = [threading.Event() for _ in range(PROGRESS_STEPS)]
    app = _progress_graph(lib, acks)
    chunks = []
    for chunk in app.stream({"done": []}, stream_mode=["custom", "updates"]):
        _acked(chunk, acks)
        chunks.append(chunk)
    return chunks


@compared
async def test_custom_events_stream_while_a_node_runs_under_astream(lib):
    import threading

    acks = [threading.Event() for _ in range(PROGRESS_STEPS)]
    app = _progress_graph(lib, acks)
    chunks = []
    async for chunk in app.astream({"done": []}, stream_mode=["custom", "updates"]):
        _acked(chunk, acks)
        chunks.append(chunk)
    return chunks


@compared
async def test_custom_events_stream_while_an_async_node_runs(lib):
    acks = [asyncio.Event() for _ in range(PROGRESS_STEPS)]
    app = _progress_graph(lib, acks, asynchronous=True)
    chunks = []
    async for chunk in app.astream({"done": []}, stream_mode=["custom", "values"]):
        _acked(chunk, acks)
        chunks.append(chunk)
    return chunks
