"""Test graph: a Pydantic state, a node with its own input schema (a private key),
and an output schema; served as any other graph."""

import operator
from typing import Annotated, TypedDict

from pydantic import BaseModel, Field

from lockstep import END, START, StateGraph


class Ticket(BaseModel):
    title: str
    priority: int = 3
    labels: Annotated[list[str], operator.add] = Field(default_factory=list)


class Routing(TypedDict):
    queue: str  # private: only the nodes reading Routing see it


class Summary(TypedDict):
    labels: list[str]


def triage(state: Ticket):
    return {"priority": state.priority - 1, "labels": ["triaged"], "queue": "desk"}


def route(state: Routing):
    return {"labels": ["queue:" + state["queue"]]}


builder = StateGraph(Ticket, output_schema=Summary)
builder.add_node("triage", triage)
builder.add_node("route", route)
builder.add_edge(START, "triage")
builder.add_edge("triage", "route")
builder.add_edge("route", END)
graph = builder.compile()
