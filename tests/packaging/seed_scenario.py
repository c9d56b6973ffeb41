"""The seed scenario (SCENARIO.md steps 1-7) through the SDK alone, as a user's script.

test_wheels.py runs it with the python of a venv that holds only the lockstep-client
and lockstep-api wheels, so it imports nothing from the tests or the checkout.
Usage: python seed_scenario.py ADDRESS THREAD_PREFIX; exits non-zero on the first
difference, and prints `seed scenario: ok` at the end.
"""

from __future__ import annotations

import importlib.util
import sys

from lockstep_client import Client

LONG = "Received input that is longer than 5 characters: hello world"


def interrupted_at_step_2(snapshot, values):
    assert snapshot.values == values, snapshot.values
    assert snapshot.next == ("step_2",), snapshot.next
    (task,) = snapshot.tasks
    assert (task.name, task.error) == ("step_2", None), task
    (intr,) = task.interrupts
    assert (intr.value, intr.when) == (LONG, "during"), intr
    return intr


def main(address: str, prefix: str) -> None:
    assert importlib.util.find_spec("lockstep") is None, "the server package is installed"
    with Client(address, timeout=30) as client:
        run_scenario(client, prefix)
    print("seed scenario: ok")


def run_scenario(client: Client, prefix: str) -> None:
    """Steps 1-7 on threads named PREFIX-1 ... PREFIX-4 (other tests run it on a
    server of their own too: tests/server/test_postgres_server.py)."""
    graph = client.graph("dynamic_breakpoints")

    def config(name: str) -> dict:
        return {"configurable": {"thread_id": f"{prefix}-{name}"}}

    # 1. A short input runs through.
    events = list(graph.stream({"input": "hello"}, config("1"), stream_mode="values"))
    assert events == [{"input": "hello"}] * 4, events
    state = graph.get_state(config("1"))
    assert (state.next, state.tasks) == ((), ()), state

    # 2. A long one stops at step_2.
    events = list(graph.stream({"input": "hello world"}, config("2"), stream_mode="values"))
    state = graph.get_state(config("2"))
    intr = interrupted_at_step_2(state, {"input": "hello world"})
    assert events == [
        {"input": "hello world"},
        {"input": "hello world"},
        {"input": "hello world", "__interrupt__": (intr,)},
    ], events

    # 3. Resuming unchanged raises again and changes nothing.
    list(graph.stream(None, config("2"), stream_mode="values"))
    assert graph.get_state(config("2")) == state

    # 4. An update as step_1, then the run completes.
    graph.update_state(config("2"), {"input": "foo"})
    assert graph.get_state(config("2")).next == ("step_2",)
    events = list(graph.stream(None, config("2"), stream_mode="values"))
    assert events == [{"input": "foo"}] * 3, events
    state = graph.get_state(config("2"))
    assert (state.next, state.values) == ((), {"input": "foo"}), state

    # 5. An update as step_2 skips it.
    list(graph.stream({"input": "hello world"}, config("3"), stream_mode="values"))
    interrupted_at_step_2(graph.get_state(config("3")), {"input": "hello world"})
    graph.update_state(config("3"), None, as_node="step_2")
    events = list(graph.stream(None, config("3"), stream_mode="values"))
    assert events == [{"input": "hello world"}] * 2, events
    assert graph.get_state(config("3")).next == ()

    # 6. Thread 2's history, newest first.
    history = [
        (s.next, s.values, s.metadata["source"], s.metadata["step"])
        for s in graph.get_state_history(config("2"))
    ]
    assert history == [
        ((), {"input": "foo"}, "loop", 4),
        (("step_3",), {"input": "foo"}, "loop", 3),
        (("step_2",), {"input": "foo"}, "update", 2),
        (("step_2",), {"input": "hello world"}, "loop", 1),
        (("step_1",), {"input": "hello world"}, "loop", 0),
        (("__start__",), {}, "input", -1),
    ], history

    # 7. Updates mode.
    events = list(graph.stream({"input": "hello world"}, config("4"), stream_mode="updates"))
    intr = interrupted_at_step_2(graph.get_state(config("4")), {"input": "hello world"})
    assert events == [{"step_1": {"input": "hello world"}}, {"__interrupt__": (intr,)}], events


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
