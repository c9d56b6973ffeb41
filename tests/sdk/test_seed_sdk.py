"""The seed scenario through the SDK against the live server.

First through `client.graph("dynamic_breakpoints")` with the scenario's
LangGraph-style code unchanged (stream / get_state / update_state /
get_state_history on `{"configurable": {"thread_id": ...}}` configs), then
through `client.threads` / `client.runs`; each on Client and on AsyncClient (whose
RemoteGraph answers as ainvoke / astream / aget_state / ...). Last, what only the
async client can do: many runs at once over one channel.
"""

from __future__ import annotations

import asyncio

import pytest

from lockstep_client import (
    AsyncClient,
    FailedPreconditionError,
    InvalidArgumentError,
    LockstepError,
    NotFoundError,
)

pytestmark = pytest.mark.timeout(60)

LONG = "Received input that is longer than 5 characters: hello world"


@pytest.fixture
def client(connect, server):
    """Client or AsyncClient (see both.py): each test here runs on both."""
    return connect(server.address, timeout=30)


def assert_interrupted_at_step_2(snapshot, values):
    assert snapshot.values == values
    assert snapshot.next == ("step_2",)
    assert len(snapshot.tasks) == 1
    task = snapshot.tasks[0]
    assert task.name == "step_2"
    assert task.error is None
    (intr,) = task.interrupts
    assert intr.value == LONG
    assert intr.when == "during"
    assert snapshot.interrupts == task.interrupts
    return intr


def test_seed_scenario_through_remote_graph(server, client, tid):
    graph = client.graph("dynamic_breakpoints")

    # 1.
    thread_config = {"configurable": {"thread_id": tid("1")}}
    mark = server.log_mark()
    events = []
    for event in graph.stream({"input": "hello"}, thread_config, stream_mode="values"):
        events.append(event)
    assert events == [{"input": "hello"}] * 4
    state = graph.get_state(thread_config)
    assert state.next == ()
    assert state.tasks == ()
    printed = server.log_since(mark).splitlines()
    assert [line for line in printed if line.startswith("---")] == [
        "---Step 1---",
        "---Step 2---",
        "---Step 3---",
    ]

    # 2.
    thread_config = {"configurable": {"thread_id": tid("2")}}
    events = list(graph.stream({"input": "hello world"}, thread_config, stream_mode="values"))
    state = graph.get_state(thread_config)
    intr = assert_interrupted_at_step_2(state, {"input": "hello world"})
    assert events == [
        {"input": "hello world"},
        {"input": "hello world"},
        {"input": "hello world", "__interrupt__": (intr,)},
    ]

    # 3.
    events = list(graph.stream(None, thread_config, stream_mode="values"))
    assert events == [{"input": "hello world"}, {"input": "hello world", "__interrupt__": (intr,)}]
    assert graph.get_state(thread_config) == state

    # 4.
    graph.update_state(config=thread_config, values={"input": "foo"})
    assert graph.get_state(thread_config).next == ("step_2",)
    mark = server.log_mark()
    events = list(graph.stream(None, thread_config, stream_mode="values"))
    assert events == [{"input": "foo"}] * 3
    printed = [line for line in server.log_since(mark).splitlines() if line.startswith("---")]
    assert printed == ["---Step 2---", "---Step 3---"]
    state = graph.get_state(thread_config)
    assert state.next == () and state.values == {"input": "foo"}

    # 6. (on thread 2, before thread 3 exists: the order does not matter)
    history = list(graph.get_state_history(thread_config))
    assert [(s.next, s.values, s.metadata["source"], s.metadata["step"]) for s in history] == [
        ((), {"input": "foo"}, "loop", 4),
        (("step_3",), {"input": "foo"}, "loop", 3),
        (("step_2",), {"input": "foo"}, "update", 2),
        (("step_2",), {"input": "hello world"}, "loop", 1),
        (("step_1",), {"input": "hello world"}, "loop", 0),
        (("__start__",), {}, "input", -1),
    ]
    for newer, older in zip(history, history[1:], strict=False):
        assert newer.parent_config == older.config
    assert history[-1].parent_config is None

    # 5.
    thread_config = {"configurable": {"thread_id": tid("3")}}
    list(graph.stream({"input": "hello world"}, thread_config, stream_mode="values"))
    assert_interrupted_at_step_2(graph.get_state(thread_config), {"input": "hello world"})
    graph.update_state(config=thread_config, values=None, as_node="step_2")
    mark = server.log_mark()
    events = list(graph.stream(None, thread_config, stream_mode="values"))
    assert events == [{"input": "hello world"}] * 2
    printed = [line for line in server.log_since(mark).splitlines() if line.startswith("---")]
    assert printed == ["---Step 3---"]
    state = graph.get_state(thread_config)
    assert state.next == () and state.values == {"input": "hello world"}

    # 7.
    thread_config = {"configurable": {"thread_id": tid("4")}}
    events = list(graph.stream({"input": "hello world"}, thread_config, stream_mode="updates"))
    intr4 = assert_interrupted_at_step_2(graph.get_state(thread_config), {"input": "hello world"})
    assert events == [{"step_1": {"input": "hello world"}}, {"__interrupt__": (intr4,)}]

    # invoke: the final values (LangGraph 1.x adds the interrupts under __interrupt__).
    result = graph.invoke({"input": "hello"}, {"configurable": {"thread_id": tid("5")}})
    assert result == {"input": "hello"}


