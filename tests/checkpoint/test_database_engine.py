"""Graphs run on the database savers (SqliteSaver, PostgresSaver): same answers as
MemorySaver, kept across restarts, O(n) storage."""

from __future__ import annotations

import asyncio
import operator
import threading
from typing import Annotated, TypedDict

import pytest

from lockstep import END, START, NodeInterrupt, StateGraph
from lockstep.checkpoint import MemorySaver, PostgresSaver, SqliteSaver


class State(TypedDict, total=False):
    items: Annotated[list, operator.add]
    note: str


def cfg(thread_id, **extra):
    return {"configurable": {"thread_id": thread_id}, **extra}


def pipeline():
    """START -> first -> (second | third, by note) -> END."""

    def first(state):
        return {"items": ["first"], "note": state.get("note", "") + "1"}

    def second(state):
        return {"items": ["second"]}

    def third(state):
        return {"items": ["third"], "note": "third"}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_node("third", third)
    builder.add_edge(START, "first")
    builder.add_conditional_edges(
        "first", lambda s: "third" if s["note"].startswith("go") else "second"
    )
    builder.add_edge("second", END)
    builder.add_edge("third", END)
    return builder


def fan_out(calls, interrupt_b_times=1):
    """a and b run in one step, c joins them; b interrupts its first `interrupt_b_times` calls."""

    def a(state):
        calls.append("a")
        return {"items": ["a"]}

    def b(state):
        calls.append("b")
        if calls.count("b") <= interrupt_b_times:
            raise NodeInterrupt("b needs a moment")
        return {"items": ["b"]}

    def c(state):
        calls.append("c")
        return {"items": ["c"]}

    builder = StateGraph(State)
    for name, fn in (("a", a), ("b", b), ("c", c)):
        builder.add_node(name, fn)
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    builder.add_edge(["a", "b"], "c")
    builder.add_edge("c", END)
    return builder


def history_view(graph, config):
    return [
        (h.values, h.next, h.metadata["source"], h.metadata["step"], [t.name for t in h.tasks])
        for h in graph.get_state_history(config)
    ]


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    """Opens a new saver on the same place each call (a restart reopens it)."""
    if request.param == "sqlite":
        path = tmp_path / "threads" / "lockstep.db"
        return lambda: SqliteSaver(path)
    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresSaver(url)


def test_same_state_and_history_as_memory_saver(db):
    views = []
    for saver in (MemorySaver(), db()):
        graph = pipeline().compile(checkpointer=saver)
        config = cfg("t")
        out = graph.invoke({"items": ["in"], "note": ""}, config)
        graph.update_state(config, {"note": "go"}, as_node="second")
        state = graph.get_state(config)
        views.append((out, state.values, state.next, history_view(graph, config)))
        saver.close()
    memory, stored = views
    assert stored == memory
    out, values, next_, history = stored
    assert out == {"items": ["in", "first", "second"], "note": "1"}
    assert values == {"items": ["in", "first", "second"], "note": "go"}
    assert next_ == ()
    assert [h[2:4] for h in history] == [
        ("update", 3),
        ("loop", 2),
        ("loop", 1),
        ("loop", 0),
        ("input", -1),
    ]


def across_restarts(db, script):
    """Run `script(reopen)` on MemorySaver (never restarted) and on the database saver
    reopened at every `reopen()`; return both traces, which must be equal."""
    memory = MemorySaver()
    memory_trace = script(lambda: memory)

    opened: list = []

    def reopen():
        if opened:
            opened[-1].close()
        opened.append(db())
        return opened[-1]

    stored_trace = script(reopen)
    opened[-1].close()
    assert len(opened) > 1
    return memory_trace, stored_trace


def snap(state):
    return (
        state.values,
        state.next,
        {k: state.metadata.get(k) for k in ("source", "step")},
        [(t.name, [i.value for i in t.interrupts], t.error) for t in state.tasks],
    )


def test_thread_survives_a_restart_at_a_breakpoint(db):
    def script(reopen):
        trace = []
        graph = pipeline().compile(checkpointer=reopen(), interrupt_before=["second"])
        trace.append(graph.invoke({"items": ["in"], "note": ""}, cfg("t")))
        trace.append(snap(graph.get_state(cfg("t"))))
        graph = pipeline().compile(checkpointer=reopen(), interrupt_before=["second"])
        trace.append(snap(graph.get_state(cfg("t"))))
        trace.append(graph.invoke(None, cfg("t")))
        graph = pipeline().compile(checkpointer=reopen())
        trace.append([snap(h) for h in graph.get_state_history(cfg("t"))])
        return trace

    memory, stored = across_restarts(db, script)
    assert stored == memory
    assert stored[1][1] == ("second",)
    assert stored[2] == stored[1]


