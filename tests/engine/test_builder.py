"""Builder: schemas, node signatures, edges, joins, conditional edges, build-time errors."""

from __future__ import annotations

import asyncio
import dataclasses
import operator
from typing import Annotated, TypedDict

import pytest
from support import run, thread

from lockstep import END, START, Command, Send, StateGraph
from lockstep.checkpoint import MemorySaver
from lockstep.errors import GraphBuildError, InvalidUpdateError


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def noop(state):
    return None


def chain(*names: str) -> StateGraph:
    b = StateGraph(S)
    for name in names:
        b.add_node(name, noop)
    b.add_edge(START, names[0])
    for a, c in zip(names, names[1:], strict=False):
        b.add_edge(a, c)
    b.add_edge(names[-1], END)
    return b


# -- build-time errors ---------------------------------------------------------


def test_edge_from_unknown_node_fails_at_compile():
    b = chain("a")
    b.add_edge("ghost", "a")
    with pytest.raises(GraphBuildError, match="unknown node 'ghost'"):
        b.compile()


def test_dangling_edge_to_unknown_node_fails_at_compile():
    b = chain("a")
    b.add_edge("a", "nowhere")
    with pytest.raises(GraphBuildError, match="unknown node 'nowhere'"):
        b.compile()


def test_join_edge_with_unknown_source_or_target_fails():
    b = chain("a")
    b.add_edge(["a", "ghost"], END)
    with pytest.raises(GraphBuildError, match="'ghost'"):
        b.compile()
    b = chain("a")
    b.add_edge(["a"], "nowhere")
    with pytest.raises(GraphBuildError, match="'nowhere'"):
        b.compile()


def test_conditional_edge_path_map_to_unknown_node_fails():
    b = chain("a")
    b.add_conditional_edges("a", lambda s: "x", {"x": "nowhere"})
    with pytest.raises(GraphBuildError, match="'nowhere'"):
        b.compile()
    b = chain("a")
    b.add_conditional_edges("ghost", lambda s: "a")
    with pytest.raises(GraphBuildError, match="'ghost'"):
        b.compile()


def test_unreachable_node_fails_at_compile():
    b = chain("a", "b")
    b.add_node("island", noop)
    b.add_edge("island", END)
    with pytest.raises(GraphBuildError, match="'island'.*cannot be reached"):
        b.compile()


def test_node_reached_only_through_a_path_map_is_reachable():
    b = chain("a")
    b.add_node("b", noop)
    b.add_conditional_edges("a", lambda s: END, {"go": "b", "stop": END})
    b.compile()  # no error


def test_node_reachable_through_command_annotation_is_not_flagged():
    def router(state) -> Command:
        return Command(goto="b")

    b = StateGraph(S)
    b.add_node("router", router)
    b.add_node("b", noop)
    b.add_edge(START, "router")
    b.add_edge("b", END)
    graph = b.compile()
    assert graph.invoke({"x": 1}) == {"x": 1, "log": []}


def test_unreachable_check_honours_declared_destinations():
    def router(state) -> Command:
        return Command(goto="b")

    b = StateGraph(S)
    b.add_node("router", router, destinations=("b",))
    b.add_node("b", noop)
    b.add_node("c", noop)
    b.add_edge(START, "router")
    b.add_edge("b", END)
    b.add_edge("c", END)
    with pytest.raises(GraphBuildError, match="'c'"):
        b.compile()


@pytest.mark.parametrize("name", [START, END, "__interrupt__"])
def test_reserved_node_names_are_refused(name):
    with pytest.raises(GraphBuildError, match="reserved"):
        StateGraph(S).add_node(name, noop)


def test_a_node_may_share_a_state_key_name():
    # As LangGraph: node names and state keys are separate (a node `x` writing key `x`).
    graph = StateGraph(S).add_node("x", lambda s: {"x": 5}).add_edge(START, "x").compile()
    assert list(graph.stream({"x": 0})) == [{"x": {"x": 5}}]


def test_duplicate_node_is_refused():
    b = StateGraph(S).add_node("a", noop)
    with pytest.raises(GraphBuildError, match="'a' is already"):
        b.add_node("a", noop)


def test_no_entry_point_is_refused():
    b = StateGraph(S).add_node("a", noop)
    with pytest.raises(GraphBuildError, match="entry point"):
        b.compile()


def test_end_cannot_start_an_edge_and_start_cannot_end_one():
    with pytest.raises(GraphBuildError):
        StateGraph(S).add_edge(END, "a")
    with pytest.raises(GraphBuildError):
        StateGraph(S).add_edge("a", START)


