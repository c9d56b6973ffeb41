"""Scenarios of run control: recursion limits, step order, Overwrite, deferred nodes,
update_state with a Command, resumes, caching and durability."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from harness import compared, outcome


class Log(TypedDict, total=False):
    log: Annotated[list, operator.add]
    n: int


def _logs(name: str):
    return lambda state: {"log": [name]}


def _chain(lib, length: int):
    graph = lib.StateGraph(Log)
    names = [f"step{i}" for i in range(length)]
    for name in names:
        graph.add_node(name, lambda s: {"n": s.get("n", 0) + 1})
    graph.add_edge(lib.START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        graph.add_edge(a, b)
    return graph.compile()


@compared
def test_long_chain_runs_under_the_default_recursion_limit(lib):
    """A 60-step chain needs no recursion_limit (LangGraph 1.2's default is 10007)."""
    return _chain(lib, 60).invoke({"n": 0})


@compared
def test_a_run_needing_exactly_the_limit_fails(lib):
    """The limit counts steps: a 3-node chain fails with 3, passes with 4."""
    app = _chain(lib, 3)
    return [
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 2}),
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 3}),
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 4}),
    ]


@compared
def test_a_loop_stops_at_the_recursion_limit(lib):
    """An agent loop that never decides to stop is cut off by the limit."""
    graph = lib.StateGraph(Log)
    graph.add_node("think", lambda s: {"n": s.get("n", 0) + 1})
    graph.add_edge(lib.START, "think")
    graph.add_conditional_edges("think", lambda s: "think" if s["n"] < 1000 else lib.END)
    app = graph.compile()
    return [
        outcome(app.invoke, {"n": 0}, {"recursion_limit": 10}),
        outcome(app.invoke, {"n": 995}, {"recursion_limit": 10}),
    ]


@compared
def test_parallel_nodes_apply_in_name_order(lib):
    """Nodes woken together apply their writes in node-name order, whatever order they
    were added in. (Their `updates` events stream as each finishes: LangGraph starts
    them in name order in a thread pool, so they almost always, not always, finish in
    it; Lockstep runs them in that order. Compared as a set per step.)"""
    graph = lib.StateGraph(Log)
    for name in ("merge", "zeta", "alpha", "beta"):
        graph.add_node(name, _logs(name))
        graph.add_edge(lib.START, name)
    graph.add_node("after_zeta", _logs("after_zeta"))
    graph.add_node("after_merge", _logs("after_merge"))
    graph.add_edge("zeta", "after_zeta")
    graph.add_edge("merge", "after_merge")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    steps: list = []
    for mode, chunk in app.stream({"log": []}, cfg, stream_mode=["updates", "values"]):
        if mode == "values":
            steps.append(chunk)
        elif not steps or not isinstance(steps[-1], set):
            steps.append({next(iter(chunk))})
        else:
            steps[-1].add(next(iter(chunk)))
    history = [(s.next, s.metadata["step"]) for s in app.get_state_history(cfg)]
    return [steps, history]


def _overwrite_graph(lib):
    """The docs' Overwrite example, grown: a loop appends, then a reset replaces the list."""
    graph = lib.StateGraph(Log)
    graph.add_node("collect", lambda s: {"log": [len(s["log"])], "n": s.get("n", 0) + 1})
    graph.add_node("reset", lambda s: {"log": lib.Overwrite(value=["reset"])})
    graph.add_edge(lib.START, "collect")
    graph.add_conditional_edges("collect", lambda s: "collect" if s["n"] < 12 else "reset")
    graph.add_edge("reset", lib.END)
    return graph


@compared
def test_overwrite_replaces_a_reducer_value(lib):
    app = _overwrite_graph(lib).compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    chunks = list(app.stream({"log": ["start"]}, cfg, stream_mode=["updates", "values"]))
    history = [s.values for s in app.get_state_history(cfg)]
    return [chunks, history]


@compared
def test_overwrite_in_update_state_and_command(lib):
    app = _overwrite_graph(lib).compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    app.invoke({"log": ["start"]}, cfg)
    app.update_state(cfg, {"log": lib.Overwrite(["edited"])})
    edited = app.get_state(cfg).values
    app.update_state(cfg, {"log": ["more"]})
    appended = app.get_state(cfg).values
    resumed = app.invoke(lib.Command(update={"log": lib.Overwrite(["by command"])}), cfg)
    return [edited, appended, resumed, [s.values for s in app.get_state_history(cfg)][:4]]


