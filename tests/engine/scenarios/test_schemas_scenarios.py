"""Scenarios about state schemas: input and output schemas, private channels, a node's
own input schema, and Pydantic and dataclass state, each as LangGraph's docs show it."""

from __future__ import annotations

import asyncio
import operator
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

from harness import aoutcome, compared, outcome
from pydantic import BaseModel, Field


def _thread(name: str) -> dict:
    return {"configurable": {"thread_id": name}}


# -- input and output schemas ------------------------------------------------


class QuestionIn(TypedDict):
    question: str


class AnswerOut(TypedDict):
    answer: str


class QAState(TypedDict):
    question: str
    answer: str
    notes: str


@compared
def test_input_and_output_schemas(lib):
    """The docs' input/output schema example: invoke takes only the input schema's keys
    (others are dropped) and returns only the output schema's; streams show it all."""
    seen = []

    def research(state: QuestionIn):
        seen.append(("research", state))
        return {"answer": "42", "notes": "looked it up"}

    def review(state: QAState):
        seen.append(("review", state))
        return {"notes": state["notes"] + ", checked"}

    graph = lib.StateGraph(QAState, input_schema=QuestionIn, output_schema=AnswerOut)
    graph.add_node("research", research)
    graph.add_node("review", review)
    graph.add_edge(lib.START, "research")
    graph.add_edge("research", "review")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("qa")
    result = app.invoke({"question": "life?", "notes": "smuggled", "other": 1}, cfg)
    streamed = list(
        app.stream({"question": "again?"}, _thread("qa2"), stream_mode=["values", "updates"])
    )
    return [result, streamed, seen, app.get_state(cfg)]


class Draft(TypedDict, total=False):
    text: str
    words: int
    log: Annotated[list[str], operator.add]


class DraftIn(TypedDict, total=False):
    text: str
    author: str  # only in the input: a channel all the same


class DraftOut(TypedDict, total=False):
    words: int
    author: str


@compared
def test_output_schema_keys_never_written_and_invoke_modes(lib):
    """invoke returns None while no output key holds a value; an input-only key is a
    channel the output may show; invoke with stream modes narrows its chunks too."""
    graph = lib.StateGraph(Draft, input_schema=DraftIn, output_schema=DraftOut)
    graph.add_node("note", lambda s: {"log": ["seen " + s["text"]]})
    graph.add_node("count", lambda s: {"words": len(s["text"].split())})
    graph.add_edge(lib.START, "note")
    graph.add_edge("note", "count")
    silent = lib.StateGraph(Draft, output_schema=DraftOut)
    silent.add_node("note", lambda s: {"log": ["x"]})
    silent.add_edge(lib.START, "note")
    app = graph.compile()
    return [
        silent.compile().invoke({"text": "a b"}),
        app.invoke({"text": "one two three"}),
        app.invoke({"text": "one two", "author": "me"}),
        app.invoke({"text": "one", "author": "me"}, stream_mode=["values", "updates"]),
        app.invoke({"text": "one"}, stream_mode="updates"),
        list(app.stream({"text": "one", "author": "me"}, stream_mode="values")),
    ]


@compared
def test_output_schema_with_interrupt_and_resume(lib):
    """An interrupted invoke shows only `__interrupt__` when no output key is set yet;
    the resumed run returns the output schema's keys; get_state shows the whole state."""

    def write(state: Draft):
        return {"text": state["text"] + "!", "log": ["write"]}

    def approve(state: Draft):
        verdict = lib.interrupt({"approve": state["text"]})
        return {"words": len(state["text"]) if verdict == "yes" else 0}

    graph = lib.StateGraph(Draft, output_schema=DraftOut)
    graph.add_node("write", write)
    graph.add_node("approve", approve)
    graph.add_edge(lib.START, "write")
    graph.add_edge("write", "approve")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("ok")
    paused = app.invoke({"text": "hi"}, cfg)
    state = app.get_state(cfg)
    done = app.invoke(lib.Command(resume="yes"), cfg)
    return [paused, state, done, app.get_state(cfg)]


# -- private channels and a node's own input schema ----------------------------


class OverallState(TypedDict):
    a: str


class Node1Output(TypedDict):
    private_data: str


class Node2Input(TypedDict):
    private_data: str


