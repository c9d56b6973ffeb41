"""compiled.get_graph(): nodes, edges (conditional marked, labelled), Mermaid and ASCII text.

The comparison with LangGraph is in scenarios/test_drawing_scenarios.py and
test_drawing_generated.py; these tests pin the results and Lockstep's own errors.
"""

from __future__ import annotations

import sys
from typing import Literal, TypedDict

import pytest

from lockstep import END, START, StateGraph
from lockstep.graph.drawing import Edge, Graph, Node
from lockstep.graph.mermaid import CurveStyle, NodeStyles, safe_id


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


SEED_MERMAID = """---
config:
  flowchart:
    curve: linear
---
graph TD;
\t__start__([<p>__start__</p>]):::first
\tstep_1(step_1)
\tstep_2(step_2)
\tstep_3(step_3)
\t__end__([<p>__end__</p>]):::last
\t__start__ --> step_1;
\tstep_1 --> step_2;
\tstep_2 --> step_3;
\tstep_3 --> __end__;
\tclassDef default fill:#f2f0ff,line-height:1.2
\tclassDef first fill-opacity:0
\tclassDef last fill:#bfb6fc
"""


def test_seed_graph_nodes_edges_and_mermaid():
    drawn = seed().get_graph()
    assert list(drawn.nodes) == ["__start__", "step_1", "step_2", "step_3", "__end__"]
    assert edges(drawn) == [
        ("__start__", "step_1", False, None),
        ("step_1", "step_2", False, None),
        ("step_2", "step_3", False, None),
        ("step_3", "__end__", False, None),
    ]
    assert drawn.draw_mermaid() == SEED_MERMAID
    assert drawn.nodes["step_1"].data is noop  # the node's own function


def branching():
    b = StateGraph(S)
    for name in "abcde":
        b.add_node(name, noop)
    b.add_node("k", noop, destinations=("c", END))
    b.add_edge(START, "a")
    b.add_conditional_edges("a", route)  # targets from the Literal annotation
    b.add_conditional_edges("b", lambda s: "x", {"x": "d", "y": END})
    b.add_edge(["c", "d"], "e")
    b.add_edge("b", "k")
    b.add_conditional_edges("e", lambda s: END)  # declares nothing: no edges drawn from it
    return b.compile()


def test_edges_are_sorted_and_end_edges_implicit():
    assert edges(branching().get_graph()) == [
        ("__start__", "a", False, None),
        ("a", "b", True, None),
        ("a", "c", True, None),
        ("b", "__end__", True, "y"),
        ("b", "d", True, "x"),
        ("b", "k", False, None),
        ("c", "e", False, None),  # a join: one plain edge per source
        ("d", "e", False, None),
        ("k", "__end__", True, None),  # Command destinations
        ("k", "c", True, None),
        ("e", "__end__", False, None),  # nothing follows e: an END edge, after the rest
    ]


def test_an_edge_to_end_beside_other_edges_is_not_drawn():
    b = StateGraph(S)
    b.add_node("a", noop)
    b.add_node("b", noop)
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("a", END)
    assert edges(b.compile().get_graph()) == [
        ("__start__", "a", False, None),
        ("a", "b", False, None),
        ("b", "__end__", False, None),
    ]


def test_a_plain_cycle_ends_in_a_conditional_end_edge():
    b = StateGraph(S)
    b.add_node("a", noop)
    b.add_node("b", noop)
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "a")
    assert edges(b.compile().get_graph())[-1] == ("b", "__end__", True, None)


def test_labels_list_path_maps_and_destination_dicts():
    b = StateGraph(S)
    b.add_node("a", noop, destinations={"b": "onwards", END: "finished"})
    b.add_node("b", noop)
    b.add_edge(START, "a")
    b.add_conditional_edges("b", lambda s: "a", ["a", END])
    assert edges(b.compile().get_graph()) == [
        ("__start__", "a", False, None),
        ("a", "__end__", True, "finished"),
        ("a", "b", True, "onwards"),
        ("b", "__end__", True, None),  # a list path_map: the label is the target, not drawn
        ("b", "a", True, None),
    ]


def test_node_metadata_breakpoints_and_mermaid_notes():
    b = StateGraph(S)
    b.add_node("a", noop, metadata={"owner": "ops", "tags": ["x", "y"]})
    b.add_node("b", noop)
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    drawn = b.compile(interrupt_before=["b"], interrupt_after=["a", "b"]).get_graph()
    assert drawn.nodes["a"].metadata == {"owner": "ops", "tags": ["x", "y"], "__interrupt": "after"}
    assert drawn.nodes["b"].metadata == {"__interrupt": "before,after"}
    text = drawn.draw_mermaid()
    assert "\ta(a<hr/><small><em>owner = ops\ntags = x, y\n__interrupt = after</em></small>)\n" in text
    assert b.compile(interrupt_before="*").get_graph().nodes["b"].metadata is None