@compared
def test_two_overwrites_of_one_key_in_a_step_fail(lib):
    graph = lib.StateGraph(Log)
    graph.add_node("left", lambda s: {"log": lib.Overwrite(["left"])})
    graph.add_node("right", lambda s: {"log": lib.Overwrite(["right"])})
    graph.add_node("plain", lambda s: {"log": ["plain"]})
    for name in ("left", "right", "plain"):
        graph.add_edge(lib.START, name)
    two = graph.compile()
    one = lib.StateGraph(Log)
    one.add_node("left", lambda s: {"log": lib.Overwrite(["left"])})
    one.add_node("plain", lambda s: {"log": ["plain"]})
    one.add_edge(lib.START, "left")
    one.add_edge(lib.START, "plain")
    return [outcome(two.invoke, {"log": []}), outcome(one.compile().invoke, {"log": ["in"]})]


def _steps(chunks):
    """(mode, chunk) pairs of a stream with modes ["updates", "values"], as steps: each
    step's updates (sorted: a step's tasks run in parallel, and LangGraph streams each
    one's update as its thread finishes), then the step's values."""
    out, updates = [], []
    for mode, chunk in chunks:
        if mode == "updates":
            updates.append(chunk)
        else:
            out.append((sorted(updates, key=repr), chunk))
            updates = []
    return out + ([(sorted(updates, key=repr), None)] if updates else [])


@compared
def test_deferred_join_runs_once(lib):
    """The docs' example: branches of different lengths meet at a deferred node, which
    runs once, after both (without defer it would run twice)."""
    graph = lib.StateGraph(Log)
    for name in ("a", "b", "b_2", "c"):
        graph.add_node(name, _logs(name))
    graph.add_node("d", _logs("d"), defer=True)
    graph.add_edge(lib.START, "a")
    graph.add_edge("a", "b")
    graph.add_edge("a", "c")
    graph.add_edge("b", "b_2")
    graph.add_edge("b_2", "d")
    graph.add_edge("c", "d")
    graph.add_edge("d", lib.END)
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    chunks = _steps(app.stream({"log": []}, cfg, stream_mode=["updates", "values"]))
    history = [(s.values, s.next, s.metadata["step"]) for s in app.get_state_history(cfg)]
    return [chunks, history]


@compared
def test_deferred_summary_after_map_reduce(lib):
    """Workers fanned out with Send beside a slower review branch: the deferred summary
    waits for all of them; a join list into a deferred node also waits for the end."""

    def fan_out(state):
        return [lib.Send("work", {"log": [f"job{i}"]}) for i in range(3)]

    graph = lib.StateGraph(Log)
    graph.add_node("work", lambda s: {"log": ["done " + s["log"][0]]})
    graph.add_node("review", _logs("review"))
    graph.add_node("recheck", _logs("recheck"))
    graph.add_node("summary", lambda s: {"log": [f"summary of {len(s['log'])}"]}, defer=True)
    graph.add_conditional_edges(lib.START, fan_out, ["work"])
    graph.add_edge(lib.START, "review")
    graph.add_edge("review", "recheck")
    graph.add_edge(["work", "recheck"], "summary")
    app = graph.compile()
    return [app.invoke({"log": []}), _steps(app.stream({"log": []}, stream_mode=["updates", "values"]))]


@compared
def test_deferred_node_interrupts_and_resumes(lib):
    """A deferred approval step that asks a human, then a new run on the same thread."""

    def approve(state):
        answer = lib.interrupt({"approve": state["log"]})
        return {"log": [f"approved:{answer}"]}

    graph = lib.StateGraph(Log)
    for name in ("draft", "check", "polish"):
        graph.add_node(name, _logs(name))
    graph.add_node("approve", approve, defer=True)
    graph.add_edge(lib.START, "draft")
    graph.add_edge(lib.START, "check")
    graph.add_edge("check", "polish")
    graph.add_edge("draft", "approve")
    graph.add_edge("polish", "approve")
    app = graph.compile(checkpointer=lib.MemorySaver(), interrupt_before=["polish"])
    cfg = {"configurable": {"thread_id": "t"}}
    paused = app.invoke({"log": []}, cfg)
    app.update_state(cfg, {"log": ["edited"]}, as_node="polish")
    edited = app.get_state(cfg)
    asked = app.invoke(None, cfg)
    done = app.invoke(lib.Command(resume="yes"), cfg)
    return [paused, edited, asked, done, app.get_state(cfg)]