@compared
def test_private_state_docs_example(lib):
    """The docs' PrivateState example: a key declared only in a node's input annotation
    is a channel; that node sees only its keys, the others not the private one."""
    seen = []

    def node_1(state: OverallState) -> Node1Output:
        seen.append(("node_1", state))
        return {"private_data": "set by node_1"}

    def node_2(state: Node2Input) -> OverallState:
        seen.append(("node_2", state))
        return {"a": "set by node_2"}

    def node_3(state: OverallState) -> OverallState:
        seen.append(("node_3", state))
        return {"a": "set by node_3"}

    graph = lib.StateGraph(OverallState)
    graph.add_sequence([node_1, node_2, node_3])
    graph.add_edge(lib.START, "node_1")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("private")
    streamed = list(app.stream({"a": "set at start", "private_data": "no"}, cfg, stream_mode=["values", "updates"]))
    result = app.invoke({"a": "again"}, _thread("private2"))
    before = app.get_state(cfg)
    app.update_state(cfg, {"private_data": "edited", "unknown": 1})
    return [streamed, result, seen, before, app.get_state(cfg)]


class Scratch(TypedDict):
    query: str
    scratch: Annotated[list[str], operator.add]


@compared
def test_add_node_input_schema_argument(lib):
    """add_node(..., input_schema=...) for a node whose function is not annotated (a
    lambda): it reads that schema's keys, a reducer declared there folds writes."""
    seen = []

    def plan(state):
        seen.append(("plan", state))
        return {"scratch": ["plan"], "query": "what is a?"}

    def think(state):
        seen.append(("think", state))
        return {"scratch": ["think"], "query": state["query"] + "!"}

    def answer(state):
        seen.append(("answer", state))
        return {"a": "answered " + state["a"]}

    graph = lib.StateGraph(OverallState)
    graph.add_node("plan", plan, input_schema=Scratch)
    graph.add_node("think", think, input_schema=Scratch)
    graph.add_node("answer", answer)
    graph.add_edge(lib.START, "plan")
    graph.add_edge("plan", "think")
    graph.add_edge("think", "answer")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("scratch")
    result = app.invoke({"a": "q"}, cfg)
    return [result, seen, app.get_state(cfg), [s.values for s in app.get_state_history(cfg)]]


class RouteView(TypedDict):
    private_data: str


@compared
def test_conditional_edges_read_through_schemas(lib):
    """A path sees the keys its node just returned (even private ones) besides the
    node's view of the state; a path annotated with a schema reads that schema."""
    seen = []

    def first(state: OverallState):
        return {"private_data": "go-b"}

    def by_return(state):
        seen.append(("by_return", state))
        return "b" if state.get("private_data") == "go-b" else "c"

    def by_schema(state: RouteView):
        seen.append(("by_schema", state))
        return lib.END

    graph = lib.StateGraph(OverallState)
    graph.add_node("first", first)
    graph.add_node("b", lambda s: {"a": "b ran"})
    graph.add_node("c", lambda s: {"a": "c ran"})
    graph.add_edge(lib.START, "first")
    graph.add_conditional_edges("first", by_return, ["b", "c"])
    graph.add_conditional_edges("b", by_schema, [lib.END])
    return [graph.compile().invoke({"a": "start"}), seen]


class Tagged(TypedDict):
    tags: Annotated[list[str], operator.add]


class TaggedPlain(TypedDict):
    tags: list[str]


def _replace(old: list[str], new: list[str]) -> list[str]:
    return new


class TaggedOther(TypedDict):
    tags: Annotated[list[str], _replace]


@compared
def test_schemas_sharing_a_key(lib):
    """A key another schema repeats keeps its reducer when repeated plain; declaring
    it with another reducer is refused when the node is added."""

    def plain(state: TaggedPlain):
        return {"tags": ["plain"]}

    def other(state: TaggedOther):
        return {"tags": ["other"]}

    graph = lib.StateGraph(Tagged)
    graph.add_node("plain", plain)
    graph.add_edge(lib.START, "plain")
    clash = lib.StateGraph(Tagged)
    return [graph.compile().invoke({"tags": ["in"]}), outcome(clash.add_node, "other", other)]


# -- Pydantic state --------------------------------------------------------------


class Ticket(BaseModel):
    title: str
    priority: int = 3
    labels: Annotated[list[str], operator.add] = Field(default_factory=list)
    owner: str | None = None


@compared
def test_pydantic_state_nodes_get_models(lib):
    """Nodes get model instances (defaults filled in); streams, invoke and get_state
    give plain dicts of the keys written; a model instance as input writes its fields."""
    seen = []

    def triage(state: Ticket):
        seen.append(("triage", state))
        return {"priority": state.priority - 1, "labels": ["triaged"]}

    def assign(state: Ticket):
        seen.append(("assign", state))
        return {"owner": "ana" if state.priority < 3 else "bo", "labels": ["assigned"]}

    graph = lib.StateGraph(Ticket)
    graph.add_node("triage", triage)
    graph.add_node("assign", assign)
    graph.add_edge(lib.START, "triage")
    graph.add_edge("triage", "assign")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("ticket")
    streamed = list(app.stream({"title": "printer"}, cfg, stream_mode=["values", "updates"]))
    from_model = app.invoke(Ticket(title="wifi", priority=1), _thread("ticket2"))
    return [streamed, from_model, seen, app.get_state(cfg)]