def test_mermaid_parameters():
    drawn = seed().get_graph()
    bare = drawn.draw_mermaid(with_styles=False)
    assert bare.startswith("graph TD;\n\t__start__ --> step_1;") and "classDef" not in bare
    assert "    curve: stepBefore\n" in drawn.draw_mermaid(curve_style=CurveStyle.STEP_BEFORE)
    styled = drawn.draw_mermaid(node_colors=NodeStyles(default="fill:#fff"))
    assert "\tclassDef default fill:#fff\n\tclassDef first fill-opacity:0\n" in styled
    themed = drawn.draw_mermaid(frontmatter_config={"config": {"theme": "neutral"}})
    assert themed.startswith("---\nconfig:\n  flowchart:\n    curve: linear\n  theme: neutral\n---\n")


def test_mermaid_wraps_long_labels_and_escapes_ids():
    graph = Graph()
    a, b = graph.add_node(None, "my node"), graph.add_node(None, "b")
    graph.add_edge(a, b, "one two three four five", conditional=True)
    text = graph.draw_mermaid(wrap_label_n_words=2, with_styles=False)
    assert text == "graph TD;\n\tmy\\20node -. &nbsp;one two&nbsp<br>&nbspthree four&nbsp<br>&nbspfive&nbsp; .-> b;\n"
    assert safe_id("naïve.step") == "na\\efve\\2estep"


def test_mermaid_refuses_what_it_cannot_draw():
    drawn = seed().get_graph()
    with pytest.raises(TypeError, match="curve_style"):
        drawn.draw_mermaid(curve_style="basis")
    with pytest.raises(TypeError, match="node_colors"):
        drawn.draw_mermaid(node_colors={"default": "fill:#fff"})
    with pytest.raises(TypeError, match="colour"):
        drawn.draw_mermaid(colour="red")


def test_frontmatter_needs_pyyaml(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    drawn = seed().get_graph()
    assert drawn.draw_mermaid() == SEED_MERMAID  # the default needs no YAML library
    with pytest.raises(ImportError, match=r"lockstep\[drawing\]"):
        drawn.draw_mermaid(frontmatter_config={"title": "x"})


def test_draw_ascii():
    assert seed().get_graph().draw_ascii().splitlines()[:4] == [
        "+-----------+  ",
        "| __start__ |  ",
        "+-----------+  ",
        "      *        ",
    ]


def test_draw_ascii_is_the_same_every_time():
    b = StateGraph(S)
    for name in ("agent", "action"):
        b.add_node(name, noop)
    b.add_edge(START, "agent")
    b.add_conditional_edges("agent", lambda s: "x", {"continue": "action", "end": END})
    b.add_edge("action", "agent")
    drawn = b.compile().get_graph()
    assert len({drawn.draw_ascii() for _ in range(20)}) == 1


def test_draw_ascii_needs_grandalf(monkeypatch):
    monkeypatch.setitem(sys.modules, "grandalf.graphs", None)
    with pytest.raises(ImportError, match=r"lockstep\[drawing\]"):
        seed().get_graph().draw_ascii()


def test_get_graph_arguments():
    app = seed()
    assert app.get_graph({"configurable": {}}, xray=1).draw_mermaid() == SEED_MERMAID
    with pytest.raises(TypeError, match="xray"):
        app.get_graph(xray="yes")
    with pytest.raises(TypeError, match="config"):
        app.get_graph("config")
    with pytest.raises(TypeError):
        app.get_graph(depth=2)


def test_aget_graph():
    import asyncio

    assert asyncio.run(seed().aget_graph()).draw_mermaid() == SEED_MERMAID


def test_graph_building_api():
    graph = Graph()
    first = graph.add_node(None, "first")
    anon = graph.add_node(noop)  # a generated id; named after its data
    assert anon.name == "noop" and len(anon.id) == 32
    graph.add_edge(first, anon)
    assert graph.first_node() == first and graph.last_node() == anon
    with pytest.raises(ValueError, match="already exists"):
        graph.add_node(None, "first")
    with pytest.raises(ValueError, match="not in graph"):
        graph.add_edge(first, Node("ghost", "ghost"))
    assert list(graph.reid().nodes) == ["first", "noop"]
    assert graph.to_json()["edges"] == [{"source": "first", "target": 1}]
    other = Graph()
    other.extend(graph, prefix="sub")
    assert list(other.nodes) == ["sub:first", f"sub:{anon.id}"]
    graph.remove_node(anon)
    assert graph.edges == [] and list(graph.nodes) == ["first"]
    assert Edge("a", "b", 3).label == "3"


def test_subgraph_prefixes_group_mermaid_nodes():
    inner = Graph()
    x, y = inner.add_node(None, "x"), inner.add_node(None, "y")
    inner.add_edge(x, y)
    outer = Graph()
    start = outer.add_node(None, START)
    first, last = outer.extend(inner, prefix="child")
    outer.add_edge(start, outer.nodes[first.id])
    text = outer.draw_mermaid()
    assert "\tsubgraph child\n\tchild\\3ax(x)\n\tchild\\3ay([y]):::last\n\tchild\\3ax --> child\\3ay;\n\tend\n" in text
