"""Faults: a node's exception names the node, is kept on the thread, and a resume re-runs
only what failed. RetryPolicy: attempts, backoff, which exceptions."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import START, RetryPolicy, StateGraph
from lockstep.types import default_retry_on


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


class Boom(Exception):
    pass


def ok_and_flaky(saver, calls, failing):
    def ok(state):
        calls.append("ok")
        return {"log": ["ok"]}

    def flaky(state):
        calls.append("flaky")
        if failing["on"]:
            raise Boom("flaky is down")
        return {"log": ["flaky"]}

    def after(state):
        calls.append("after")
        return {"log": ["after"]}

    b = StateGraph(S)
    b.add_node("ok", ok)
    b.add_node("flaky", flaky)
    b.add_node("after", after)
    b.add_edge(START, "ok")
    b.add_edge(START, "flaky")
    b.add_edge(["ok", "flaky"], "after")
    return b.compile(checkpointer=saver)


def test_node_exception_propagates_with_the_node_named(saver, driver):
    graph = ok_and_flaky(saver, [], {"on": True})
    with pytest.raises(Boom, match="flaky is down") as info:
        run(graph, {"x": 0}, thread("f"), driver=driver)
    notes = getattr(info.value, "__notes__", [])
    assert any("'flaky'" in note for note in notes)


def test_failed_task_is_recorded_and_resume_reruns_only_it(saver, driver):
    calls, failing = [], {"on": True}
    graph = ok_and_flaky(saver, calls, failing)
    cfg = thread("f")
    with pytest.raises(Boom):
        run(graph, {"x": 0}, cfg, driver=driver)
    state = graph.get_state(cfg)
    assert state.next == ("flaky",)  # ok finished: its writes are pending, not re-run
    by_name = {t.name: t for t in state.tasks}
    assert by_name["ok"].error is None
    assert by_name["ok"].result == {"log": ["ok"]}
    assert "flaky is down" in str(by_name["flaky"].error)
    assert "Boom" in str(by_name["flaky"].error)
    # As LangGraph: the head shows the finished task's pending write applied ...
    assert state.values == {"x": 0, "log": ["ok"]}
    assert state.metadata["step"] == 0
    # ... while the checkpoint itself is still the one the step started from.
    head = next(iter(graph.get_state_history(cfg)))
    assert head.values == {"x": 0, "log": []}
    assert head.config == state.config
    assert sorted(calls) == ["flaky", "ok"]

    # Still failing: a resume re-runs flaky alone, and fails again.
    with pytest.raises(Boom):
        run(graph, None, cfg, driver=driver)
    assert sorted(calls) == ["flaky", "flaky", "ok"]

    failing["on"] = False
    events = run(graph, None, cfg, driver=driver, stream_mode="values")
    assert sorted(calls) == ["after", "flaky", "flaky", "flaky", "ok"]
    assert events[-1] == {"x": 0, "log": ["flaky", "ok", "after"]}
    state = graph.get_state(cfg)
    assert state.next == () and state.tasks == ()
    # Failed attempts added no checkpoints.
    assert [s.metadata["step"] for s in graph.get_state_history(cfg)] == [2, 1, 0, -1]


def test_error_in_a_sequential_node_keeps_earlier_steps(saver):
    def bad(state):
        raise Boom("late")

    b = StateGraph(S)
    b.add_node("a", lambda s: {"log": ["a"]})
    b.add_node("bad", bad)
    b.add_edge(START, "a")
    b.add_edge("a", "bad")
    graph = b.compile(checkpointer=saver)
    cfg = thread("e")
    with pytest.raises(Boom):
        graph.invoke({"x": 0}, cfg)
    state = graph.get_state(cfg)
    assert state.values["log"] == ["a"]
    assert state.next == ("bad",)
    assert "late" in state.tasks[0].error


def test_error_without_checkpointer_still_propagates():
    b = StateGraph(S)
    b.add_node("bad", lambda s: 1 / 0)
    b.add_edge(START, "bad")
    with pytest.raises(ZeroDivisionError) as info:
        b.compile().invoke({"x": 0})
    assert any("'bad'" in n for n in info.value.__notes__)


# -- RetryPolicy ----------------------------------------------------------------


def flaky_graph(fail_times: int, policy, exc: type[BaseException] = Boom):
    calls = {"n": 0}

    def node(state):
        calls["n"] += 1
        if calls["n"] <= fail_times:
            raise exc(f"attempt {calls['n']}")
        return {"log": [calls["n"]]}

    b = StateGraph(S)
    b.add_node("node", node, retry_policy=policy)
    b.add_edge(START, "node")
    return b.compile(), calls


FAST = {"initial_interval": 0.0001, "jitter": False}


def test_retry_until_success_within_attempts(driver):
    graph, calls = flaky_graph(2, RetryPolicy(max_attempts=3, **FAST))
    out = run(graph, {"x": 0}, None, driver=driver, stream_mode="values")
    assert out[-1]["log"] == [3]
    assert calls["n"] == 3


def test_retry_gives_up_after_max_attempts(driver):
    graph, calls = flaky_graph(5, RetryPolicy(max_attempts=3, **FAST))
    with pytest.raises(Boom, match="attempt 3"):
        run(graph, {"x": 0}, None, driver=driver)
    assert calls["n"] == 3


def test_retry_on_selects_exceptions():
    graph, calls = flaky_graph(1, RetryPolicy(max_attempts=3, retry_on=KeyError, **FAST), Boom)
    with pytest.raises(Boom):
        graph.invoke({"x": 0})
    assert calls["n"] == 1
    graph, calls = flaky_graph(1, RetryPolicy(retry_on=(KeyError, Boom), **FAST), Boom)
    assert graph.invoke({"x": 0})["log"] == [2]
    graph, calls = flaky_graph(
        2, RetryPolicy(retry_on=lambda e: "attempt 1" in str(e), **FAST), Boom
    )
    with pytest.raises(Boom, match="attempt 2"):
        graph.invoke({"x": 0})
    assert calls["n"] == 2


def test_default_retry_on_matches_langgraph():
    """Transient-looking errors retry; bugs and bad input do not."""
    graph, calls = flaky_graph(1, RetryPolicy(**FAST), KeyError)
    with pytest.raises(KeyError):
        graph.invoke({"x": 0})
    assert calls["n"] == 1
    graph, calls = flaky_graph(1, RetryPolicy(**FAST), ConnectionError)
    assert graph.invoke({"x": 0})["log"] == [2]
    assert default_retry_on(Boom()) is True
    for exc in (ValueError(), TypeError(), LookupError(), OSError(), RuntimeError()):
        assert default_retry_on(exc) is False

    class HTTPError(Exception):
        def __init__(self, status):
            self.response = type("R", (), {"status_code": status})()

    assert default_retry_on(HTTPError(503)) is True
    assert default_retry_on(HTTPError(404)) is False


def test_backoff_grows_and_is_capped(monkeypatch):
    import lockstep.pregel.runner as runner

    slept = []
    monkeypatch.setattr(runner.time, "sleep", slept.append)
    policy = RetryPolicy(
        max_attempts=5, initial_interval=1.0, backoff_factor=3.0, max_interval=5.0, jitter=False
    )
    graph, calls = flaky_graph(4, policy)
    assert graph.invoke({"x": 0})["log"] == [5]
    assert slept == [1.0, 3.0, 5.0, 5.0]


def test_first_matching_policy_of_several_applies():
    policies = [
        RetryPolicy(max_attempts=2, retry_on=KeyError, **FAST),
        RetryPolicy(max_attempts=4, retry_on=Boom, **FAST),
    ]
    graph, calls = flaky_graph(3, policies)
    assert graph.invoke({"x": 0})["log"] == [4]
    graph, calls = flaky_graph(3, policies, KeyError)
    with pytest.raises(KeyError):
        graph.invoke({"x": 0})
    assert calls["n"] == 2
