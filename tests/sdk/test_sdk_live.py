"""Every public method of `threads`, `runs`, `graphs` and RemoteGraph, against the real
server, on Client and AsyncClient alike (the `connect` fixture runs each test on both).

Each argument is checked by its effect on the server, not by the request it makes:
`as_node` changes what runs next, `checkpoint_id` picks the checkpoint, a metadata
filter picks the threads, a page size still yields every item, a multitask strategy
decides what happens to the run in the way. The graphs are tests/server/graphs and
examples/ (counter: inc -> double; slow: first -> nap -> last; flaky: check raises
on "bad"; approval: review asks with interrupt(); configured: reports its config).
"""

from __future__ import annotations

import time
import uuid

import pytest

from lockstep_client import (
    AlreadyExistsError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    Reason,
    RunFailedError,
    ThreadBusyError,
)

pytestmark = pytest.mark.timeout(60)

HW = {"input": "hello world"}


@pytest.fixture
def client(connect, server):
    return connect(server.address, timeout=30)


def steps(snapshots) -> list[int]:
    return [s.metadata["step"] for s in snapshots]


def checkpoint_id(config) -> str:
    return config["configurable"]["checkpoint_id"]


def counted(client, tid) -> str:
    """A thread with one finished counter run: checkpoints at steps -1, 0, 1, 2."""
    t = tid("counted")
    assert client.runs.wait(t, "counter", input={"count": 5}).values["count"] == 12
    return t


def paused(client, tid, label: str = "paused") -> str:
    """A dynamic_breakpoints thread paused inside step_2 (its input is too long)."""
    t = tid(label)
    assert client.runs.wait(t, "dynamic_breakpoints", input=HW).status == "interrupted"
    return t


def eventually(check, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout}s: {what}")


# ---------------------------------------------------------------------------- graphs


def test_graphs_list_and_get(client):
    listed = client.graphs.list()
    ids = [g.graph_id for g in listed]
    assert ids == sorted(ids)
    assert {"dynamic_breakpoints", "breakpoints", "counter", "slow"} <= set(ids)
    graph = client.graphs.get("breakpoints")
    assert graph.graph_id == "breakpoints"
    assert graph.interrupt_before == ("publish",)
    assert {n.name for n in graph.nodes} >= {"write", "publish"}
    assert ("write", "publish") in {(e.source, e.target) for e in graph.edges}
    assert "publish" in graph.mermaid
    with pytest.raises(NotFoundError):
        client.graphs.get("no_such_graph")
    nested = client.graphs.get("nested", xray=True)  # as LangGraph's get_graph(xray=True)
    assert [n.name for n in nested.nodes] == ["draft", "act", "approval:check", "approval:ask"]
    assert client.graphs.get("nested", xray=1) == nested
    assert "approval" in [n.name for n in client.graphs.get("nested").nodes]


# ---------------------------------------------------------------------------- threads


def test_threads_create_get_and_if_exists(client, tid):
    t = tid()
    made = client.threads.create(thread_id=t, graph_id="counter", metadata={"owner": "ana"})
    assert (made.thread_id, made.graph_id, made.status) == (t, "counter", "idle")
    assert made.metadata["owner"] == "ana"
    got = client.threads.get(t)
    assert (got.thread_id, got.graph_id, got.metadata["owner"]) == (t, "counter", "ana")
    with pytest.raises(AlreadyExistsError):
        client.threads.create(thread_id=t, graph_id="counter")
    with pytest.raises(AlreadyExistsError):
        client.threads.create(thread_id=t, if_exists="raise")
    again = client.threads.create(thread_id=t, metadata={"owner": "bo"}, if_exists="do_nothing")
    assert again.metadata["owner"] == "ana"  # the thread as it was
    with pytest.raises(ValueError, match="if_exists"):  # refused before any call
        client.threads.create(thread_id=t, if_exists="replace")
    picked = client.threads.create(graph_id="counter")
    assert picked.thread_id and picked.thread_id != t
    assert client.threads.get(picked.thread_id).graph_id == "counter"