def test_interrupt_before_unknown_node_is_refused():
    with pytest.raises(GraphBuildError, match="'ghost'"):
        chain("a").compile(interrupt_before=["ghost"])
    with pytest.raises(GraphBuildError, match="'ghost'"):
        chain("a").compile(interrupt_after=["ghost"])


def test_build_errors_are_value_errors_as_in_langgraph():
    assert issubclass(GraphBuildError, ValueError)


# -- schemas -------------------------------------------------------------------


def test_typeddict_schema_plain_and_annotated_keys():
    def a(state):
        assert state == {"x": 1, "log": []}
        return {"x": state["x"] + 1, "log": ["a"]}

    b = StateGraph(S).add_node("a", a)
    b.add_edge(START, "a")
    assert b.compile().invoke({"x": 1}) == {"x": 2, "log": ["a"]}


@dataclasses.dataclass
class DC:
    x: int
    log: Annotated[list, operator.add] = dataclasses.field(default_factory=list)
    tag: str = "t"


def test_dataclass_schema_nodes_see_an_instance(driver):
    seen = []

    def a(state: DC):
        seen.append(state)
        return {"x": state.x + 1, "log": [state.tag]}

    b = StateGraph(DC).add_node("a", a)
    b.add_edge(START, "a")
    graph = b.compile(checkpointer=MemorySaver())
    events = run(graph, {"x": 1}, thread("t"), driver=driver, stream_mode="values")
    assert seen == [DC(x=1, log=[], tag="t")]
    assert events[-1] == {"x": 2, "log": ["t"]}
    assert graph.get_state(thread("t")).values == {"x": 2, "log": ["t"]}


def test_dataclass_input_instance_is_accepted():
    def a(state: DC):
        return {"x": state.x * 10}

    b = StateGraph(DC).add_node("a", a)
    b.add_edge(START, "a")
    assert b.compile().invoke(DC(x=3, tag="q"))["x"] == 30


# -- node signatures -----------------------------------------------------------


def test_sync_and_async_nodes_with_and_without_config(driver):
    got = {}

    def sync_plain(state):
        return {"log": ["sync_plain"]}

    def sync_config(state, config):
        got["sync"] = config["configurable"]["thread_id"]
        return {"log": ["sync_config"]}

    async def async_plain(state):
        await asyncio.sleep(0)
        return {"log": ["async_plain"]}

    async def async_config(state, config):
        got["async"] = config["configurable"]["thread_id"]
        return {"log": ["async_config"]}

    b = StateGraph(S)
    for fn in (sync_plain, sync_config, async_plain, async_config):
        b.add_node(fn.__name__, fn)
    b.add_edge(START, "sync_plain")
    b.add_edge("sync_plain", "sync_config")
    b.add_edge("sync_config", "async_plain")
    b.add_edge("async_plain", "async_config")
    graph = b.compile(checkpointer=MemorySaver())
    events = run(graph, {"x": 0}, thread("sig"), driver=driver, stream_mode="values")
    assert events[-1]["log"] == ["sync_plain", "sync_config", "async_plain", "async_config"]
    assert got == {"sync": "sig", "async": "sig"}


def test_config_keyword_only_parameter_is_passed():
    def node(state, *, config):
        return {"x": config["configurable"]["n"]}

    b = StateGraph(S).add_node("node", node)
    b.add_edge(START, "node")
    assert b.compile().invoke({"x": 0}, {"configurable": {"n": 7}})["x"] == 7


def test_callable_object_and_add_node_by_function():
    class Node:
        def __call__(self, state):
            return {"log": ["obj"]}

    def named(state):
        return {"log": ["named"]}

    b = StateGraph(S)
    b.add_node("obj", Node())
    b.add_node(named)  # the name is the function's
    b.add_edge(START, "obj")
    b.add_edge("obj", "named")
    assert b.compile().invoke({"x": 0})["log"] == ["obj", "named"]


def test_node_returning_none_changes_nothing():
    b = chain("a", "b")
    assert b.compile().invoke({"x": 5}) == {"x": 5, "log": []}


def test_node_returning_a_non_dict_is_an_error_naming_it():
    b = StateGraph(S).add_node("bad", lambda s: 42)
    b.add_edge(START, "bad")
    with pytest.raises(InvalidUpdateError, match="'bad'"):
        b.compile().invoke({"x": 0})


# -- edges ----------------------------------------------------------------------


def logger(name):
    def node(state):
        return {"log": [name]}

    return node


def test_join_waits_for_both_sources(driver):
    """a -> c and b -> b2: c must wait until a and b2 have both run."""
    b = StateGraph(S)
    for name in ("a", "b", "b2", "c"):
        b.add_node(name, logger(name))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("b", "b2")
    b.add_edge(["a", "b2"], "c")
    b.add_edge("c", END)
    graph = b.compile(checkpointer=MemorySaver())
    events = run(graph, {"x": 0}, thread("j"), driver=driver, stream_mode="updates")
    assert [list(e) for e in events] == [["a"], ["b"], ["b2"], ["c"]]
    assert graph.get_state(thread("j")).values["log"] == ["a", "b", "b2", "c"]