def _asker(lib, name: str):
    def ask(state):
        answer = lib.interrupt(f"{name}?")
        return {"log": [f"{name}:{answer}"]}

    return ask


@compared
def test_invoke_lists_every_pending_interrupt_after_a_partial_resume(lib):
    """Three reviewers ask at once; two are answered by id; invoke still lists the third."""
    graph = lib.StateGraph(Log)
    for name in ("legal", "finance", "security"):
        graph.add_node(name, _asker(lib, name))
        graph.add_edge(lib.START, name)
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    first = app.invoke({"log": []}, cfg)
    ids = {i.value: i.id for i in first["__interrupt__"]}
    second = app.invoke(lib.Command(resume={ids["legal?"]: "ok", ids["finance?"]: "ok"}), cfg)
    pending = app.get_state(cfg)
    last_id = second["__interrupt__"][0].id
    third = list(app.stream(lib.Command(resume={last_id: "fine"}), cfg, stream_mode=["updates", "values"]))
    return [
        sorted(i.value for i in first["__interrupt__"]),
        second,
        pending,
        sorted(str(c) for c in third),
    ]


def _review_graph(lib):
    graph = lib.StateGraph(Log)
    graph.add_node("draft", _logs("draft"))
    graph.add_node("review", _asker(lib, "review"))
    graph.add_node("publish", _logs("publish"))
    graph.add_node("escalate", _logs("escalate"))
    graph.add_edge(lib.START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", "publish")
    return graph.compile(checkpointer=lib.MemorySaver())


@compared
def test_update_state_with_a_command_updates_and_routes(lib):
    """update_state(config, Command(update=..., goto=...)) acts as the node it stands
    for returning that Command: its update applies and its goto is scheduled."""
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "t"}}
    app.invoke({"log": []}, cfg)
    app.update_state(cfg, lib.Command(update={"n": 1}, goto="escalate"))
    routed = app.get_state(cfg)
    app.update_state(cfg, lib.Command(update={"log": ["note"]}, goto="publish"), as_node="review")
    as_review = app.get_state(cfg)
    final = app.invoke(None, cfg)
    history = [(s.values, s.next, s.metadata["source"]) for s in app.get_state_history(cfg)]
    return [routed, as_review, final, history]


@compared
def test_update_state_on_a_new_thread_with_a_command(lib):
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "t"}}
    app.update_state(cfg, lib.Command(update={"n": 5}, goto="escalate"))
    return [app.get_state(cfg), app.invoke(None, cfg)]


@compared
def test_command_on_a_fresh_thread_starts_the_graph(lib):
    """A Command as the first input of a thread: LangGraph runs the graph as with an
    empty input (update applied first, goto added), and a resume has nothing to answer."""
    app = _review_graph(lib)
    out = []
    for tid, command in (
        ("resume", lib.Command(resume="early")),
        ("update", lib.Command(update={"n": 1})),
        ("goto", lib.Command(goto="escalate")),
    ):
        cfg = {"configurable": {"thread_id": tid}}
        if tid == "goto":  # draft and escalate run in one step: their updates' order is timing
            out.append(app.invoke(command, cfg))
        else:
            out.append(list(app.stream(command, cfg, stream_mode=["updates", "values"])))
        out.append([(s.values, s.next, s.metadata["step"]) for s in app.get_state_history(cfg)])
    plain = lib.StateGraph(Log)
    plain.add_node("draft", _logs("draft"))
    plain.add_edge(lib.START, "draft")
    app = plain.compile()
    out.append(list(app.stream(lib.Command(update={"n": 2}), stream_mode=["updates", "values"])))
    out.append(outcome(app.invoke, lib.Command(resume="x")))
    return out