def test_pending_writes_survive_a_restart(db):
    def script(reopen):
        calls: list[str] = []
        trace = []
        graph = fan_out(calls).compile(checkpointer=reopen())
        first = graph.invoke({"items": ["in"]}, cfg("t"))
        # Interrupt ids come from checkpoint ids: each run makes its own.
        trace.append({**first, "__interrupt__": [i.value for i in first["__interrupt__"]]})
        trace.append(snap(graph.get_state(cfg("t"))))
        graph = fan_out(calls).compile(checkpointer=reopen())
        trace.append(snap(graph.get_state(cfg("t"))))
        trace.append(graph.invoke(None, cfg("t")))
        trace.append(list(calls))
        graph = fan_out(calls).compile(checkpointer=reopen())
        trace.append([snap(h) for h in graph.get_state_history(cfg("t"))])
        return trace

    memory, stored = across_restarts(db, script)
    assert stored == memory
    assert stored[2] == stored[1]
    assert [t[0] for t in stored[1][3]] == ["a", "b"]
    assert stored[1][3][1][1] == ["b needs a moment"]
    assert stored[4][:2] == ["a", "b"] and stored[4].count("a") == 1  # a's writes were kept


def test_time_travel_and_fork_from_a_stored_checkpoint(db):
    def script(reopen):
        trace = []
        graph = pipeline().compile(checkpointer=reopen())
        graph.invoke({"items": ["in"], "note": ""}, cfg("t"))
        graph = pipeline().compile(checkpointer=reopen())
        after_first = next(h for h in graph.get_state_history(cfg("t")) if h.next == ("second",))
        trace.append(snap(after_first))
        forked = graph.update_state(after_first.config, {"note": "go"}, as_node="first")
        graph = pipeline().compile(checkpointer=reopen())
        trace.append(snap(graph.get_state(forked)))
        trace.append(graph.invoke(None, forked))
        trace.append(snap(graph.get_state(after_first.config)))
        trace.append([snap(h) for h in graph.get_state_history(cfg("t"))])
        return trace

    memory, stored = across_restarts(db, script)
    assert stored == memory
    assert stored[0][0] == {"items": ["in", "first"], "note": "1"}
    assert stored[3] == stored[0]  # forking left the old checkpoint as it was
    assert len(stored[4]) == 4 + 1 + 1  # the first run, the update, the forked step


def test_async_runs_on_the_database(db):
    saver = db()
    graph = pipeline().compile(checkpointer=saver)

    async def main():
        out = await graph.ainvoke({"items": [], "note": ""}, cfg("a"))
        state = await graph.aget_state(cfg("a"))
        history = [h async for h in graph.aget_state_history(cfg("a"))]
        return out, state, history

    out, state, history = asyncio.run(main())
    assert out == state.values == {"items": ["first", "second"], "note": "1"}
    assert len(history) == 4
    saver.close()


def test_runs_from_worker_threads_share_one_saver(db):
    saver = db()
    graph = pipeline().compile(checkpointer=saver)
    errors = []

    def run(n):
        try:
            for i in range(5):
                graph.invoke({"items": [i], "note": ""}, cfg(f"w{n}"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert sorted(saver.list_threads()) == [f"w{n}" for n in range(6)]
    for n in range(6):
        items = graph.get_state(cfg(f"w{n}")).values["items"]
        assert items == [x for i in range(5) for x in (i, "first", "second")]
        assert len(list(graph.get_state_history(cfg(f"w{n}")))) == 5 * 4
    saver.close()


# -- storage grows with writes, not with steps x state size -------------------------------


def appender(n):
    class Items(TypedDict):
        items: Annotated[list, operator.add]

    def add(state):
        return {"items": [len(state["items"])]}

    builder = StateGraph(Items)
    builder.add_node("add", add)
    builder.add_edge(START, "add")
    builder.add_conditional_edges("add", lambda s: END if len(s["items"]) >= n else "add")
    return builder


def run_appender(saver, n):
    graph = appender(n).compile(checkpointer=saver)
    config = cfg(f"append-{n}", recursion_limit=n + 10)
    graph.invoke({"items": []}, config)
    return graph, config


def test_appending_one_item_per_step_stores_linear_bytes(db):
    saver = db()
    run_appender(saver, 500)
    graph, config = run_appender(saver, 1000)
    small, large = saver.storage_bytes("append-500"), saver.storage_bytes("append-1000")
    print(f"stored bytes: 500 steps {small}, 1000 steps {large}, ratio {large / small:.2f}")
    # Linear storage doubles (ratio ~2); storing the whole list each step would quadruple it.
    assert large / small < 2.5
    assert large < 1000 * 1000  # ~0.5 KB a step, not a copy of the list per step

    state = graph.get_state(config)
    assert state.values["items"] == list(range(1000))
    assert state.next == ()

    history = list(graph.get_state_history(config))
    assert len(history) == 1002  # input, the input applied (step 0), 1000 steps
    assert history[-1].metadata["source"] == "input"
    for snap in history[:-1]:
        step = snap.metadata["step"]
        assert snap.values["items"] == list(range(step)), step
    assert [h.metadata["step"] for h in history[:-1]] == list(range(1000, -1, -1))
    saver.close()

    # The same thread, read back from the file by a fresh saver.
    reopened = db()
    graph = appender(1000).compile(checkpointer=reopened)
    assert graph.get_state(config).values["items"] == list(range(1000))
    middle = list(graph.get_state_history(config, limit=1, before=history[500].config))[0]
    assert middle.values["items"] == list(range(499))
    reopened.close()
