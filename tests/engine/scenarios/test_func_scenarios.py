"""The functional API (`@entrypoint`, `@task`) as LangGraph's how-to guides use it."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from harness import aoutcome, compared, outcome


def _thread(name: str) -> dict:
    return {"configurable": {"thread_id": name}}


@compared
def test_essay_review_interrupt_and_resume(lib):
    """The docs' example: write an essay in a task, ask a human, resume with the answer."""

    @lib.task
    def write_essay(topic: str) -> str:
        return f"An essay about topic: {topic}"

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def workflow(topic: str) -> dict:
        essay = write_essay(topic).result()
        is_approved = lib.interrupt(
            {"essay": essay, "action": "Please approve/reject the essay"}
        )
        return {"essay": essay, "is_approved": is_approved}

    cfg = _thread("essay")
    first = list(workflow.stream("cat", cfg))
    paused = workflow.get_state(cfg)
    resumed = list(workflow.stream(lib.Command(resume=True), cfg))
    return [first, paused, resumed, workflow.get_state(cfg), list(workflow.get_state_history(cfg))]


@compared
def test_resume_does_not_run_finished_tasks_again(lib):
    """The functional API's promise: finished tasks' results are saved as the run goes."""
    calls: list[str] = []

    @lib.task
    def fetch(item: str) -> str:
        calls.append(item)
        return item.upper()

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def workflow(items: list) -> list:
        fetched = [fetch(i).result() for i in items]
        answer = lib.interrupt(f"keep {fetched}?")
        more = fetch("late").result() if answer == "more" else None
        return fetched + [answer, more]

    cfg = _thread("t")
    first = list(workflow.stream(["a", "b"], cfg, stream_mode=["updates", "values"]))
    after_first = list(calls)
    second = list(workflow.stream(lib.Command(resume="more"), cfg, stream_mode=["updates", "values"]))
    return [first, after_first, second, list(calls), workflow.get_state(cfg)]


@compared
def test_parallel_tasks_fan_out_and_join(lib):
    @lib.task
    def square(x: int) -> int:
        return x * x

    @lib.task
    def total(values: list) -> int:
        return sum(values)

    @lib.entrypoint()
    def workflow(numbers: list) -> dict:
        futures = [square(n) for n in numbers]  # started at once, run side by side
        squares = [f.result() for f in futures]
        return {"squares": squares, "total": total(squares).result()}

    events = list(workflow.stream([1, 2, 3, 4], stream_mode=["updates", "values"]))
    # The squares finish in any order (LangGraph's too): compare them as a set.
    return [sorted(events[:4], key=repr), events[4:], workflow.invoke([5, 6])]


@compared
def test_previous_carries_the_last_return_per_thread(lib):
    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def counter(step: int, *, previous: int | None = None) -> int:
        return (previous or 0) + step

    a, b = _thread("a"), _thread("b")
    results = [counter.invoke(1, a), counter.invoke(2, a), counter.invoke(10, b), counter.invoke(3, a)]
    return [results, counter.get_state(a), counter.get_state(b), list(counter.stream(5, a))]


@compared
def test_final_returns_one_value_and_saves_another(lib):
    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def chat(message: str, *, previous: list | None = None):
        history = (previous or []) + [message]
        return lib.entrypoint.final(value=f"{len(history)} messages", save=history)

    cfg = _thread("c")
    return [
        chat.invoke("hi", cfg),
        list(chat.stream("how are you", cfg, stream_mode=["updates", "values"])),
        chat.get_state(cfg),
        chat.invoke("bye", cfg),
    ]


@compared
def test_task_retry_policy(lib):
    attempts: list[int] = []

    @lib.task(retry_policy=lib.RetryPolicy(max_attempts=3, initial_interval=0.001, jitter=False))
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) % 3:
            raise ConnectionError("try again")
        return x + 1

    @lib.task(retry_policy=lib.RetryPolicy(max_attempts=2, initial_interval=0.001))
    def broken(x: int) -> int:
        raise ValueError("not transient: never retried")

    @lib.entrypoint()
    def workflow(x: int) -> int:
        return flaky(x).result()

    @lib.entrypoint()
    def failing(x: int) -> int:
        return broken(x).result()

    ok = list(workflow.stream(1))
    return [ok, list(attempts), outcome(failing.invoke, 1)]