def test_plain_edges_from_two_nodes_fire_twice():
    """Contrast with the join: separate edges a->c and b2->c run c each time."""
    b = StateGraph(S)
    for name in ("a", "b", "b2", "c"):
        b.add_node(name, logger(name))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("b", "b2")
    b.add_edge("a", "c")
    b.add_edge("b2", "c")
    assert b.compile().invoke({"x": 0})["log"] == ["a", "b", "b2", "c", "c"]


def router_graph(path, path_map=None, *, targets=("left", "right")):
    b = StateGraph(S)
    b.add_node("decide", logger("decide"))
    for t in targets:
        b.add_node(t, logger(t))
        b.add_edge(t, END)
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", path, path_map)
    return b.compile()


def test_conditional_edge_returning_a_name():
    graph = router_graph(lambda s: "left" if s["x"] < 0 else "right")
    assert graph.invoke({"x": -1})["log"] == ["decide", "left"]
    assert graph.invoke({"x": 1})["log"] == ["decide", "right"]


def test_conditional_edge_sees_the_nodes_own_write():
    b = StateGraph(S)
    b.add_node("decide", lambda s: {"x": 99})
    b.add_node("big", logger("big"))
    b.add_node("small", logger("small"))
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: "big" if s["x"] > 50 else "small")
    assert b.compile().invoke({"x": 0})["log"] == ["big"]


def test_conditional_edge_with_path_map_dict_and_list():
    graph = router_graph(lambda s: s["x"] > 0, {True: "right", False: "left"})
    assert graph.invoke({"x": 1})["log"] == ["decide", "right"]
    assert graph.invoke({"x": 0})["log"] == ["decide", "left"]
    graph = router_graph(lambda s: "left", ["left", "right"])
    assert graph.invoke({"x": 0})["log"] == ["decide", "left"]


def test_conditional_edge_returning_a_list_runs_all_in_one_step():
    graph = router_graph(lambda s: ["left", "right"])
    assert graph.invoke({"x": 0})["log"] == ["decide", "left", "right"]
    chunks = graph.stream({"x": 0}, stream_mode="debug")
    steps = {c["payload"]["name"]: c["step"] for c in chunks if c["type"] == "task"}
    assert steps["left"] == steps["right"] == steps["decide"] + 1


def test_conditional_edge_returning_end():
    graph = router_graph(lambda s: END)
    assert graph.invoke({"x": 0})["log"] == ["decide"]
    graph = router_graph(lambda s: "done", {"done": END, "l": "left", "r": "right"})
    assert graph.invoke({"x": 0})["log"] == ["decide"]


def test_conditional_edge_returning_sends_with_and_without_path_map():
    def fan(state):
        return [Send("left", {"x": i, "log": []}) for i in range(3)]

    def left(state):
        return {"log": [f"left{state['x']}"]}

    for path_map in (None, ["left", "right"]):
        b = StateGraph(S)
        b.add_node("decide", logger("decide"))
        b.add_node("left", left)
        b.add_node("right", logger("right"))
        b.add_edge(START, "decide")
        b.add_conditional_edges("decide", fan, path_map)
        assert b.compile().invoke({"x": 0})["log"] == ["decide", "left0", "left1", "left2"]


def test_conditional_edge_value_missing_from_path_map_is_an_error():
    graph = router_graph(lambda s: "sideways", {"l": "left", "r": "right"})
    with pytest.raises(InvalidUpdateError, match="sideways"):
        graph.invoke({"x": 0})


def test_conditional_edge_to_unknown_node_without_path_map_is_an_error():
    graph = router_graph(lambda s: "nowhere")
    with pytest.raises(InvalidUpdateError, match="nowhere"):
        graph.invoke({"x": 0})


def test_async_path_function():
    async def path(state):
        return "left"

    graph = router_graph(path)
    assert graph.invoke({"x": 0})["log"] == ["decide", "left"]
    assert asyncio.run(graph.ainvoke({"x": 0}))["log"] == ["decide", "left"]


def test_conditional_entry_point():
    b = StateGraph(S)
    b.add_node("left", logger("left"))
    b.add_node("right", logger("right"))
    b.add_conditional_edges(START, lambda s: "left" if s["x"] else "right")
    graph = b.compile()
    assert graph.invoke({"x": 1})["log"] == ["left"]
    assert graph.invoke({"x": 0})["log"] == ["right"]
