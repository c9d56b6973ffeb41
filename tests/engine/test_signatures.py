"""Public signatures are LangGraph 1.2's, with nothing swallowed; what nodes are given."""

from __future__ import annotations

import asyncio
import inspect
import operator
from typing import Annotated, Literal, TypedDict

import pytest
from langgraph.graph import StateGraph as LGStateGraph
from langgraph.graph.state import CompiledStateGraph

from lockstep.checkpoint.memory import MemorySaver
from lockstep.errors import GraphBuildError
from lockstep.graph import END, START, StateGraph
from lockstep.pregel.graph import CompiledGraph
from lockstep.types import Command


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


BUILDER = [
    "__init__", "add_node", "add_edge", "add_conditional_edges", "add_sequence", "compile",
    "set_entry_point", "set_conditional_entry_point", "set_finish_point",
]
COMPILED = [
    "stream", "astream", "invoke", "ainvoke", "get_state", "aget_state", "get_state_history",
    "aget_state_history", "update_state", "aupdate_state", "get_graph", "aget_graph",
    "batch", "abatch", "with_config",
]
# Keywords forwarded to invoke()/ainvoke() (batch), to astream() (astream_events) or
# checked against the config keys (with_config): an unknown one is still a TypeError.
FORWARDING = {"batch", "abatch", "with_config", "astream_events"}


def _params(fn) -> list[tuple[str, str]]:
    return [(p.name, p.kind.name) for p in inspect.signature(fn).parameters.values()]


