"""Drawing: `get_graph()`'s nodes and edges, `draw_mermaid()` and `draw_ascii()`, compared.

Each scenario builds a graph the way LangGraph's guides and ordinary user code do
and returns what a user would look at: node ids, names and metadata, the edges
(source, target, label, conditional) in their order, the Mermaid text and the
ASCII picture (of acyclic graphs only: where two edges of a cycle overlap, grandalf,
the layout library both use, leaves which one is drawn on top to chance, so two
runs of LangGraph itself differ). Node `data` is left out: LangGraph holds its internal wrapper of
the node's function there, Lockstep the function itself (see README).
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

from harness import compared, outcome
from langchain_core.runnables.graph import CurveStyle, NodeStyles


class State(TypedDict, total=False):
    topic: str
    steps: Annotated[list, operator.add]
    done: bool


def noop(state):
    return None


def picture(graph, *, ascii_art: bool = True, **mermaid):
    """What a user reads off a drawn graph."""
    drawn = graph.get_graph()
    out = [
        [(n.id, n.name, n.metadata) for n in drawn.nodes.values()],
        [(e.source, e.target, e.data, e.conditional) for e in drawn.edges],
        drawn.draw_mermaid(**mermaid),
        (drawn.first_node() or drawn).id if drawn.first_node() else None,
        drawn.last_node().id if drawn.last_node() else None,
    ]
    if ascii_art:
        out.append(drawn.draw_ascii())
    return out


@compared
def test_seed_chain(lib):
    graph = lib.StateGraph(State)
    for name in ("step_1", "step_2", "step_3"):
        graph.add_node(name, noop)
    graph.add_edge(lib.START, "step_1")
    graph.add_edge("step_1", "step_2")
    graph.add_edge("step_2", "step_3")
    graph.add_edge("step_3", lib.END)
    return picture(graph.compile())


@compared
def test_sequence_without_an_end_edge_gets_one(lib):
    def research(state):
        return {"steps": ["research"]}

    def write(state):
        return {"steps": ["write"]}

    graph = lib.StateGraph(State).add_sequence([research, write])
    graph.add_edge(lib.START, "research")
    return picture(graph.compile())


@compared
def test_agent_loop_with_a_path_map(lib):
    def should_continue(state) -> str:
        return "continue" if not state.get("done") else "end"

    graph = lib.StateGraph(State)
    graph.add_node("agent", noop)
    graph.add_node("action", noop)
    graph.add_edge(lib.START, "agent")
    graph.add_conditional_edges("agent", should_continue, {"continue": "action", "end": lib.END})
    graph.add_edge("action", "agent")
    return picture(graph.compile(), ascii_art=False)


@compared
def test_router_annotated_with_literal(lib):
    def route(state) -> Literal["weather", "news", "__end__"]:
        return "news"

    graph = lib.StateGraph(State)
    graph.add_node("classify", noop)
    graph.add_node("weather", noop)
    graph.add_node("news", noop)
    graph.add_edge(lib.START, "classify")
    graph.add_conditional_edges("classify", route)
    graph.add_edge("weather", lib.END)
    graph.add_edge("news", lib.END)
    return picture(graph.compile())


@compared
def test_branch_with_nothing_declared_draws_no_targets(lib):
    # No path_map, no annotation: LangGraph cannot know the targets and draws none.
    graph = lib.StateGraph(State)
    graph.add_node("decide", noop)
    graph.add_node("left", noop)
    graph.add_node("right", noop)
    graph.add_edge(lib.START, "decide")
    graph.add_conditional_edges("decide", lambda s: "left" if s.get("done") else "right")
    graph.add_edge("left", lib.END)
    graph.add_edge("right", lib.END)
    return picture(graph.compile())


@compared
def test_fan_out_and_join(lib):
    graph = lib.StateGraph(State)
    for name in ("plan", "search_web", "search_docs", "merge", "report"):
        graph.add_node(name, noop)
    graph.add_edge(lib.START, "plan")
    graph.add_edge("plan", "search_web")
    graph.add_edge("plan", "search_docs")
    graph.add_edge(["search_web", "search_docs"], "merge")
    graph.add_edge("merge", "report")
    return picture(graph.compile())


@compared
def test_map_reduce_with_send(lib):
    def fan_out(state):
        return [lib.Send("summarise", {"topic": t}) for t in state["topic"].split()]

    graph = lib.StateGraph(State)
    graph.add_node("split", noop)
    graph.add_node("summarise", noop)
    graph.add_node("combine", noop)
    graph.add_edge(lib.START, "split")
    graph.add_conditional_edges("split", fan_out, ["summarise"])
    graph.add_edge("summarise", "combine")
    graph.add_edge("combine", lib.END)
    return picture(graph.compile())


@compared
def test_breakpoints_are_node_metadata(lib):
    graph = lib.StateGraph(State)
    for name in ("draft", "review", "publish"):
        graph.add_node(name, noop)
    graph.add_edge(lib.START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", "publish")
    app = graph.compile(
        checkpointer=lib.MemorySaver(),
        interrupt_before=["review", "publish"],
        interrupt_after=["review"],
    )
    everywhere = graph.compile(interrupt_before="*")
    return [picture(app), picture(everywhere, ascii_art=False)]


@compared
def test_command_destinations(lib):
    def triage(state):
        return lib.Command(goto="billing")

    graph = lib.StateGraph(State)
    graph.add_node("triage", triage, destinations=("billing", "support", lib.END))
    graph.add_node("billing", noop)
    graph.add_node("support", noop, destinations={"triage": "escalate", lib.END: "resolved"})
    graph.add_edge(lib.START, "triage")
    return picture(graph.compile())


@compared
def test_conditional_entry_point_and_loop(lib):
    graph = lib.StateGraph(State)
    graph.add_node("fetch", noop)
    graph.add_node("parse", noop)
    graph.add_node("retry", noop)
    graph.set_conditional_entry_point(lambda s: "fetch", {"go": "fetch", "skip": lib.END})
    graph.add_edge("fetch", "parse")
    graph.add_conditional_edges("parse", lambda s: "ok", {"ok": lib.END, "bad": "retry"})
    graph.add_edge("retry", "fetch")
    return picture(graph.compile(), ascii_art=False)


@compared
def test_node_metadata_and_odd_names(lib):
    graph = lib.StateGraph(State)
    graph.add_node("look up", noop, metadata={"team": "search", "tags": ["a<b>", "#1"], "skip": {"x": 1}})
    graph.add_node("_private_", noop)
    graph.add_node("naïve.step", noop)
    graph.add_edge(lib.START, "look up")
    graph.add_edge("look up", "_private_")
    graph.add_conditional_edges(
        "_private_",
        lambda s: "naïve.step",
        {"a long label of more than nine words to wrap it": "naïve.step", "stop": lib.END},
    )
    return picture(graph.compile())


@compared
def test_mermaid_options(lib):
    graph = lib.StateGraph(State)
    graph.add_node("a", noop)
    graph.add_node("b", noop)
    graph.add_edge(lib.START, "a")
    graph.add_conditional_edges("a", lambda s: "b", {"go on to b": "b", "stop": lib.END})
    drawn = graph.compile().get_graph()
    return [
        drawn.draw_mermaid(with_styles=False),
        drawn.draw_mermaid(curve_style=CurveStyle.BASIS),
        drawn.draw_mermaid(node_colors=NodeStyles(first="fill:#fff", last="fill:#000")),
        drawn.draw_mermaid(wrap_label_n_words=2),
        drawn.draw_mermaid(
            frontmatter_config={
                "title": "My graph",
                "config": {"theme": "neutral", "themeVariables": {"primaryColor": "#e2e2e2"}},
            }
        ),
        outcome(drawn.draw_mermaid, bogus=True),
    ]


@compared
def test_xray_on_a_flat_graph_and_json(lib):
    graph = lib.StateGraph(State)
    graph.add_node("a", noop)
    graph.add_edge(lib.START, "a")
    app = graph.compile()
    plain, deep = app.get_graph(), app.get_graph(xray=True)
    as_json = plain.to_json()
    return [
        plain.draw_mermaid() == deep.draw_mermaid(),
        [(n["id"], n.get("metadata")) for n in as_json["nodes"]],
        as_json["edges"],
        [(n["id"], n.get("type")) for n in as_json["nodes"] if n["id"] != "__start__"],
    ]


@compared
def test_deferred_join_is_marked(lib):
    # The docs' "wait for every branch" pattern: b has two steps, c one; d waits for both.
    graph = lib.StateGraph(State)
    for name in ("a", "b", "b_2", "c"):
        graph.add_node(name, noop)
    graph.add_node("d", noop, defer=True)
    graph.add_edge(lib.START, "a")
    graph.add_edge("a", "b")
    graph.add_edge("a", "c")
    graph.add_edge("b", "b_2")
    graph.add_edge("b_2", "d")
    graph.add_edge("c", "d")
    graph.add_edge("d", lib.END)
    joined = lib.StateGraph(State)
    for name in ("x", "y"):
        joined.add_node(name, noop)
    joined.add_node("z", noop, defer=True)
    joined.add_edge(lib.START, "x")
    joined.add_edge(lib.START, "y")
    joined.add_edge(["x", "y"], "z")
    return [picture(graph.compile()), picture(joined.compile())]


@compared
def test_command_literal_annotation_and_tool_node(lib):
    from langchain_core.tools import tool

    @tool
    def lookup(city: str) -> str:
        """Look the weather up."""
        return "sunny"

    def agent(state) -> lib.Command[Literal["tools", "__end__"]]:
        return lib.Command(goto="__end__")

    graph = lib.StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", lib.ToolNode([lookup]))
    graph.add_edge(lib.START, "agent")
    graph.add_edge("tools", "agent")
    return picture(graph.compile(), ascii_art=False)


@compared
def test_runnable_lambda_path_with_literal_annotation(lib):
    from langchain_core.runnables import RunnableLambda

    def route(state) -> Literal["review", "__end__"]:
        return "review"

    graph = lib.StateGraph(State)
    graph.add_node("draft", noop)
    graph.add_node("review", noop)
    graph.add_edge(lib.START, "draft")
    graph.add_conditional_edges("draft", RunnableLambda(route))
    return picture(graph.compile())