def test_seed_scenario_through_threads_and_runs(server, client, tid):
    t = tid("2")
    created = client.threads.create(thread_id=t, graph_id="dynamic_breakpoints")
    assert created.thread_id == t and created.status == "idle"

    parts = list(client.runs.stream(t, "dynamic_breakpoints", input={"input": "hello world"}))
    assert [p.event for p in parts] == ["metadata", "values", "values", "interrupt", "end"]
    assert parts[0].data["thread_id"] == t
    assert [p.data for p in parts if p.event == "values"] == [{"input": "hello world"}] * 2
    intr = parts[3].data
    assert intr.value == LONG and intr.node == "step_2" and intr.when == "during"

    thread = client.threads.get(t)
    assert thread.status == "interrupted"
    assert thread.values == {"input": "hello world"}
    assert [i.value for i in thread.interrupts] == [LONG]
    state = client.threads.get_state(t)
    assert_interrupted_at_step_2(state, {"input": "hello world"})

    # Resume without fixing: raises again, nothing changes.
    result = client.runs.wait(t, "dynamic_breakpoints")
    assert result.status == "interrupted"
    assert [i.value for i in result.interrupts] == [LONG]
    assert client.threads.get_state(t) == state

    # Update as step_1 (implicitly), resume: completes.
    client.threads.update_state(t, {"input": "foo"})
    mark = server.log_mark()
    result = client.runs.wait(t, "dynamic_breakpoints")
    assert result.status == "success"
    assert result.values == {"input": "foo"}
    assert "---Step 3---" in server.log_since(mark)
    history = client.threads.get_history(t)
    assert [(s.metadata["source"], s.metadata["step"]) for s in history] == [
        ("loop", 4),
        ("loop", 3),
        ("update", 2),
        ("loop", 1),
        ("loop", 0),
        ("input", -1),
    ]
    assert client.threads.get(t).status == "idle"

    # Skip step_2 by updating as it.
    t3 = tid("3")
    client.runs.wait(t3, "dynamic_breakpoints", input={"input": "hello world"})
    client.threads.update_state(t3, None, as_node="step_2")
    parts = list(client.runs.stream(t3, "dynamic_breakpoints"))
    assert [p.data for p in parts if p.event == "values"] == [{"input": "hello world"}] * 2
    assert parts[-1].event == "end"

    # Updates mode.
    parts = list(
        client.runs.stream(
            tid("4"), "dynamic_breakpoints", input={"input": "hello world"}, stream_mode="updates"
        )
    )
    assert [p.event for p in parts] == ["metadata", "updates", "interrupt", "end"]
    assert parts[1].data == {"step_1": {"input": "hello world"}}

    # Lists and delete.
    mine = [th.thread_id for th in client.threads.list(graph_id="dynamic_breakpoints", limit=1000)]
    assert t in mine and t3 in mine
    runs = client.runs.list(thread_id=t)
    assert len(runs) == 3 and [r.status for r in runs] == ["success", "interrupted", "interrupted"]
    client.threads.delete(t)
    with pytest.raises(NotFoundError):
        client.threads.get(t)