def _public_methods(cls) -> list[str]:
    return [n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")]


@pytest.mark.parametrize(("ours", "theirs", "names"), [
    (StateGraph, LGStateGraph, BUILDER), (CompiledGraph, CompiledStateGraph, COMPILED),
])
def test_signatures_are_langgraphs_without_kwargs(ours, theirs, names):
    for name in names:
        mine = _params(getattr(ours, name))
        reference = _params(getattr(theirs, name))
        if name not in FORWARDING:
            reference = [p for p in reference if p[1] != "VAR_KEYWORD"]
        assert mine == reference, name


@pytest.mark.parametrize("cls", [StateGraph, CompiledGraph])
def test_no_public_method_swallows_keywords(cls):
    for name in _public_methods(cls) + ["__init__"]:
        kinds = {kind for _, kind in _params(getattr(cls, name))}
        if name not in FORWARDING:
            assert "VAR_KEYWORD" not in kinds, f"{cls.__name__}.{name} takes **kwargs"
        assert "VAR_POSITIONAL" not in kinds, f"{cls.__name__}.{name} takes *args"


def _graph():
    b = StateGraph(S)
    b.add_node("a", lambda s: {"log": ["a"]})
    b.add_edge(START, "a")
    return b.compile(checkpointer=MemorySaver())


CFG = {"configurable": {"thread_id": "t"}}


@pytest.mark.parametrize("call", [
    lambda g: g.invoke({}, CFG, bogus=1),
    lambda g: list(g.stream({}, CFG, bogus=1)),
    lambda g: asyncio.run(g.ainvoke({}, CFG, bogus=1)),
    lambda g: g.get_state(CFG, bogus=1),
    lambda g: list(g.get_state_history(CFG, bogus=1)),
    lambda g: g.update_state(CFG, {}, bogus=1),
    lambda g: g.get_graph(bogus=1),
    lambda g: g.batch([{}], CFG, bogus=1),
    lambda g: asyncio.run(g.abatch([{}], CFG, bogus=1)),
    lambda g: g.with_config(bogus=1),
    lambda g: StateGraph(S, bogus=1),
    lambda g: StateGraph(S).add_node("x", len, bogus=1),
    lambda g: StateGraph(S).compile(bogus=1),
])
def test_an_unknown_keyword_is_a_type_error_naming_it(call):
    with pytest.raises(TypeError, match="bogus"):
        call(_graph())


@pytest.mark.parametrize(("call", "named"), [
    (lambda g: g.update_state(CFG, {}, task_id="x"), "task_id"),
])
def test_a_parameter_not_implemented_yet_is_refused_when_used(call, named):
    with pytest.raises(NotImplementedError, match=f"{named}=.*not supported by Lockstep yet"):
        call(_graph())


@pytest.mark.parametrize(("call", "named", "instead"), [
    (lambda g: g.invoke({}, CFG, print_mode="updates"), "print_mode", "print the chunks"),
    (lambda g: list(g.stream({}, CFG, debug=True)), "debug", "stream_mode"),
    (lambda g: g.invoke({}, CFG, output_keys=["log"]), "output_keys", "pick the keys"),
    (lambda g: g.invoke({}, CFG, version="v2"), "version", "v1"),
    (lambda g: StateGraph(S).compile(debug=True), "debug", "stream_mode"),
    (lambda g: StateGraph(S).add_node("x", len, timeout=3), "timeout", "wait_for"),
])
def test_a_parameter_lockstep_does_without_names_the_alternative(call, named, instead):
    with pytest.raises(NotImplementedError, match=f"{named}=.*{instead}"):
        call(_graph())



def test_default_values_of_refused_parameters_are_accepted():
    g = _graph()
    out = g.invoke({}, CFG, print_mode=(), output_keys=None, control=None, version="v1")
    assert out == {"log": ["a"]}
    assert list(g.stream({}, CFG, subgraphs=False, debug=False)) == [{"a": {"log": ["a"]}}]


def _run(fn):
    b = StateGraph(S)
    b.add_node("n", fn)
    b.add_edge(START, "n")
    return b.compile().invoke({"log": []}, {"configurable": {"user": "u"}})


def test_config_annotated_with_a_string_union_is_injected():
    # `config: "RunnableConfig | None"`, as `from __future__ import annotations` leaves
    # it: LangGraph 1.2 does not pass the config then (its warning asks for exactly
    # this annotation); Lockstep does (README, "Where Lockstep differs").
    def node(state, config: RunnableConfig | None = None):  # noqa: F821 - a string here
        return {"log": [config["configurable"]["user"]]}

    assert _run(node) == {"log": ["u"]}


def test_config_with_another_annotation_is_not_injected_and_warned_about():
    def node(state, config: dict | None = None):
        return {"log": [config]}

    with pytest.warns(UserWarning, match="annotate it RunnableConfig"):
        assert _run(node) == {"log": [None]}


def test_a_node_wanting_nothing_is_called_with_the_state_alone():
    calls = []

    class Plain:
        def __call__(self, state):
            calls.append(state)
            return None

    _run(Plain())
    assert calls == [{"log": []}]


def test_an_object_with_invoke_is_a_node_called_with_input_and_config():
    class Duck:
        def invoke(self, input, config):
            return {"log": [config["configurable"]["user"]]}

        async def ainvoke(self, input, config):
            return {"log": ["async " + config["configurable"]["user"]]}

    b = StateGraph(S).add_node("duck", Duck()).add_edge(START, "duck").compile()
    cfg = {"configurable": {"user": "u"}}
    assert b.invoke({}, cfg) == {"log": ["u"]}
    assert asyncio.run(b.ainvoke({}, cfg)) == {"log": ["async u"]}


def test_nodes_see_langgraphs_config_keys_without_a_config():
    seen = []

    def node(state, config):
        seen.append(sorted(config))
        return None

    b = StateGraph(S).add_node("n", node).add_edge(START, "n").compile()
    b.invoke({})
    assert seen == [["callbacks", "configurable", "metadata"]]  # as LangGraph: no tags given, none shown


def test_with_config_refuses_an_unknown_config_key():
    with pytest.raises(TypeError, match="'recursion'"):
        _graph().with_config(recursion=3)


def test_command_literal_destinations_feed_the_reachability_check():
    def route(state) -> Command[Literal["b"]]:
        return Command(goto="b")

    b = StateGraph(S).add_node("a", route).add_node("b", lambda s: None)
    b.add_node("z", lambda s: None).add_edge(START, "a").add_edge("b", END)
    with pytest.raises(GraphBuildError, match="'z' cannot be reached"):
        b.compile()


def test_a_runnable_path_function_is_invoked_and_awaited():
    class Route:
        def invoke(self, input, config):
            return "b"

        async def ainvoke(self, input, config):
            return "c"

    b = StateGraph(S).add_node("a", lambda s: {"log": ["a"]})
    b.add_node("b", lambda s: {"log": ["b"]}).add_node("c", lambda s: {"log": ["c"]})
    graph = b.add_edge(START, "a").add_conditional_edges("a", Route(), ["b", "c"]).compile()
    assert graph.invoke({})["log"] == ["a", "b"]
    assert asyncio.run(graph.ainvoke({}))["log"] == ["a", "c"]