def test_threads_list_filters_by_graph_status_and_metadata_and_pages(client, tid):
    batch = uuid.uuid4().hex
    idle = [tid(f"idle{i}") for i in range(3)]
    for i, t in enumerate(idle):
        client.threads.create(thread_id=t, graph_id="counter", metadata={"batch": batch, "i": i})
    stopped = []
    for i in range(2):
        t = tid(f"stopped{i}")
        client.threads.create(
            thread_id=t, graph_id="dynamic_breakpoints", metadata={"batch": batch}
        )
        client.runs.wait(t, "dynamic_breakpoints", input=HW)
        stopped.append(t)

    def ids(**kwargs) -> list[str]:
        return [th.thread_id for th in client.threads.list(metadata={"batch": batch}, **kwargs)]

    everything = ids()
    assert sorted(everything) == sorted(idle + stopped)
    assert everything[:2] == stopped[::-1]  # most recently updated first
    assert sorted(ids(graph_id="dynamic_breakpoints")) == sorted(stopped)
    assert sorted(ids(status="interrupted")) == sorted(stopped)
    assert sorted(ids(status="idle")) == sorted(idle)
    assert ids(page_size=2) == everything  # three pages, nothing lost or repeated
    assert ids(page_size=2, limit=3) == everything[:3]
    only = client.threads.list(metadata={"batch": batch, "i": 1})
    assert [th.thread_id for th in only] == [idle[1]]
    # Paging by hand with the server's tokens: the same threads, page by page, to the end.
    pages, token = [], ""
    while True:
        page = client.threads.list_page(metadata={"batch": batch}, page_size=2, page_token=token)
        pages.append([th.thread_id for th in page.threads])
        token = page.next_page_token
        if not token:
            break
    assert pages == [everything[:2], everything[2:4], everything[4:]]
    page = client.threads.list_page(metadata={"batch": batch}, status="interrupted")
    assert sorted(th.thread_id for th in page.threads) == sorted(stopped)
    assert page.next_page_token == ""
    with pytest.raises(ValueError, match="status"):
        client.threads.list(status="sleeping")


def test_threads_delete(client, tid):
    t = counted(client, tid)
    client.threads.delete(t)
    with pytest.raises(NotFoundError):
        client.threads.get(t)
    with pytest.raises(NotFoundError):
        client.threads.get_state(t)
    with pytest.raises(NotFoundError):
        client.threads.delete(t)


def test_get_state_latest_or_at_a_checkpoint(client, tid):
    t = counted(client, tid)
    latest = client.threads.get_state(t)
    assert latest.values == {"count": 12, "seen": [5, 6], "ratio": 2.75}
    assert latest.next == () and latest.metadata["step"] == 2
    history = client.threads.get_history(t)
    after_inc = next(s for s in history if s.metadata["step"] == 1)
    at = client.threads.get_state(t, checkpoint_id(after_inc.config))
    assert at == after_inc
    assert at.values["count"] == 6 and at.next == ("double",)
    with pytest.raises(NotFoundError):
        client.threads.get_state(t, "1ef00000-0000-6000-8000-000000000000")
    with pytest.raises(InvalidArgumentError):  # the thread belongs to another graph
        client.threads.get_state(t, graph_id="dynamic_breakpoints")


def test_update_state_as_node_decides_what_runs_next(client, tid):
    t = paused(client, tid)
    config = client.threads.update_state(t, {"input": "foo"})  # as step_1, the last writer
    state = client.threads.get_state(t)
    assert checkpoint_id(config) == checkpoint_id(state.config)
    assert state.values == {"input": "foo"} and state.next == ("step_2",)
    assert state.metadata["source"] == "update"

    t = paused(client, tid, "skip")
    client.threads.update_state(t, None, as_node="step_2")
    state = client.threads.get_state(t)
    assert state.next == ("step_3",) and state.values == HW
    assert client.runs.wait(t, "dynamic_breakpoints").status == "success"

    with pytest.raises(InvalidArgumentError):
        client.threads.update_state(t, {"input": "x"}, as_node="step_9")