@compared
def test_async_entrypoint_awaits_tasks(lib):
    @lib.task
    async def slow_double(x: int) -> int:
        await asyncio.sleep(0.01 * (3 - x))  # the last one started finishes first
        return 2 * x

    @lib.task
    def label(x: int) -> str:
        return f"n{x}"

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    async def workflow(numbers: list, *, previous=None) -> dict:
        futures = [slow_double(n) for n in numbers]
        doubled = [await f for f in futures]
        return {"doubled": doubled, "label": await label(len(doubled)), "previous": previous}

    async def scenario():
        cfg = _thread("async")
        events = [e async for e in workflow.astream([0, 1, 2], cfg, stream_mode=["updates", "values"])]
        again = await workflow.ainvoke([1], cfg)
        return [sorted(events[:4], key=repr), events[4:], again, await aoutcome(workflow.ainvoke([2], cfg))]

    return scenario()


@compared
def test_stream_modes_updates_values_custom(lib):
    @lib.task
    def step_one(x: int) -> int:
        lib.get_stream_writer()({"progress": "step one"})
        return x + 1

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def workflow(x: int, writer) -> int:
        writer({"progress": "start"})
        y = step_one(x).result()
        writer({"progress": "end"})
        return y * 10

    cfg = _thread("modes")
    return [
        list(workflow.stream(1, cfg)),
        list(workflow.stream(2, cfg, stream_mode="values")),
        list(workflow.stream(3, cfg, stream_mode="custom")),
        list(workflow.stream(4, cfg, stream_mode=["custom", "updates", "values"])),
        workflow.invoke(5, cfg),
        workflow.invoke(6, cfg, stream_mode="updates"),
    ]


