"""Interrupts: NodeInterrupt, interrupt() + Command(resume), static breakpoints, Command."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import END, START, Command, InvalidUpdateError, NodeInterrupt, StateGraph, interrupt
from lockstep.types import Interrupt


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def logger(name, calls=None):
    def node(state):
        if calls is not None:
            calls.append(name)
        return {"log": [name]}

    return node


def abc(saver, calls=None, **compile_kw):
    b = StateGraph(S)
    for n in "abc":
        b.add_node(n, logger(n, calls))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "c")
    b.add_edge("c", END)
    return b.compile(checkpointer=saver, **compile_kw)


# -- NodeInterrupt -------------------------------------------------------------


def test_node_interrupt_pauses_and_resume_reruns_the_node(saver, driver):
    calls = []

    def gate(state):
        calls.append(state["x"])
        if state["x"] < 2:
            raise NodeInterrupt({"need": 2, "have": state["x"]})
        return {"log": ["gate"]}

    b = StateGraph(S)
    b.add_node("gate", gate)
    b.add_edge(START, "gate")
    graph = b.compile(checkpointer=saver)
    cfg = thread("n")
    events = run(graph, {"x": 0}, cfg, driver=driver, stream_mode="updates")
    state = graph.get_state(cfg)
    assert state.next == ("gate",)
    (task,) = state.tasks
    assert task.error is None
    assert task.interrupts == (Interrupt(value={"need": 2, "have": 0}, id=task.interrupts[0].id),)
    assert events == [{"__interrupt__": task.interrupts}]
    run(graph, None, cfg, driver=driver)
    assert calls == [0, 0]
    graph.update_state(cfg, {"x": 5})
    run(graph, None, cfg, driver=driver)
    assert calls == [0, 0, 5]
    assert graph.get_state(cfg).values == {"x": 5, "log": ["gate"]}
    assert graph.get_state(cfg).next == ()


# -- interrupt() and Command(resume=...) ----------------------------------------


def test_interrupt_returns_the_resume_value(saver, driver):
    calls = []

    def ask(state):
        calls.append("ask")
        answer = interrupt({"question": "name?"})
        return {"log": [f"hello {answer}"]}

    b = StateGraph(S)
    b.add_node("ask", ask)
    b.add_node("after", logger("after"))
    b.add_edge(START, "ask")
    b.add_edge("ask", "after")
    graph = b.compile(checkpointer=saver)
    cfg = thread("i")
    events = run(graph, {"x": 0}, cfg, driver=driver, stream_mode="values")
    state = graph.get_state(cfg)
    (intr,) = state.interrupts
    assert intr.value == {"question": "name?"} and intr.id
    assert events[-1] == {"x": 0, "log": [], "__interrupt__": (intr,)}
    events = run(graph, Command(resume="Ada"), cfg, driver=driver, stream_mode="updates")
    assert events == [{"ask": {"log": ["hello Ada"]}}, {"after": {"log": ["after"]}}]
    assert calls == ["ask", "ask"]
    assert graph.get_state(cfg).next == ()


def test_several_interrupts_in_one_node_are_answered_in_order(saver, driver):
    def form(state):
        first = interrupt("first?")
        second = interrupt("second?")
        third = interrupt("third?")
        return {"log": [first, second, third]}

    b = StateGraph(S)
    b.add_node("form", form)
    b.add_edge(START, "form")
    graph = b.compile(checkpointer=saver)
    cfg = thread("f")
    run(graph, {"x": 0}, cfg, driver=driver)
    asked = [graph.get_state(cfg).interrupts[0].value]
    for answer in ("A", "B"):
        events = run(graph, Command(resume=answer), cfg, driver=driver, stream_mode="updates")
        (intr,) = graph.get_state(cfg).interrupts
        assert events == [{"__interrupt__": (intr,)}]
        asked.append(intr.value)
    assert asked == ["first?", "second?", "third?"]
    events = run(graph, Command(resume="C"), cfg, driver=driver, stream_mode="updates")
    assert events == [{"form": {"log": ["A", "B", "C"]}}]
    state = graph.get_state(cfg)
    assert state.values["log"] == ["A", "B", "C"]
    assert state.interrupts == ()
    # The answered interrupts added no checkpoints: input, start, and the finished step.
    assert [s.metadata["step"] for s in graph.get_state_history(cfg)] == [1, 0, -1]


def test_resume_by_id_answers_the_matching_interrupt():
    def form(state):
        return {"log": [interrupt("a?"), interrupt("b?")]}

    from lockstep.checkpoint import MemorySaver

    b = StateGraph(S)
    b.add_node("form", form)
    b.add_edge(START, "form")
    graph = b.compile(checkpointer=MemorySaver())
    cfg = thread("f")
    graph.invoke({"x": 0}, cfg)
    (first,) = graph.get_state(cfg).interrupts
    graph.invoke(Command(resume={first.id: 1}), cfg)
    (second,) = graph.get_state(cfg).interrupts
    assert second.value == "b?" and second.id != first.id
    graph.invoke(Command(resume={second.id: 2}), cfg)
    assert graph.get_state(cfg).values["log"] == [1, 2]


def parallel_askers(saver, calls):
    def asker(name):
        def node(state):
            calls.append(name)
            return {"log": [f"{name}={interrupt(name + '?')}"]}

        return node

    b = StateGraph(S)
    b.add_node("p1", asker("p1"))
    b.add_node("p2", asker("p2"))
    b.add_node("join", logger("join"))
    b.add_edge(START, "p1")
    b.add_edge(START, "p2")
    b.add_edge(["p1", "p2"], "join")
    return b.compile(checkpointer=saver)


def test_parallel_interrupts_resumed_together_by_id(saver, driver):
    calls = []
    graph = parallel_askers(saver, calls)
    cfg = thread("p")
    run(graph, {"x": 0}, cfg, driver=driver)
    state = graph.get_state(cfg)
    assert state.next == ("p1", "p2")
    by_value = {i.value: i.id for i in state.interrupts}
    assert set(by_value) == {"p1?", "p2?"}
    assert len(set(by_value.values())) == 2
    assert {t.name: t.interrupts[0].value for t in state.tasks} == {"p1": "p1?", "p2": "p2?"}
    resume = {by_value["p1?"]: "one", by_value["p2?"]: "two"}
    events = run(graph, Command(resume=resume), cfg, driver=driver, stream_mode="updates")
    assert sorted(next(iter(e)) for e in events) == ["join", "p1", "p2"]
    state = graph.get_state(cfg)
    assert state.values["log"] == ["p1=one", "p2=two", "join"]
    assert state.next == ()
    assert sorted(calls) == ["p1", "p1", "p2", "p2"]


def test_parallel_interrupts_one_at_a_time(saver):
    calls = []
    graph = parallel_askers(saver, calls)
    cfg = thread("p")
    graph.invoke({"x": 0}, cfg)
    by_value = {i.value: i.id for i in graph.get_state(cfg).interrupts}
    graph.invoke(Command(resume={by_value["p1?"]: "one"}), cfg)
    state = graph.get_state(cfg)
    assert [i.value for i in state.interrupts] == ["p2?"]
    assert state.interrupts[0].id == by_value["p2?"]  # same task, same id
    # With one interrupt left, a bare value answers it; p1 is not run again.
    graph.invoke(Command(resume="two"), cfg)
    assert graph.get_state(cfg).values["log"] == ["p1=one", "p2=two", "join"]
    assert sorted(calls) == ["p1", "p1", "p2", "p2", "p2"]


def test_a_bare_resume_with_several_interrupts_pending_is_an_error(saver):
    graph = parallel_askers(saver, [])
    cfg = thread("p")
    graph.invoke({"x": 0}, cfg)
    with pytest.raises(InvalidUpdateError, match="by id"):
        graph.invoke(Command(resume="which?"), cfg)


def test_interrupt_outside_a_node_is_an_error():
    with pytest.raises(RuntimeError, match="inside a running node"):
        interrupt("nope")


# -- interrupt_before / interrupt_after -----------------------------------------


def test_interrupt_before_at_compile(saver, driver):
    calls = []
    graph = abc(saver, calls, interrupt_before=["b"])
    cfg = thread("s")
    events = run(graph, {"x": 1}, cfg, driver=driver, stream_mode="values")
    assert events == [{"x": 1, "log": []}, {"x": 1, "log": ["a"]}]
    state = graph.get_state(cfg)
    assert state.next == ("b",)
    assert state.tasks[0].interrupts == () and state.interrupts == ()
    assert calls == ["a"]
    events = run(graph, None, cfg, driver=driver, stream_mode="updates")
    assert events == [{"b": {"log": ["b"]}}, {"c": {"log": ["c"]}}]
    assert calls == ["a", "b", "c"]
    assert graph.get_state(cfg).next == ()


def test_interrupt_after_at_compile(saver, driver):
    graph = abc(saver, interrupt_after=["a"])
    cfg = thread("s")
    events = run(graph, {"x": 1}, cfg, driver=driver, stream_mode="updates")
    assert events == [{"a": {"log": ["a"]}}, {"__interrupt__": ()}]
    state = graph.get_state(cfg)
    assert state.next == ("b",) and state.values["log"] == ["a"]
    events = run(graph, None, cfg, driver=driver, stream_mode="values")
    assert events == [
        {"x": 1, "log": ["a"]},
        {"x": 1, "log": ["a", "b"]},
        {"x": 1, "log": ["a", "b", "c"]},
    ]


def test_interrupt_before_and_after_per_call(saver, driver):
    graph = abc(saver)
    cfg = thread("s")
    events = run(graph, {"x": 1}, cfg, driver=driver, stream_mode="updates", interrupt_before=["c"])
    assert events == [{"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}, {"__interrupt__": ()}]
    assert graph.get_state(cfg).next == ("c",)
    assert run(graph, None, cfg, driver=driver, stream_mode="updates") == [{"c": {"log": ["c"]}}]

    cfg = thread("t")
    events = run(graph, {"x": 1}, cfg, driver=driver, stream_mode="updates", interrupt_after=["a"])
    assert events == [{"a": {"log": ["a"]}}, {"__interrupt__": ()}]
    assert graph.get_state(cfg).next == ("b",)


def test_per_call_breakpoints_replace_the_compiled_ones(saver):
    graph = abc(saver, interrupt_before=["b"])
    cfg = thread("s")
    graph.invoke({"x": 1}, cfg, interrupt_before=["c"])
    assert graph.get_state(cfg).next == ("c",)


def test_interrupt_before_star_stops_before_every_node(saver):
    graph = abc(saver, interrupt_before="*")
    cfg = thread("s")
    stops = []
    graph.invoke({"x": 1}, cfg)
    while graph.get_state(cfg).next:
        stops.append(graph.get_state(cfg).next)
        graph.invoke(None, cfg)
    assert stops == [("a",), ("b",), ("c",)]


# -- Command ---------------------------------------------------------------------


def test_command_as_node_return_updates_and_goes(saver, driver):
    def router(state) -> Command:
        return Command(update={"x": state["x"] + 1, "log": ["router"]}, goto="c")

    b = StateGraph(S)
    b.add_node("router", router)
    b.add_node("b", logger("b"))
    b.add_node("c", logger("c"))
    b.add_edge(START, "router")
    b.add_edge("b", END)
    b.add_edge("c", END)
    graph = b.compile(checkpointer=saver)
    events = run(graph, {"x": 1}, thread("c"), driver=driver, stream_mode="updates")
    assert events == [{"router": {"x": 2, "log": ["router"]}}, {"c": {"log": ["c"]}}]


def test_command_goto_adds_to_static_edges_and_goto_list():
    def router(state):
        return Command(goto=["c", "d"])

    b = StateGraph(S)
    b.add_node("router", router)
    for n in "bcd":
        b.add_node(n, logger(n))
    b.add_edge(START, "router")
    b.add_edge("router", "b")
    assert b.compile().invoke({"x": 0})["log"] == ["b", "c", "d"]


def test_command_goto_end_and_unknown_node():
    b = StateGraph(S)
    b.add_node("stop", lambda s: Command(update={"log": ["stop"]}, goto=END))
    b.add_edge(START, "stop")
    assert b.compile().invoke({"x": 0})["log"] == ["stop"]
    b = StateGraph(S)
    b.add_node("lost", lambda s: Command(goto="ghost"))
    b.add_edge(START, "lost")
    with pytest.raises(InvalidUpdateError, match="ghost"):
        b.compile().invoke({"x": 0})


def test_command_as_run_input_updates_and_goes(saver, driver):
    graph = abc(saver)
    cfg = thread("c")
    run(graph, {"x": 1}, cfg, driver=driver)
    events = run(
        graph, Command(update={"x": 9}, goto="b"), cfg, driver=driver, stream_mode="updates"
    )
    assert events == [{"b": {"log": ["b"]}}, {"c": {"log": ["c"]}}]
    state = graph.get_state(cfg)
    assert state.values == {"x": 9, "log": ["a", "b", "c", "b", "c"]}
    assert state.next == ()


def test_command_resume_with_update(saver):
    def ask(state):
        return {"log": [f"{interrupt('?')}@{state['x']}"]}

    b = StateGraph(S)
    b.add_node("ask", ask)
    b.add_edge(START, "ask")
    graph = b.compile(checkpointer=saver)
    cfg = thread("c")
    graph.invoke({"x": 1}, cfg)
    graph.invoke(Command(resume="yes", update={"x": 2}), cfg)
    assert graph.get_state(cfg).values == {"x": 2, "log": ["yes@2"]}


def test_command_resume_on_a_fresh_thread_runs_the_graph(saver):
    """As LangGraph: the thread starts as with an empty input; nothing asked yet takes
    the resume. Without a checkpointer there is nothing to resume into: an error."""
    calls: list[str] = []
    graph = abc(saver, calls)
    graph.invoke(Command(resume=1), thread("nobody"))
    assert calls == ["a", "b", "c"]
    assert [s.metadata["source"] for s in graph.get_state_history(thread("nobody"))][-1] == "input"
    with pytest.raises(RuntimeError, match="needs a checkpointer"):
        abc(None).invoke(Command(resume=1))


def test_update_state_refuses_a_resume(saver):
    graph = abc(saver)
    graph.invoke({"x": 1}, thread("t"))
    with pytest.raises(ValueError, match="cannot answer interrupts"):
        graph.update_state(thread("t"), Command(resume=1))


def test_resume_with_none_on_a_fresh_thread_is_an_error(saver):
    graph = abc(saver)
    with pytest.raises(Exception, match="nothing to resume"):
        graph.invoke(None, thread("nobody"))