def test_update_state_at_a_checkpoint_forks_from_it(client, tid):
    t = counted(client, tid)
    after_inc = next(s for s in client.threads.get_history(t) if s.metadata["step"] == 1)
    config = client.threads.update_state(
        t, {"count": 100}, checkpoint_id=checkpoint_id(after_inc.config)
    )
    forked = client.threads.get_state(t)
    assert checkpoint_id(forked.config) == checkpoint_id(config)
    assert forked.parent_config == after_inc.config  # not the thread's head before it
    assert forked.values["count"] == 100 and forked.next == ("double",)
    assert client.runs.wait(t, "counter").values["count"] == 200


def test_history_limit_before_filter_and_pages(client, tid):
    t = counted(client, tid)
    history = client.threads.get_history(t)
    assert steps(history) == [2, 1, 0, -1]
    assert steps(client.threads.get_history(t, limit=2)) == [2, 1]
    assert steps(client.threads.get_history(t, before=history[1].config)) == [0, -1]
    assert steps(client.threads.get_history(t, before=checkpoint_id(history[1].config))) == [0, -1]
    assert steps(client.threads.get_history(t, 1, checkpoint_id(history[0].config))) == [1]
    assert steps(client.threads.get_history(t, filter={"source": "input"})) == [-1]
    assert steps(client.threads.get_history(t, filter={"step": 1})) == [1]
    assert list(client.threads.iter_history(t, page_size=1)) == history  # four pages
    lazy = client.threads.iter_history(t, limit=3, page_size=2)
    assert next(lazy) == history[0]
    assert [s.metadata["step"] for s in lazy] == [1, 0]
    with pytest.raises(NotFoundError):
        client.threads.get_history(t, before="no-such-checkpoint")


# ---------------------------------------------------------------------------- runs


def test_stream_modes(client, tid):
    parts = list(client.runs.stream(tid("v"), "counter", {"count": 5}))
    assert [p.event for p in parts] == ["metadata", "values", "values", "values", "end"]
    assert [p.data["count"] for p in parts if p.event == "values"] == [5, 6, 12]
    assert parts[-1].data.status == "success"
    parts = list(client.runs.stream(tid("u"), "counter", {"count": 5}, stream_mode="updates"))
    assert [p.data for p in parts if p.event == "updates"] == [
        {"inc": {"count": 6, "seen": [5], "ratio": 2.75}},
        {"double": {"count": 12, "seen": [6]}},
    ]
    assert "values" not in {p.event for p in parts}
    both = [
        p.event
        for p in client.runs.stream(
            tid("b"), "counter", {"count": 5}, stream_mode=["updates", "values"]
        )
    ]
    assert both.count("updates") == 2 and both.count("values") == 3
    debug = [p for p in client.runs.stream(tid("d"), "counter", {"count": 5}, stream_mode="debug")]
    assert any(p.event == "debug" for p in debug)
    assert {p.event for p in debug} <= {"metadata", "debug", "end"}
    with pytest.raises(ValueError, match="stream_mode"):  # refused before any call
        client.runs.stream(tid(), "counter", {"count": 5}, stream_mode="nonsense")


def test_leaving_a_stream_early_cancels_the_run(client, tid):
    t = tid()
    stream = client.runs.stream(t, "slow", {"seconds": 5})
    run_id = next(stream).data["run_id"]
    stream.close()
    run = eventually(
        lambda: next((r for r in client.runs.list(thread_id=t) if r.status != "running"), None),
        "the run to stop",
    )
    assert (run.run_id, run.status) == (run_id, "cancelled")


def test_on_disconnect_continue_keeps_the_run_going(client, tid):
    t = tid()
    stream = client.runs.stream(t, "slow", {"seconds": 0.3}, on_disconnect="continue")
    assert next(stream).event == "metadata"
    stream.close()
    run = eventually(
        lambda: next((r for r in client.runs.list(thread_id=t) if r.status == "success"), None),
        "the run to finish",
    )
    assert client.threads.get_state(t).values["n"] == 3 and run.status == "success"