@compared
def test_pydantic_input_validation(lib):
    """A bad input fails as the first node reads it, with Pydantic's ValidationError;
    unknown keys are dropped, and what the model coerces ("2") is coerced for the
    node only: the state keeps the value as written."""
    graph = lib.StateGraph(Ticket)
    graph.add_node("check", lambda s: {"labels": [f"{s.title}:{s.priority}"]})
    graph.add_edge(lib.START, "check")
    app = graph.compile(checkpointer=lib.MemorySaver())
    results = [
        outcome(app.invoke, {"priority": 1}, _thread("v1")),
        outcome(app.invoke, {"title": "x", "priority": "high"}, _thread("v2")),
        outcome(app.invoke, {"title": 7}, _thread("v3")),
        outcome(app.invoke, {"title": "ok", "priority": "2", "color": "red"}, _thread("v4")),
    ]
    return [results, app.get_state(_thread("v4"))]


class Essay(BaseModel):
    topic: str
    draft: str | None = None
    score: int = 0


@compared
def test_pydantic_node_returns_model_and_bad_write(lib):
    """A node may return a model instance: its fields are written, but a None field
    left at a None default is not; a write a model refuses fails the next node.
    (Run with invoke: LangGraph does not stream the last step's events when the next
    step cannot start, Lockstep does; see the README.)"""
    seen = []

    def write(state: Essay):
        return Essay(topic=state.topic, score=5)  # draft left None: not written

    def revise(state: Essay):
        seen.append(("revise", state))
        return {"draft": "v2 of " + state.topic, "score": "not a number"}

    def grade(state: Essay):
        seen.append(("grade", state))
        return {"score": 10}

    graph = lib.StateGraph(Essay)
    graph.add_node("write", write)
    graph.add_node("revise", revise)
    graph.add_node("grade", grade)
    graph.add_edge(lib.START, "write")
    graph.add_edge("write", "revise")
    graph.add_edge("revise", "grade")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("essay")
    failure = outcome(app.invoke, {"topic": "bees", "draft": "v1"}, cfg)
    return [failure, seen]


class Query(BaseModel):
    text: str


class Search(TypedDict, total=False):
    text: str
    hits: list[str]


@compared
def test_pydantic_input_schema_and_async(lib):
    """A Pydantic input schema over a TypedDict state: a model instance as input,
    nodes reading the state get dicts; run with ainvoke and astream."""

    async def search(state: Search):
        return {"hits": [state["text"].upper()]}

    graph = lib.StateGraph(Search, input_schema=Query, output_schema=Search)
    graph.add_node("search", search)
    graph.add_edge(lib.START, "search")
    app = graph.compile()

    async def run():
        first = await app.ainvoke(Query(text="cats"))
        chunks = [c async for c in app.astream({"text": "dogs", "hits": ["x"]}, stream_mode="values")]
        bad = await aoutcome(app.ainvoke({"hits": []}))
        return [first, chunks, bad]

    return asyncio.run(run())


# -- dataclass state --------------------------------------------------------------


@dataclass
class Order:
    item: str
    quantity: int = 1
    events: Annotated[list[str], operator.add] = field(default_factory=list)
    note: str | None = None


@compared
def test_dataclass_state(lib):
    """Dataclass state: nodes and paths get instances with defaults filled in, a node
    may return an instance (all its fields are written), a missing required field
    fails the first node; an instance is an input too."""
    seen = []

    def price(state: Order):
        seen.append(("price", state))
        return {"events": [f"priced {state.quantity} x {state.item}"]}

    def restock(state: Order):
        seen.append(("restock", state))
        return Order(item=state.item, quantity=state.quantity * 2, note="restocked")

    def route(state: Order):
        seen.append(("route", state))
        return "restock" if state.note is None else lib.END

    graph = lib.StateGraph(Order)
    graph.add_node("price", price)
    graph.add_node("restock", restock)
    graph.add_edge(lib.START, "price")
    graph.add_conditional_edges("price", route, ["restock", lib.END])
    graph.add_edge("restock", "price")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = _thread("order")
    streamed = list(app.stream({"item": "pens"}, cfg, stream_mode=["updates", "values"]))
    from_instance = app.invoke(Order(item="ink", quantity=3, note="rush"), _thread("order1"))
    missing = outcome(app.invoke, {"quantity": 2}, _thread("order2"))
    return [streamed, from_instance, missing, seen, app.get_state(cfg)]
