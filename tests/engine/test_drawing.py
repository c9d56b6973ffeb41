"""compiled.get_graph(): nodes, edges (conditional marked, labelled), Mermaid text."""

from __future__ import annotations

from typing import Literal, TypedDict

from lockstep import END, START, Command, StateGraph


class S(TypedDict):
    x: int


def noop(state):
    return None


def route(state) -> Literal["b", "c"]:
    return "b"


def seed():
    b = StateGraph(S)
    for name in ("step_1", "step_2", "step_3"):
        b.add_node(name, noop)
    b.add_edge(START, "step_1")
    b.add_edge("step_1", "step_2")
    b.add_edge("step_2", "step_3")
    b.add_edge("step_3", END)
    return b.compile()


def edges(graph):
    return [(e.source, e.target, e.conditional, e.data) for e in graph.edges]


def test_seed_graph_nodes_and_edges():
    drawn = seed().get_graph()
    assert list(drawn.nodes) == ["__start__", "step_1", "step_2", "step_3", "__end__"]
    assert edges(drawn) == [
        ("__start__", "step_1", False, None),
        ("step_1", "step_2", False, None),
        ("step_2", "step_3", False, None),
        ("step_3", "__end__", False, None),
    ]


def test_seed_graph_mermaid():
    text = seed().get_graph().draw_mermaid()
    assert "graph TD;" in text
    body = [line.strip() for line in text.splitlines()]
    for line in (
        "__start__([<p>__start__</p>]):::first",
        "step_1(step_1)",
        "__end__([<p>__end__</p>]):::last",
        "__start__ --> step_1;",
        "step_1 --> step_2;",
        "step_2 --> step_3;",
        "step_3 --> __end__;",
    ):
        assert line in body
    assert "-.->" not in text  # nothing conditional here


def branching():
    def cmd(state) -> Command:
        return Command(goto="c")

    b = StateGraph(S)
    for name in "abcde":
        b.add_node(name, noop)
    b.add_node("k", cmd, destinations=("c", END))
    b.add_edge(START, "a")
    b.add_conditional_edges("a", route)  # targets from the Literal annotation
    b.add_conditional_edges("b", lambda s: "x", {"x": "d", "y": END})
    b.add_edge(["c", "d"], "e")
    b.add_edge("b", "k")
    b.add_conditional_edges("e", lambda s: END)  # may go anywhere
    return b.compile()


def test_conditional_edges_are_marked_and_labelled():
    drawn = branching().get_graph()
    assert list(drawn.nodes) == ["__start__", "a", "b", "c", "d", "e", "k", "__end__"]
    got = set(edges(drawn))
    assert {
        ("__start__", "a", False, None),
        ("a", "b", True, None),
        ("a", "c", True, None),
        ("b", "d", True, "x"),
        ("b", "__end__", True, "y"),
        ("b", "k", False, None),
        ("c", "e", False, None),  # a join is drawn as one plain edge per source
        ("d", "e", False, None),
        ("k", "c", True, None),  # Command destinations
        ("k", "__end__", True, None),
    } <= got
    # A path with no map and no annotation may go to any node or END.
    from_e = {(t, c) for s, t, c, _ in got if s == "e"}
    assert from_e == {(n, True) for n in ["a", "b", "c", "d", "e", "k", "__end__"]}
    assert len(got) == len(drawn.edges)  # no duplicates
    assert all(e.label == e.data for e in drawn.edges)


def test_mermaid_draws_conditional_edges_dashed():
    text = branching().get_graph().draw_mermaid()
    lines = {line.strip() for line in text.splitlines()}
    assert "a -.-> b;" in lines
    assert "b -. &nbsp;x&nbsp; .-> d;" in lines
    assert "b -. &nbsp;y&nbsp; .-> __end__;" in lines
    assert "b --> k;" in lines
    assert "c --> e;" in lines
    assert "k -.-> c;" in lines


def test_path_map_as_a_list_has_no_labels():
    b = StateGraph(S)
    b.add_node("a", noop)
    b.add_node("b", noop)
    b.add_edge(START, "a")
    b.add_conditional_edges("a", lambda s: "b", ["b", END])
    assert edges(b.compile().get_graph())[1:] == [
        ("a", "b", True, None),
        ("a", "__end__", True, None),
    ]


def test_graph_without_edges_to_end_has_no_end_node():
    b = StateGraph(S)
    b.add_node("a", noop)
    b.add_edge(START, "a")
    drawn = b.compile().get_graph()
    assert list(drawn.nodes) == ["__start__", "a"]
    assert "__end__" not in drawn.draw_mermaid()


def test_get_graph_matches_langgraph_on_the_seed_graph():
    from langgraph.graph import StateGraph as LGStateGraph

    lb = LGStateGraph(S)
    for name in ("step_1", "step_2", "step_3"):
        lb.add_node(name, noop)
    lb.add_edge(START, "step_1")
    lb.add_edge("step_1", "step_2")
    lb.add_edge("step_2", "step_3")
    lb.add_edge("step_3", END)
    theirs = lb.compile().get_graph()
    ours = seed().get_graph()
    assert list(ours.nodes) == list(theirs.nodes)
    assert edges(ours) == [(e.source, e.target, e.conditional, e.data) for e in theirs.edges]
    assert ours.draw_mermaid() == theirs.draw_mermaid()