def test_interrupt_before_and_after(client, tid):
    before = client.runs.wait(tid("b"), "counter", {"count": 5}, interrupt_before=["double"])
    assert before.status == "interrupted" and before.values["count"] == 6
    assert before.interrupts[0].when == "before" and before.interrupts[0].node == "double"
    assert client.threads.get_state(before.thread_id).next == ("double",)
    first = client.runs.wait(tid("f"), "counter", {"count": 5}, interrupt_before="inc")
    assert first.values == {"count": 5, "seen": []}
    assert client.threads.get_state(first.thread_id).next == ("inc",)
    after = client.runs.wait(tid("a"), "counter", {"count": 5}, interrupt_after=["inc"])
    assert after.status == "interrupted" and after.values["count"] == 6
    assert after.interrupts[0].when == "after"
    assert client.runs.wait(after.thread_id, "counter").values["count"] == 12
    parts = list(client.runs.stream(tid("s"), "counter", {"count": 5}, interrupt_after="inc"))
    assert [p.event for p in parts][-2:] == ["interrupt", "end"]
    assert parts[-1].data.status == "interrupted"


def test_a_run_from_an_earlier_checkpoint(client, tid):
    t = counted(client, tid)
    after_inc = next(s for s in client.threads.get_history(t) if s.metadata["step"] == 1)
    cid = checkpoint_id(after_inc.config)

    def forked_from_after_inc() -> bool:
        """The run forked the thread at that checkpoint, and only `double` ran again."""
        head, fork = client.threads.get_history(t, limit=2)
        return (
            fork.metadata["source"] == "fork"
            and fork.parent_config == after_inc.config
            and fork.next == ("double",)
            and head.parent_config == fork.config
        )

    replay = client.runs.wait(t, "counter", checkpoint_id=cid)
    assert replay.status == "success" and replay.values["count"] == 12
    assert forked_from_after_inc()
    parts = list(client.runs.stream(t, "counter", checkpoint_id=cid, stream_mode="updates"))
    assert [p.data for p in parts if p.event == "updates"] == [
        {"double": {"count": 12, "seen": [6]}}
    ]
    assert forked_from_after_inc()
    created = client.runs.create(t, "counter", checkpoint_id=cid)
    assert [p.event for p in client.runs.join(created.run_id)][-1] == "end"
    assert forked_from_after_inc()


def test_command_resumes_an_interrupt(client, tid):
    t = tid("yes")
    asked = client.runs.wait(t, "approval", {"request": " buy a desk "})
    assert asked.status == "interrupted"
    assert asked.interrupts[0].value["request"] == "buy a desk"
    assert client.runs.wait(t, "approval", command={"resume": True}).values["outcome"] == "done"
    t = tid("no")
    client.runs.wait(t, "approval", {"request": "buy a boat"})
    parts = list(client.runs.stream(t, "approval", command={"resume": False}))
    assert parts[-2].data["outcome"] == "rejected"
    t = tid("goto")
    client.runs.wait(t, "approval", {"request": "x"})
    done = client.runs.wait(t, "approval", command={"update": {"approved": True}, "goto": "act"})
    assert done.values["outcome"] == "done"


def test_config_and_metadata_reach_the_run(client, tid):
    t = tid()
    config = {"configurable": {"user": "ana"}}
    result = client.runs.wait(t, "configured", {}, config=config, metadata={"origin": "sdk"})
    assert result.values == {"who": "ana", "thread": t}
    (run,) = client.runs.list(thread_id=t)
    assert run.metadata["origin"] == "sdk"
    parts = list(client.runs.stream(tid("s"), "configured", {}, config=config))
    assert parts[-2].data["who"] == "ana"
    created = client.runs.create(tid("c"), "configured", {}, config=config, metadata={"n": 2})
    assert created.metadata["n"] == 2
    assert [p.data for p in client.runs.join(created.run_id) if p.event == "values"][-1][
        "who"
    ] == "ana"


