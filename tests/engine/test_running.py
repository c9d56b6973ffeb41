"""Running: invoke / stream / ainvoke / astream, and the stream modes (values, updates,
debug, custom, and lists of them)."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import END, START, StateGraph, get_stream_writer
from lockstep.checkpoint import MemorySaver


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def writes_custom(state, writer):
    writer({"progress": 1})
    get_stream_writer()({"progress": 2})
    return {"log": ["w"]}


async def writes_custom_async(state, writer):
    writer({"progress": 3})
    get_stream_writer()({"progress": 4})
    return {"log": ["aw"]}


def plain_w(state):
    return {"log": ["w"]}


def plain_aw(state):  # sync: LangGraph's sync stream cannot call async nodes
    return {"log": ["aw"]}


def build(StateGraph=StateGraph, checkpointer=None, *, plain=False):
    """plain: nodes that use no lockstep API, so LangGraph can run the same graph."""
    b = StateGraph(S)
    b.add_node("w", plain_w if plain else writes_custom)
    b.add_node("aw", plain_aw if plain else writes_custom_async)
    b.add_edge(START, "w")
    b.add_edge("w", "aw")
    return b.compile(checkpointer=checkpointer)


def test_invoke_and_ainvoke_return_the_final_values():
    graph = build()
    assert graph.invoke({"x": 1}) == {"x": 1, "log": ["w", "aw"]}
    assert asyncio.run(graph.ainvoke({"x": 1})) == {"x": 1, "log": ["w", "aw"]}


def test_stream_defaults_to_updates_as_langgraph():
    assert list(build().stream({"x": 1})) == [{"w": {"log": ["w"]}}, {"aw": {"log": ["aw"]}}]


def test_values_mode(driver):
    assert run(build(), {"x": 1}, None, driver=driver, stream_mode="values") == [
        {"x": 1, "log": []},
        {"x": 1, "log": ["w"]},
        {"x": 1, "log": ["w", "aw"]},
    ]


def test_updates_mode(driver):
    assert run(build(), {"x": 1}, None, driver=driver, stream_mode="updates") == [
        {"w": {"log": ["w"]}},
        {"aw": {"log": ["aw"]}},
    ]


def test_custom_mode_through_writer_kwarg_and_get_stream_writer(driver):
    assert run(build(), {"x": 1}, None, driver=driver, stream_mode="custom") == [
        {"progress": 1},
        {"progress": 2},
        {"progress": 3},
        {"progress": 4},
    ]


def test_writer_is_silent_when_custom_is_not_streamed():
    assert build().invoke({"x": 1})["log"] == ["w", "aw"]


def test_list_of_modes_gives_mode_chunk_pairs(driver):
    chunks = run(build(), {"x": 1}, None, driver=driver, stream_mode=["custom", "updates", "values"])
    assert chunks == [
        ("values", {"x": 1, "log": []}),
        ("custom", {"progress": 1}),
        ("custom", {"progress": 2}),
        ("updates", {"w": {"log": ["w"]}}),
        ("values", {"x": 1, "log": ["w"]}),
        ("custom", {"progress": 3}),
        ("custom", {"progress": 4}),
        ("updates", {"aw": {"log": ["aw"]}}),
        ("values", {"x": 1, "log": ["w", "aw"]}),
    ]


def test_a_list_of_one_mode_still_gives_pairs():
    assert list(build().stream({"x": 1}, stream_mode=["updates"]))[0] == (
        "updates",
        {"w": {"log": ["w"]}},
    )


def test_unknown_stream_mode_is_refused():
    with pytest.raises(ValueError, match="stream_mode"):
        list(build().stream({"x": 1}, stream_mode="telepathy"))


def test_invoke_with_another_stream_mode_returns_the_chunks():
    assert build().invoke({"x": 1}, stream_mode="updates") == [
        {"w": {"log": ["w"]}},
        {"aw": {"log": ["aw"]}},
    ]


def debug_shape(chunks):
    return [
        (c["type"], c["step"], sorted(c["payload"]))
        for c in chunks
    ]


def test_debug_mode_has_langgraphs_shape(driver):
    from langgraph.checkpoint.memory import MemorySaver as LGMemorySaver
    from langgraph.graph import StateGraph as LGStateGraph

    ours = run(
        build(checkpointer=MemorySaver()), {"x": 1}, thread("d"), driver=driver, stream_mode="debug"
    )
    theirs = run(
        build(LGStateGraph, LGMemorySaver(), plain=True), {"x": 1}, thread("d"), driver=driver,
        stream_mode="debug",
    )
    assert debug_shape(ours) == debug_shape(theirs)
    tasks = [c["payload"] for c in ours if c["type"] == "task"]
    assert [t["name"] for t in tasks] == ["w", "aw"]
    assert tasks[0]["input"] == {"x": 1, "log": []}
    results = [c["payload"] for c in ours if c["type"] == "task_result"]
    assert [(r["name"], r["result"], r["error"]) for r in results] == [
        ("w", {"log": ["w"]}, None),
        ("aw", {"log": ["aw"]}, None),
    ]
    assert [r["id"] for r in results] == [t["id"] for t in tasks]
    checkpoints = [c["payload"] for c in ours if c["type"] == "checkpoint"]
    assert [cp["metadata"]["step"] for cp in checkpoints] == [-1, 0, 1, 2]
    assert [cp["next"] for cp in checkpoints] == [["__start__"], ["w"], ["aw"], []]
    assert checkpoints[-1]["values"] == {"x": 1, "log": ["w", "aw"]}
    assert checkpoints[0]["parent_config"] is None
    for older, newer in zip(checkpoints, checkpoints[1:], strict=False):
        assert newer["parent_config"] == older["config"]
    assert all(isinstance(c["timestamp"], str) and c["timestamp"] for c in ours)


def test_four_entry_points_agree_on_a_thread():
    graph = build(checkpointer=MemorySaver())
    graph.invoke({"x": 1}, thread("a"))
    list(graph.stream({"x": 1}, thread("b")))
    asyncio.run(graph.ainvoke({"x": 1}, thread("c")))

    async def consume():
        return [c async for c in graph.astream({"x": 1}, thread("d"))]

    asyncio.run(consume())
    values = [graph.get_state(thread(t)).values for t in "abcd"]
    assert values == [{"x": 1, "log": ["w", "aw"]}] * 4


def test_checkpointer_requires_a_thread_id():
    with pytest.raises(ValueError, match="thread_id"):
        build(checkpointer=MemorySaver()).invoke({"x": 1})


def test_recursion_limit():
    from lockstep import GraphRecursionError

    b = StateGraph(S)
    b.add_node("loop", lambda s: {"x": s["x"] + 1})
    b.add_edge(START, "loop")
    b.add_conditional_edges("loop", lambda s: "loop")
    with pytest.raises(GraphRecursionError):
        b.compile().invoke({"x": 0}, {"recursion_limit": 5})


def test_recursion_limit_defaults_to_langgraphs_and_counts_the_last_step():
    """No limit given: LangGraph 1.2's 10007. A run that needs exactly the limit fails."""
    from lockstep import GraphRecursionError
    from lockstep.pregel.graph import DEFAULT_RECURSION_LIMIT

    assert DEFAULT_RECURSION_LIMIT == 10007
    b = StateGraph(S)
    b.add_node("loop", lambda s: {"x": s["x"] + 1})
    b.add_edge(START, "loop")
    b.add_conditional_edges("loop", lambda s: "loop" if s["x"] < 3 else END)
    graph = b.compile()
    assert graph.invoke({"x": 0})["x"] == 3
    assert graph.invoke({"x": 0}, {"recursion_limit": 4})["x"] == 3
    with pytest.raises(GraphRecursionError):
        graph.invoke({"x": 0}, {"recursion_limit": 3})
