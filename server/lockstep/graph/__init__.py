"""Describing a graph: the builder, its channels and its drawing."""

from lockstep.constants import END, START
from lockstep.graph.message import MessagesState, add_messages
from lockstep.graph.state import StateGraph

__all__ = ["END", "START", "MessagesState", "StateGraph", "add_messages"]