def test_wait_raises_a_node_failure_or_reports_it(client, tid):
    t = tid()
    with pytest.raises(RunFailedError) as caught:
        client.runs.wait(t, "flaky", {"input": "bad"})
    assert caught.value.node == "check" and caught.value.thread_id == t
    assert caught.value.error_type == "ValueError"
    result = client.runs.wait(t, "flaky", raise_error=False)
    assert result.status == "error" and result.error.node == "check"
    assert "check refuses" in result.error.message
    parts = list(client.runs.stream(t, "flaky"))  # a stream yields the error, not raises
    assert [p.event for p in parts][-2:] == ["error", "end"]
    client.threads.update_state(t, {"input": "good"})
    assert client.runs.wait(t, "flaky").values == {"input": "good", "checked": True}


def test_create_join_and_cancel(client, tid):
    t = tid()
    run = client.runs.create(t, "slow", {"seconds": 0}, stream_mode="updates")
    assert run.thread_id == t and run.graph_id == "slow" and run.status in ("pending", "running")
    parts = list(client.runs.join(run.run_id))
    assert parts[-1].event == "end" and parts[-1].data.status == "success"
    assert "values" not in {p.event for p in parts}  # the run streams what create asked for
    assert [p.data for p in parts if p.event == "updates"][-1] == {"last": {"n": 3}}
    assert list(client.runs.join(run.run_id)) == parts  # a finished run: all of it again

    long = client.runs.create(tid("long"), "slow", {"seconds": 20})
    cancelled = client.runs.cancel(long.run_id, wait=True)
    assert cancelled.run_id == long.run_id and cancelled.status == "cancelled"
    other = client.runs.create(tid("other"), "slow", {"seconds": 20})
    client.runs.cancel(other.run_id)
    assert [p.data.status for p in client.runs.join(other.run_id) if p.event == "end"] == [
        "cancelled"
    ]
    with pytest.raises(NotFoundError):
        client.runs.cancel("no-such-run")
    with pytest.raises(NotFoundError):
        list(client.runs.join("no-such-run"))


def test_runs_list_filters_and_pages(client, tid):
    t = tid()
    for n in range(3):
        client.runs.wait(t, "counter", {"count": n})
    client.runs.wait(t, "counter", {"count": 1}, interrupt_before=["double"])
    runs = client.runs.list(thread_id=t)
    assert [r.status for r in runs] == ["interrupted", "success", "success", "success"]
    assert all(r.thread_id == t and r.graph_id == "counter" for r in runs)
    assert client.runs.list(thread_id=t, page_size=1) == runs
    assert client.runs.list(thread_id=t, limit=2) == runs[:2]
    assert client.runs.list(thread_id=t, status="interrupted") == runs[:1]
    assert [r.run_id for r in client.runs.list(thread_id=t, status="success")] == [
        r.run_id for r in runs[1:]
    ]


def start_slow(client, t: str, seconds: float = 0.8):
    """A background slow run that is inside `nap` when this returns."""
    run = client.runs.create(t, "slow", {"input": "A", "seconds": seconds})

    def in_nap() -> bool:
        try:
            return client.threads.get_state(t).next == ("nap",)
        except NotFoundError:
            return False

    eventually(in_nap, "the slow run to reach nap")
    return run


def test_multitask_reject_and_enqueue(client, tid):
    t = tid()
    first = start_slow(client, t)
    with pytest.raises(ThreadBusyError) as busy:  # reject is the default
        client.runs.wait(t, "slow", {"seconds": 0})
    assert isinstance(busy.value, FailedPreconditionError)
    assert busy.value.reason is Reason.THREAD_BUSY
    with pytest.raises(FailedPreconditionError):
        list(client.runs.stream(t, "slow", {"seconds": 0}, multitask_strategy="reject"))
    queued = client.runs.create(t, "slow", {"seconds": 0}, multitask_strategy="enqueue")
    assert queued.status == "pending" and queued.multitask_strategy == "enqueue"
    assert list(client.runs.join(queued.run_id))[-1].data.status == "success"
    statuses = {r.run_id: r.status for r in client.runs.list(thread_id=t)}
    assert statuses == {first.run_id: "success", queued.run_id: "success"}
    assert client.threads.get_state(t).values["n"] == 6  # both ran, one after the other
    with pytest.raises(ValueError, match="multitask_strategy"):
        client.runs.create(t, "slow", multitask_strategy="shove")