def test_sdk_errors_keep_their_status_code(server, client, tid):
    with pytest.raises(NotFoundError) as caught:
        client.threads.get_state(tid("missing"))
    assert caught.value.code.name == "NOT_FOUND"
    with pytest.raises(NotFoundError):
        list(client.graph("no_such_graph").stream({"x": 1}, {"configurable": {"thread_id": tid()}}))
    t = tid("seed")
    client.runs.wait(t, "dynamic_breakpoints", input={"input": "hello world"})
    with pytest.raises(InvalidArgumentError):
        client.threads.update_state(t, {"input": "x"}, as_node="step_9")
    with pytest.raises(FailedPreconditionError):
        client.runs.wait(tid("ghost"), "dynamic_breakpoints")
    with pytest.raises(ValueError):  # the SDK refuses it before sending
        list(client.runs.stream(t, "dynamic_breakpoints", stream_mode="nonsense"))
    with pytest.raises(LockstepError) as caught:
        client.threads.get_history(t, before="no-such-checkpoint")
    assert caught.value.code.name == "NOT_FOUND"


def test_failing_node_through_remote_graph(client, tid):
    from lockstep_client import RunFailedError

    graph = client.graph("flaky")
    config = {"configurable": {"thread_id": tid()}}
    with pytest.raises(RunFailedError) as caught:
        list(graph.stream({"input": "bad"}, config))
    assert "check" in str(caught.value)
    state = graph.get_state(config)
    assert state.next == ("check",)
    assert "check refuses" in state.tasks[0].error
    graph.update_state(config, {"input": "good"})
    assert graph.invoke(None, config) == {"input": "good", "checked": True}


def test_ints_through_the_sdk(client, tid):
    graph = client.graph("counter")
    config = {"configurable": {"thread_id": tid()}}
    out = graph.invoke({"count": 5}, config)
    assert out == {"count": 12, "seen": [5, 6], "ratio": 2.75}
    assert type(out["count"]) is int and all(type(x) is int for x in out["seen"])
    assert type(out["ratio"]) is float
    snap = graph.get_state(config)
    assert type(snap.values["count"]) is int and type(snap.metadata["step"]) is int


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_durability_through_the_sdk(client, tid, durability):
    """LangGraph's `durability` run argument reaches the server; a bad one fails at once."""
    graph = client.graph("counter")
    config = {"configurable": {"thread_id": tid()}}
    assert graph.invoke({"count": 5}, config, durability=durability)["count"] == 12
    parts = list(client.runs.stream(tid(), "counter", {"count": 5}, durability=durability))
    assert parts[-1].event == "end" and parts[-1].data.status == "success"
    with pytest.raises(ValueError, match="durability"):
        graph.invoke({"count": 5}, config, durability="later")


def test_many_runs_at_once_over_one_async_channel(server, tid):
    async def scenario():
        async with AsyncClient(server.address, timeout=30) as client:
            graph = client.graph("dynamic_breakpoints")
            results = await asyncio.gather(
                *(
                    graph.ainvoke({"input": "hello"}, {"configurable": {"thread_id": tid(f"c{i}")}})
                    for i in range(8)
                )
            )
            assert results == [{"input": "hello"}] * 8

    asyncio.run(scenario())