@compared
def test_durability_exit_saves_where_the_run_stopped(lib):
    """durability="exit": the history holds only where each run paused or ended."""
    app = _review_graph(lib)
    cfg = {"configurable": {"thread_id": "t"}}
    asked = app.invoke({"log": []}, cfg, durability="exit")
    paused = [(s.values, s.next, s.metadata["step"]) for s in app.get_state_history(cfg)]
    done = app.invoke(lib.Command(resume="yes"), cfg, durability="exit")
    history = [(s.values, s.next, s.metadata["step"]) for s in app.get_state_history(cfg)]
    return [asked, paused, app.get_state(cfg), done, history]


def _cached_graph(lib, calls: list, policy):
    def expensive(state):
        calls.append(state["n"])
        return {"log": [state["n"] * 10]}

    graph = lib.StateGraph(Log)
    graph.add_node("expensive", expensive, cache_policy=policy)
    graph.add_node("after", _logs("after"))
    graph.add_edge(lib.START, "expensive")
    graph.add_edge("expensive", "after")
    return graph.compile(cache=lib.InMemoryCache())


@compared
def test_cached_node_runs_once_per_input(lib):
    """The docs' caching example: a second run with the same input takes the node's
    result from the cache (marked in updates); another input runs it."""
    calls: list = []
    app = _cached_graph(lib, calls, lib.CachePolicy())
    first = list(app.stream({"n": 1}, stream_mode=["updates", "values"]))
    second = list(app.stream({"n": 1}, stream_mode=["updates", "values"]))
    other = app.invoke({"n": 2})
    app.clear_cache()
    cleared = app.invoke({"n": 1})
    return [first, second, other, cleared, calls]


@compared
def test_cache_key_func_and_ttl(lib):
    import time

    calls: list = []
    policy = lib.CachePolicy(key_func=lambda state: str(state["n"] % 2), ttl=1)
    app = _cached_graph(lib, calls, policy)
    runs = [app.invoke({"n": 1}), app.invoke({"n": 3}), app.invoke({"n": 4})]
    time.sleep(1.1)
    runs.append(app.invoke({"n": 3}))
    return [runs, calls]


@compared
def test_cache_policy_without_a_cache_runs_the_node(lib):
    calls: list = []
    graph = lib.StateGraph(Log)
    graph.add_node("work", lambda s: calls.append(1) or {"n": 1}, cache_policy=lib.CachePolicy())
    graph.add_edge(lib.START, "work")
    app = graph.compile()
    return [app.invoke({"n": 0}), app.invoke({"n": 0}), len(calls)]


# -- managed values ---------------------------------------------------------------


def _managed_loop(lib, kind: str = "typeddict", rounds: int = 100, until_last: bool = False):
    """A loop that stops itself before the recursion limit, as LangGraph's docs show:
    it reads `remaining_steps` in a node and in its conditional edge."""
    import dataclasses

    # Built from real types, not strings: this module's annotations are postponed.
    fields = {
        "log": Annotated[list, operator.add],
        "remaining_steps": lib.RemainingSteps,
        "is_last_step": lib.IsLastStep,
    }
    if kind == "dataclass":
        State = dataclasses.make_dataclass(  # noqa: N806 - a class
            "State",
            [
                ("log", fields["log"], dataclasses.field(default_factory=list)),
                ("remaining_steps", fields["remaining_steps"], dataclasses.field(default=0)),
                ("is_last_step", fields["is_last_step"], dataclasses.field(default=False)),
            ],
        )

        def read(s, key):
            return getattr(s, key)
    else:
        State = TypedDict("State", fields)  # noqa: N806, UP013 - a class, from real types

        def read(s, key):
            return s[key]

    def think(s):
        return {"log": [[read(s, "remaining_steps"), read(s, "is_last_step")]]}

    def route(s):
        if until_last:
            return lib.END if read(s, "is_last_step") else "think"
        done = read(s, "remaining_steps") <= 2 or len(read(s, "log")) >= rounds
        return lib.END if done else "think"

    graph = lib.StateGraph(State)
    graph.add_node("think", think)
    graph.add_edge(lib.START, "think")
    graph.add_conditional_edges("think", route, ["think", lib.END])
    return graph.compile(checkpointer=lib.MemorySaver())


