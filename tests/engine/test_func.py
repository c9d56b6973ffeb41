"""The functional API's own behaviour: what LangGraph has no counterpart to compare with
(refusals, both stores, both drivers, nested tasks)."""

from __future__ import annotations

import asyncio

import pytest

from lockstep.func import entrypoint, task
from lockstep.types import Command, RetryPolicy, interrupt


def _cfg(thread: str = "t") -> dict:
    return {"configurable": {"thread_id": thread}}


def test_unsupported_arguments_are_refused_by_name():
    with pytest.raises(NotImplementedError, match="timeout"):
        task(timeout=5)
    with pytest.raises(TypeError, match="takes a CachePolicy"):
        task(cache_policy=object())
    with pytest.raises(TypeError, match="takes a CachePolicy"):
        entrypoint(cache_policy=3)
    with pytest.raises(NotImplementedError, match="timeout"):
        entrypoint(timeout=1.0)
    with pytest.raises(TypeError, match="nmae"):
        task(nmae="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="checkpoint"):
        entrypoint(checkpoint=None)  # type: ignore[call-arg]


def test_a_parameter_that_cannot_be_given_is_refused_at_decoration():
    with pytest.raises(TypeError, match="'user'.*previous, config, writer, store"):

        @entrypoint()
        def wf(x, user):
            return x

    with pytest.raises(TypeError, match="first parameter"):

        @entrypoint()
        def nothing():
            return 1


def test_a_task_called_outside_a_run_says_where_it_can_be_called():
    @task
    def double(x):
        return 2 * x

    with pytest.raises(RuntimeError, match="@entrypoint or a graph node"):
        double(1)
    assert double.func(2) == 4  # the function itself stays callable


def test_deprecated_retry_alias_is_an_unknown_keyword():
    """As add_node(retry=): LangGraph's deprecated alias is refused; use retry_policy."""
    with pytest.raises(TypeError, match="retry"):
        task(retry=RetryPolicy(max_attempts=2))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="retry"):
        entrypoint(retry=RetryPolicy(max_attempts=2))  # type: ignore[call-arg]


def test_resume_skips_finished_tasks_with_either_store_and_driver(saver, driver):
    calls: list[int] = []

    @task
    def work(x):
        calls.append(x)
        return x * 10

    @task
    async def awork(x):
        calls.append(x)
        return x * 10

    @entrypoint(checkpointer=saver)
    def sync_wf(xs):
        done = [work(x).result() for x in xs]
        return done + [interrupt("go on?")]

    @entrypoint(checkpointer=saver)
    async def async_wf(xs):
        done = [await awork(x) for x in xs]
        return done + [interrupt("go on?")]

    for wf, thread in ((sync_wf, "s"), (async_wf, "a")):
        calls.clear()
        if driver == "stream":
            first = list(wf.stream([1, 2], _cfg(thread)))
            second = list(wf.stream(Command(resume="yes"), _cfg(thread)))
        else:

            async def run(wf=wf, thread=thread):
                one = [c async for c in wf.astream([1, 2], _cfg(thread))]
                two = [c async for c in wf.astream(Command(resume="yes"), _cfg(thread))]
                return one, two

            first, second = asyncio.run(run())
        assert first[-1].keys() == {"__interrupt__"}
        name = wf.entry
        assert second == [{name: [10, 20, "yes"]}]
        assert calls == [1, 2]
        assert wf.get_state(_cfg(thread)).values == [10, 20, "yes"]


def test_nested_tasks_do_not_starve_the_workers():
    """A task waiting on a task it called runs that one itself if no worker has
    started it: deep or wide nesting cannot deadlock the shared workers."""

    @task
    def leaf(x):
        return x + 1

    @task
    def branch(x):
        return sum(f.result() for f in [leaf(x + i) for i in range(4)])

    @entrypoint()
    def wf(n):
        return sum(f.result() for f in [branch(i) for i in range(n)])

    expected = sum(sum(i + j + 1 for j in range(4)) for i in range(200))
    assert wf.invoke(200) == expected


def test_a_failing_task_is_retried_then_noted():
    attempts = []

    @task(retry_policy=RetryPolicy(max_attempts=2, initial_interval=0, jitter=False, retry_on=KeyError))
    def lookup(x):
        attempts.append(x)
        raise KeyError(x)

    @entrypoint()
    def wf(x):
        return lookup(x).result()

    with pytest.raises(KeyError) as info:
        wf.invoke("k")
    assert attempts == ["k", "k"]
    notes = info.value.__notes__
    assert notes[0].startswith("During task with name 'lookup'")
    assert notes[1].startswith("During task with name 'wf'")


def test_events_stream_while_the_entrypoint_runs(driver):
    """A task's update reaches the reader before the entrypoint returns: the
    entrypoint here waits for the reader to have seen it."""
    import threading

    seen = threading.Event()

    @task
    def first(x):
        return x

    @entrypoint()
    def sync_wf(x, writer):
        first(x).result()
        writer("custom too")
        return seen.wait(5)

    @entrypoint()
    async def async_wf(x):
        await first(x)
        return await asyncio.to_thread(seen.wait, 5)

    for wf in (sync_wf, async_wf):
        seen.clear()
        out = []
        if driver == "stream" and wf is sync_wf:
            for chunk in wf.stream(1, stream_mode=["updates", "custom"]):
                out.append(chunk)
                if chunk == ("custom", "custom too"):
                    seen.set()
        else:

            async def read(wf=wf, out=out):
                async for chunk in wf.astream(1):
                    out.append(chunk)
                    if chunk == {"first": 1}:
                        seen.set()

            asyncio.run(read())
        assert out[-1] == {wf.entry: True} or out[-1] == ("updates", {wf.entry: True})