def test_multitask_interrupt_and_rollback(client, tid):
    t = tid("interrupt")
    first = start_slow(client, t)
    second = client.runs.wait(
        t, "slow", {"input": "B", "seconds": 0}, multitask_strategy="interrupt"
    )
    assert second.status == "success"
    stopped = next(r for r in client.runs.list(thread_id=t) if r.run_id == first.run_id)
    assert stopped.status == "cancelled"
    assert stopped.metadata["lockstep_interrupted_by"] == second.run_id
    assert second.values["n"] == 5  # B went on from A's checkpoint after nap

    t = tid("rollback")
    first = start_slow(client, t)
    second = client.runs.wait(
        t, "slow", {"input": "B", "seconds": 0}, multitask_strategy="rollback"
    )
    assert second.values == {"input": "B", "seconds": 0, "n": 3}  # as if A had never run
    stopped = next(r for r in client.runs.list(thread_id=t) if r.run_id == first.run_id)
    assert stopped.metadata["lockstep_rolled_back_by"] == second.run_id
    assert all(s.values.get("input") != "A" for s in client.threads.get_history(t))


# ---------------------------------------------------------------------------- RemoteGraph


def test_remote_graph_passes_its_arguments_on(client, tid):
    graph = client.graph("counter")
    config = {"configurable": {"thread_id": tid()}}
    paused_out = graph.invoke({"count": 5}, config, interrupt_before=["double"])
    assert paused_out == {"count": 6, "seen": [5], "ratio": 2.75}
    assert graph.get_state(config).next == ("double",)
    assert graph.invoke(None, config)["count"] == 12
    history = list(graph.get_state_history(config))
    assert steps(history) == [2, 1, 0, -1]
    assert steps(graph.get_state_history(config, limit=2)) == [2, 1]
    assert steps(graph.get_state_history(config, before=history[1].config)) == [0, -1]
    assert steps(graph.get_state_history(config, filter={"source": "input"})) == [-1]
    at_inc = graph.get_state(history[1].config)  # the config's checkpoint_id picks it
    assert at_inc == history[1] and at_inc.next == ("double",)

    # update_state: as_node and the config's checkpoint_id reach the server.
    forked = graph.update_state(history[1].config, {"count": 50})
    assert graph.get_state(forked).parent_config == history[1].config
    assert graph.invoke(None, config)["count"] == 100
    chunks = list(graph.stream({"count": 1}, config, stream_mode="updates", interrupt_after="inc"))
    assert chunks == [{"inc": {"count": 2, "seen": [1], "ratio": 0.75}}, {"__interrupt__": ()}]
    graph.update_state(config, {"count": 7}, as_node="double")
    assert graph.get_state(config).next == ()
    assert graph.get_state(config).values["count"] == 7

    seed = client.graph("dynamic_breakpoints")
    config = {"configurable": {"thread_id": tid("seed")}}
    seed.invoke(HW, config)
    seed.update_state(config, None, as_node="step_2")
    assert seed.get_state(config).next == ("step_3",)


def test_remote_graph_resumes_with_a_command_and_raises_a_node_failure(client, tid):
    class Command:  # shaped like LangGraph's (and lockstep's) Command
        def __init__(self, resume=None, update=None, goto=()):
            self.resume, self.update, self.goto = resume, update, goto

    graph = client.graph("approval")
    config = {"configurable": {"thread_id": tid()}}
    out = graph.invoke({"request": "a chair"}, config)
    assert out["__interrupt__"][0].value["request"] == "a chair"
    assert graph.invoke(Command(resume=True), config)["outcome"] == "done"
    flaky = client.graph("flaky")
    with pytest.raises(RunFailedError, match="check"):
        flaky.invoke({"input": "bad"}, {"configurable": {"thread_id": tid("bad")}})
    with pytest.raises(ValueError, match="thread_id"):
        graph.get_state({})
