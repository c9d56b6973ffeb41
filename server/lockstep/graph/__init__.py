"""Describing a graph: the builder, its channels and its drawing."""

from lockstep.constants import END, START
from lockstep.graph.state import StateGraph

__all__ = ["END", "START", "StateGraph"]
