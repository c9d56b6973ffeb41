"""Subgraphs over the wire: the `nested` example (a parent whose `approval` node is a
compiled graph calling interrupt()) run in process and through RemoteGraph against a
live server, compared step for step: namespaced events with subgraphs=True, the
subgraph's interrupt, get_state(subgraphs=True), the subgraph's history, an update
on the subgraph's checkpoint, and the resume that continues inside it."""

from __future__ import annotations

import pytest
from transcripts import norm

from lockstep.checkpoint import MemorySaver
from lockstep.examples import nested
from lockstep.types import Command
from lockstep_client import Client, NotFoundError

pytestmark = pytest.mark.timeout(120)

@pytest.fixture
def remote(server):
    with Client(server.address) as client:
        yield client.graph("nested")


def both(remote, tid):
    """(in-process graph, remote graph, config): the same thread id on both."""
    local = nested.builder.compile(checkpointer=MemorySaver())
    return local, remote, {"configurable": {"thread_id": tid()}}


MODES = ["updates", "values"]
FIRST = {"request": "  a new lamp "}


def test_a_subgraph_interrupt_and_resume_match_in_process(remote, tid):
    local, remote, config = both(remote, tid)
    # the first run, to the subgraph's interrupt
    here, there = (list(g.stream(FIRST, config, stream_mode=MODES, subgraphs=True)) for g in (local, remote))
    assert norm(there) == norm(here)
    namespaces = {chunk[0] for chunk in there}
    assert len(namespaces) == 2 and () in namespaces
    (inner,) = namespaces - {()}
    assert inner[0].startswith("approval:")

    here, there = local.get_state(config, subgraphs=True), remote.get_state(config, subgraphs=True)
    assert norm(there) == norm(here)
    (task,) = there.tasks
    assert task.state.next == ("ask",) and task.state.values == {"request": "a new lamp", "checked": True}
    assert task.state.config["configurable"]["checkpoint_ns"] == inner[0]
    flat = remote.get_state(config)  # without subgraphs: the subgraph's address only
    assert flat.tasks[0].state == {"configurable": {"thread_id": config["configurable"]["thread_id"], "checkpoint_ns": inner[0]}}

    history = [norm(s) for s in remote.get_state_history(task.state.config)]
    assert history == [norm(s) for s in local.get_state_history(here.tasks[0].state.config)]
    assert len(history) >= 2

    # resume: only `ask` runs again inside the subgraph
    resume = Command(resume=True)
    here, there = (list(g.stream(resume, config, stream_mode=MODES, subgraphs=True)) for g in (local, remote))
    assert norm(there) == norm(here)
    updated = [(ns, next(iter(c))) for ns, mode, c in there if mode == "updates"]
    assert updated == [(inner, "ask"), ((), "approval"), ((), "act")]
    assert remote.get_state(config).values["outcome"] == "done"


def test_without_subgraphs_only_the_parent_streams_and_invoke_reports_the_interrupt(remote, tid):
    local, remote, config = both(remote, tid)
    here = list(local.stream(FIRST, config, stream_mode=MODES))
    there = list(remote.stream(FIRST, config, stream_mode=MODES))
    assert norm(there) == norm(here)
    assert [mode for mode, _ in there] == ["values", "updates", "values", "updates", "values"]
    config2 = {"configurable": {"thread_id": config["configurable"]["thread_id"] + "-2"}}
    assert norm(remote.invoke(FIRST, config2)) == norm(local.invoke(FIRST, config2))


def test_an_update_on_the_subgraph_checkpoint_then_resume(remote, tid):
    def session(graph):
        """(the update's config, the state after it, the resumed run's result)."""
        list(graph.stream(FIRST, config))
        sub = graph.get_state(config, subgraphs=True).tasks[0].state.config
        updated = graph.update_state(sub, {"request": "two lamps"})
        after = graph.get_state(config, subgraphs=True)
        return updated, after, graph.invoke(Command(resume=False), config)

    local, remote, config = both(remote, tid)
    here, there = session(local), session(remote)
    assert norm(there) == norm(here)
    updated, after, out = there
    assert updated["configurable"]["checkpoint_ns"].startswith("approval:")
    assert after.tasks[0].state.values["request"] == "two lamps"
    assert out["outcome"] == "rejected"


def test_a_namespace_the_thread_does_not_have_is_not_found(remote, tid):
    _, remote, config = both(remote, tid)
    list(remote.stream(FIRST, config))
    bad = {"configurable": {**config["configurable"], "checkpoint_ns": "approval:nope"}}
    with pytest.raises(NotFoundError) as err:
        remote.get_state(bad)
    assert err.value.reason == "NAMESPACE_NOT_FOUND"
    with pytest.raises(NotFoundError):
        remote.update_state(bad, {"request": "x"})
    assert remote.get_state(config).values == {"request": "a new lamp"}
