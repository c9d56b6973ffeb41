"""The seed scenario (../shared/seed/SCENARIO.md), verbatim, all seven steps.

Run through `stream` and `astream`, on a MemorySaver and on a SqliteSaver. The
events are printed as the original page prints them, and the printed lines
(the nodes' own `---Step n---` and the events) are checked exactly.
"""

from __future__ import annotations

from typing import TypedDict

import pytest
from support import run, thread

from lockstep import END, START, NodeInterrupt, StateGraph
from lockstep.types import Interrupt

LONG = "Received input that is longer than 5 characters: hello world"


class State(TypedDict):
    input: str


def step_1(state):
    print("---Step 1---")
    return state


def step_2(state):
    if len(state["input"]) > 5:
        raise NodeInterrupt(
            f"Received input that is longer than 5 characters: {state['input']}"
        )
    print("---Step 2---")
    return state


def step_3(state):
    print("---Step 3---")
    return state


def seed_graph(checkpointer):
    builder = StateGraph(State)
    builder.add_node("step_1", step_1)
    builder.add_node("step_2", step_2)
    builder.add_node("step_3", step_3)
    builder.add_edge(START, "step_1")
    builder.add_edge("step_1", "step_2")
    builder.add_edge("step_2", "step_3")
    builder.add_edge("step_3", END)
    return builder.compile(checkpointer=checkpointer)


def lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def assert_interrupted_at_step_2(snapshot, values):
    assert snapshot.values == values
    assert snapshot.next == ("step_2",)
    assert len(snapshot.tasks) == 1
    task = snapshot.tasks[0]
    assert task.name == "step_2"
    assert task.error is None
    assert len(task.interrupts) == 1
    (intr,) = task.interrupts
    assert isinstance(intr, Interrupt)
    assert intr.value == LONG
    assert intr.when == "during"
    # Lockstep gives NodeInterrupt a real id (LangGraph: 'placeholder-id').
    assert isinstance(intr.id, str) and intr.id and intr.id != "placeholder-id"
    assert snapshot.interrupts == task.interrupts
    return intr