@compared
def test_task_errors_caught_or_failing_the_run(lib):
    @lib.task
    def fragile(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def careful(xs: list) -> list:
        out = []
        for x in xs:
            try:
                out.append(fragile(x).result())
            except ValueError:
                out.append("skipped")
        return out

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def careless(xs: list) -> list:
        return [fragile(x).result() for x in xs]

    cfg = _thread("err")
    return [
        careful.invoke([1, -1, 2], cfg),
        outcome(careless.invoke, [1, -1], cfg),
        careless.get_state(cfg),
        outcome(lambda: list(careless.stream([3, -3], _thread("err2")))),
    ]


@compared
def test_parallel_interrupts_resumed_by_id(lib):
    @lib.task
    def review(part: str) -> str:
        return lib.interrupt(f"review {part}")

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def workflow(parts: list) -> dict:
        futures = [review(p) for p in parts]
        return {p: f.result() for p, f in zip(parts, futures, strict=True)}

    cfg = _thread("parts")
    transcript = [list(workflow.stream(["intro", "body"], cfg))]
    pending = workflow.get_state(cfg)
    transcript.append(pending)
    first = pending.interrupts[0].id
    transcript.append(list(workflow.stream(lib.Command(resume={first: "fine"}), cfg)))
    second = workflow.get_state(cfg).interrupts[0].id
    transcript.append(list(workflow.stream(lib.Command(resume={second: "good"}), cfg)))
    return transcript + [workflow.get_state(cfg)]


@compared
def test_update_state_sets_what_previous_sees(lib):
    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def tally(n: int, *, previous=None) -> dict:
        return {"total": (previous or {"total": 0})["total"] + n}

    cfg = _thread("tally")
    tally.invoke(1, cfg)
    tally.update_state(cfg, {"total": 100})
    edited = tally.get_state(cfg)
    return [edited, tally.invoke(5, cfg), [s.values for s in tally.get_state_history(cfg)]]


@compared
def test_rerun_after_failure_keeps_finished_tasks(lib):
    calls: list[str] = []
    broken = {"on": True}

    @lib.task
    def expensive(x: int) -> int:
        calls.append("expensive")
        return x * 100

    @lib.task
    def unreliable(x: int) -> int:
        calls.append("unreliable")
        if broken["on"]:
            raise KeyError("service down")
        return x + 1

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def workflow(x: int) -> int:
        return unreliable(expensive(x).result()).result()

    cfg = _thread("rerun")
    failed = outcome(workflow.invoke, 1, cfg)
    state = workflow.get_state(cfg)
    broken["on"] = False
    return [failed, state, workflow.invoke(None, cfg), list(calls)]


class Notes(TypedDict, total=False):
    topic: str
    notes: Annotated[list, operator.add]


@compared
def test_tasks_called_inside_a_graph_node(lib):
    @lib.task
    def research(topic: str) -> str:
        return f"facts about {topic}"

    def node(state: Notes) -> dict:
        futures = [research(t) for t in state["topic"].split()]
        return {"notes": [f.result() for f in futures]}

    graph = lib.StateGraph(Notes)
    graph.add_node("researcher", node)
    graph.add_edge(lib.START, "researcher")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("node")
    events = list(app.stream({"topic": "owls cats"}, cfg))
    return [sorted(events[:2], key=repr), events[2:], app.get_state(cfg)]


@compared
def test_entrypoint_reads_config_and_draws(lib):
    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def greet(name: str, config) -> str:
        return f"hello {name} from {config['configurable']['user']}"

    cfg = {"configurable": {"thread_id": "g", "user": "ana"}}
    return [
        greet.invoke("bo", cfg),
        greet.get_graph().draw_mermaid(),
        list(greet.get_graph().nodes),
        greet.get_graph(cfg).draw_mermaid(),  # config first, as on a compiled graph
        list(greet.get_graph(cfg, xray=True).nodes),
    ]


@compared
def test_runtime_context_store_and_previous(lib):
    """An entrypoint reading the run's context, the store and previous through Runtime."""
    from dataclasses import dataclass

    @dataclass
    class Ctx:
        user: str

    store = lib.InMemoryStore()
    store.put(("prefs",), "ana", {"tone": "warm"})

    @lib.entrypoint(checkpointer=lib.MemorySaver(), store=store, context_schema=Ctx)
    def reply(message: str, *, runtime) -> dict:
        tone = runtime.store.get(("prefs",), runtime.context.user).value["tone"]
        count = (runtime.previous or {"count": 0})["count"] + 1
        return {"text": f"{tone} reply to {runtime.context.user}: {message}", "count": count}

    cfg = _thread("rt")
    return [
        reply.invoke("hi", cfg, context=Ctx(user="ana")),
        list(reply.stream("again", cfg, context=Ctx(user="ana"))),
    ]


@compared
def test_task_results_cached_across_runs(lib):
    calls: list[int] = []

    @lib.task(cache_policy=lib.CachePolicy())
    def slow_double(x: int) -> int:
        calls.append(x)
        return x * 2

    @lib.entrypoint(cache=lib.InMemoryCache())
    def workflow(xs: list) -> list:
        return [slow_double(x).result() for x in xs]

    first = list(workflow.stream([1, 2], stream_mode=["updates", "values"]))
    second = list(workflow.stream([2, 3], stream_mode=["updates", "values"]))
    return [first, second, list(calls), workflow.invoke([1, 3]), list(calls)]


@compared
def test_invoke_reports_the_pause_with_the_last_return(lib):
    """invoke() on a paused run returns the thread's last return value (when a dict)
    with `__interrupt__` added, as LangGraph's does; a non-dict one is left out."""

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def approve(request: dict) -> dict:
        ok = lib.interrupt({"approve": request["item"]})
        return {"item": request["item"], "ok": ok}

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def label(text: str) -> str:
        return f"{text}:{lib.interrupt('label?')}"

    a, b = _thread("a"), _thread("b")
    return [
        approve.invoke({"item": "pen"}, a),
        approve.invoke(lib.Command(resume=True), a),
        approve.invoke({"item": "ink"}, a),
        label.invoke("x", b),
        label.invoke(lib.Command(resume="y"), b),
        label.invoke("z", b),
        approve.get_state(a),
    ]


@compared
def test_replay_from_an_earlier_checkpoint(lib):
    """Time travel: invoking from the input checkpoint runs the workflow again from there."""
    calls: list[int] = []

    @lib.task
    def step(x: int) -> int:
        calls.append(x)
        return x + 1

    @lib.entrypoint(checkpointer=lib.MemorySaver())
    def workflow(x: int, *, previous=None) -> list:
        return [step(x).result(), previous]

    cfg = _thread("tt")
    workflow.invoke(1, cfg)
    workflow.invoke(10, cfg)
    history = list(workflow.get_state_history(cfg))
    first_input = history[-1].config
    replayed = list(workflow.stream(None, first_input, stream_mode=["updates", "values"]))
    return [history, replayed, list(calls), list(workflow.get_state_history(cfg))]