@compared
def test_remaining_steps_stops_a_loop_before_the_limit(lib):
    app = _managed_loop(lib)
    cfg = {"configurable": {"thread_id": "1"}, "recursion_limit": 6}
    steps = list(app.stream({"log": []}, cfg, stream_mode=["values", "updates"]))
    again = app.invoke({"log": []}, cfg)  # a second run counts its steps afresh
    history = [(s.values, s.next) for s in app.get_state_history(cfg)]
    return [steps, again, app.get_state(cfg), history]


@compared
def test_is_last_step_and_remaining_steps_with_the_default_limit(lib):
    app = _managed_loop(lib, rounds=3)
    cfg = {"configurable": {"thread_id": "1"}}
    out = outcome(app.invoke, {"log": [], "remaining_steps": 3}, cfg)  # input cannot set it
    return [out, app.get_state(cfg).values]


@compared
def test_managed_values_in_a_dataclass_state(lib):
    app = _managed_loop(lib, "dataclass", until_last=True)
    cfg = {"configurable": {"thread_id": "1"}, "recursion_limit": 5}
    return [list(app.stream({"log": []}, cfg, stream_mode="values")), app.get_state(cfg)]


@compared
def test_is_last_step_ends_a_loop_on_its_last_allowed_step(lib):
    app = _managed_loop(lib, until_last=True)
    cfg = {"configurable": {"thread_id": "1"}, "recursion_limit": 4}
    first = app.invoke({"log": []}, cfg)
    return [first, outcome(app.invoke, {"log": []}, {**cfg, "recursion_limit": 3})]


@compared
def test_a_node_writing_a_managed_value_changes_nothing(lib):
    fields = {"log": Annotated[list, operator.add], "remaining_steps": lib.RemainingSteps}
    graph = lib.StateGraph(TypedDict("State", fields))  # noqa: UP013 - from real types
    graph.add_node("a", lambda s: {"remaining_steps": 1, "log": ["a"]})
    graph.add_node("b", lambda s: {"log": [s["remaining_steps"]]})  # not 1: see a
    graph.add_edge(lib.START, "a")
    graph.add_edge("a", "b")
    app = graph.compile()
    return list(app.stream({"log": []}, {"recursion_limit": 9}, stream_mode="updates"))


# -- time travel ------------------------------------------------------------------


def _highest(old: int, new: int) -> int:
    return max(old, new)


class Gated(TypedDict, total=False):
    log: Annotated[list, operator.add]
    gate: int
    seen: Annotated[int, _highest]  # how much of the log the gated node saw


@compared
def test_replaying_a_head_whose_finished_task_runs_again_keeps_its_first_writes(lib):
    """A NodeInterrupt node beside an interrupt(): fork past the NodeInterrupt, add a
    Command input there, then replay that checkpoint. The finished node runs again
    (it sees the Command's write), but the thread keeps the writes it recorded first
    for that task, as LangGraph's savers keep a task's first record."""

    def gated(state):
        if state.get("gate", 0) < 1:
            raise lib.NodeInterrupt("gate closed")
        return {"log": ["gated"], "seen": len(state["log"])}

    def ask(state):
        return {"log": ["ask:" + lib.interrupt("ok?")]}

    graph = lib.StateGraph(Gated)
    graph.add_node("gated", gated)
    graph.add_node("ask", ask)
    graph.add_node("join", lambda s: {"log": ["join"]})
    graph.add_edge(lib.START, "gated")
    graph.add_edge(lib.START, "ask")
    graph.add_edge(["gated", "ask"], "join")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    out = []
    app.invoke({"log": ["in"], "gate": 0}, cfg)
    out.append(app.get_state(cfg))
    head = app.get_state(cfg).config
    app.update_state(head, {"gate": 3})  # a fork of the head, where gated can pass
    out.append([c for c in app.stream(None, cfg, stream_mode="values") if "__interrupt__" not in c])
    out.append(app.get_state(cfg))
    app.invoke(lib.Command(update={"log": ["cmd"]}), cfg)
    out.append(app.get_state(cfg))
    replayed = app.get_state(cfg).config  # the head, by id: a replay
    out.append([c for c in app.stream(None, replayed, stream_mode="values") if "__interrupt__" not in c])
    out.append(app.get_state(cfg))
    out.append(app.invoke(lib.Command(resume="yes"), cfg))
    out.append([(s.values, s.next, s.metadata["source"]) for s in app.get_state_history(cfg)])
    return out