def test_seed_scenario(saver, driver, capsys):
    graph = seed_graph(saver)

    # 1. A short input runs straight through: four value events.
    cfg1 = thread("1")
    events = run(graph, {"input": "hello"}, cfg1, driver=driver, echo=True, stream_mode="values")
    assert events == [{"input": "hello"}] * 4
    assert lines(capsys) == [
        "{'input': 'hello'}",
        "---Step 1---",
        "{'input': 'hello'}",
        "---Step 2---",
        "{'input': 'hello'}",
        "---Step 3---",
        "{'input': 'hello'}",
    ]
    state = graph.get_state(cfg1)
    assert state.next == ()
    assert state.tasks == ()
    assert state.values == {"input": "hello"}

    # 2. A long input: step_2 raises NodeInterrupt, the run stops there.
    cfg2 = thread("2")
    events = run(
        graph, {"input": "hello world"}, cfg2, driver=driver, echo=True, stream_mode="values"
    )
    state = graph.get_state(cfg2)
    intr = assert_interrupted_at_step_2(state, {"input": "hello world"})
    again = graph.get_state(cfg2)
    assert again.tasks[0].interrupts[0].id == intr.id  # stable between reads
    assert again == state
    # LangGraph 1.x: the last values event carries the interrupts under __interrupt__.
    assert events == [
        {"input": "hello world"},
        {"input": "hello world"},
        {"input": "hello world", "__interrupt__": (intr,)},
    ]
    assert lines(capsys) == [
        "{'input': 'hello world'}",
        "---Step 1---",
        "{'input': 'hello world'}",
        repr({"input": "hello world", "__interrupt__": (intr,)}),
    ]
    history_len = len(list(graph.get_state_history(cfg2)))
    assert history_len == 3  # steps -1 (input), 0 (after __start__), 1 (after step_1)

    # 3. Resuming with None re-runs step_2, which raises again: nothing changes.
    events = run(graph, None, cfg2, driver=driver, echo=True, stream_mode="values")
    assert events == [
        {"input": "hello world"},
        {"input": "hello world", "__interrupt__": (intr,)},
    ]
    assert lines(capsys) == [
        "{'input': 'hello world'}",
        repr({"input": "hello world", "__interrupt__": (intr,)}),
    ]
    after = graph.get_state(cfg2)
    assert after == state  # same checkpoint, same task, same interrupt id
    assert len(list(graph.get_state_history(cfg2))) == history_len  # no new checkpoint

    # 4. update_state as the last node that ran (step_1): next stays step_2.
    updated = graph.update_state(cfg2, {"input": "foo"})
    assert updated["configurable"]["thread_id"] == "2"
    assert updated["configurable"]["checkpoint_id"]
    state = graph.get_state(cfg2)
    assert state.next == ("step_2",)
    assert state.values == {"input": "foo"}
    assert state.metadata["source"] == "update"
    assert state.config == updated
    assert state.tasks[0].interrupts == ()  # a new checkpoint: nothing has raised from it yet
    events = run(graph, None, cfg2, driver=driver, echo=True, stream_mode="values")
    assert events == [{"input": "foo"}] * 3
    assert lines(capsys) == [
        "{'input': 'foo'}",
        "---Step 2---",
        "{'input': 'foo'}",
        "---Step 3---",
        "{'input': 'foo'}",
    ]
    state = graph.get_state(cfg2)
    assert state.values == {"input": "foo"}
    assert state.next == ()
    assert state.tasks == ()

    # 5. update_state as step_2 records the update as step_2's output: step_2 is skipped.
    cfg3 = thread("3")
    events = run(
        graph, {"input": "hello world"}, cfg3, driver=driver, echo=True, stream_mode="values"
    )
    intr3 = assert_interrupted_at_step_2(graph.get_state(cfg3), {"input": "hello world"})
    assert intr3.id != intr.id  # another thread, another task
    assert events[-1] == {"input": "hello world", "__interrupt__": (intr3,)}
    capsys.readouterr()
    graph.update_state(cfg3, None, as_node="step_2")
    state = graph.get_state(cfg3)
    assert state.next == ("step_3",)
    assert state.values == {"input": "hello world"}
    events = run(graph, None, cfg3, driver=driver, echo=True, stream_mode="values")
    assert events == [{"input": "hello world"}, {"input": "hello world"}]
    assert lines(capsys) == [
        "{'input': 'hello world'}",
        "---Step 3---",
        "{'input': 'hello world'}",
    ]
    state = graph.get_state(cfg3)
    assert state.next == ()
    assert state.values == {"input": "hello world"}

    # 6. The history of thread 2, newest first, exactly as LangGraph gives it.
    history = list(graph.get_state_history(cfg2))
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
        assert newer.config["configurable"]["checkpoint_id"] > older.config["configurable"][
            "checkpoint_id"
        ]
    assert history[-1].parent_config is None
    assert all(s.created_at for s in history)
    assert all(s.metadata["parents"] == {} for s in history)
    # The interrupted checkpoint still shows step_2's interrupt.
    assert history[3].tasks[0].interrupts == (intr,)

    # 7. updates mode on a fresh thread: step_1's update, then the interrupt.
    cfg4 = thread("4")
    events = run(
        graph, {"input": "hello world"}, cfg4, driver=driver, echo=True, stream_mode="updates"
    )
    intr4 = assert_interrupted_at_step_2(graph.get_state(cfg4), {"input": "hello world"})
    assert events == [{"step_1": {"input": "hello world"}}, {"__interrupt__": (intr4,)}]
    assert lines(capsys) == [
        "---Step 1---",
        "{'step_1': {'input': 'hello world'}}",
        repr({"__interrupt__": (intr4,)}),
    ]


@pytest.mark.parametrize("saver_kind", ["memory", "sqlite"])
def test_seed_state_survives_a_new_saver_object(saver_kind, tmp_path):
    """SqliteSaver on a file: a second saver on the same file reads the same thread."""
    from support import make_saver

    if saver_kind == "memory":
        saver = make_saver("memory", tmp_path)
        graph = seed_graph(saver)
        graph.invoke({"input": "hello world"}, thread("t"))
        reread = seed_graph(saver).get_state(thread("t"))
    else:
        graph = seed_graph(make_saver("sqlite", tmp_path))
        graph.invoke({"input": "hello world"}, thread("t"))
        reread = seed_graph(make_saver("sqlite", tmp_path)).get_state(thread("t"))
    assert reread == graph.get_state(thread("t"))
    assert_interrupted_at_step_2(reread, {"input": "hello world"})
