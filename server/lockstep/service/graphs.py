"""lockstep.v1.Graphs: what graphs this server hosts, and their shape."""

from __future__ import annotations

from lockstep.constants import END, START
from lockstep.graph.schema import reducer_name
from lockstep.registry import HostedGraph
from lockstep.runs.errors import InvalidArgument, NotFound
from lockstep.service.errors import statuses
from lockstep_api.v1 import (
    graphs_service_pb2 as pb,
)
from lockstep_api.v1 import (
    graphs_service_pb2_grpc,
    message_pb2,
)


def describe(hosted: HostedGraph, xray: int = 0) -> message_pb2.Graph:
    """The graph as the contract lists it; `xray` levels of subgraphs drawn in place of
    their nodes (-1: every level), as LangGraph's get_graph(xray=...)."""
    compiled = hosted.graph
    drawing = compiled.get_graph(xray=True if xray == -1 else xray)
    return message_pb2.Graph(
        graph_id=hosted.graph_id,
        description=hosted.description,
        nodes=[  # the contract lists START and END in edges only
            message_pb2.GraphNode(name=n)
            for n in drawing.nodes
            if n not in (START, END)
        ],
        edges=[
            message_pb2.Edge(
                source=e.source, target=e.target, conditional=e.conditional, label=e.label or ""
            )
            for e in drawing.edges
        ],
        state_keys=[
            message_pb2.StateKey(name=k, reducer=reducer_name(c), type=type(c).__name__)
            for k, c in compiled.state_keys.items()
        ],
        interrupt_before=list(compiled.interrupt_before),
        interrupt_after=list(compiled.interrupt_after),
        mermaid=drawing.draw_mermaid(),
    )


class GraphsService(graphs_service_pb2_grpc.GraphsServicer):
    def __init__(self, graphs: dict[str, HostedGraph]) -> None:
        self.graphs = graphs

    async def ListGraphs(self, request, context):
        return pb.ListGraphsResponse(
            graphs=[
                message_pb2.GraphSummary(graph_id=g.graph_id, description=g.description)
                for g in sorted(self.graphs.values(), key=lambda g: g.graph_id)
            ]
        )

    @statuses
    async def GetGraph(self, request, context):
        hosted = self.graphs.get(request.graph_id)
        if hosted is None:
            raise NotFound("graph", request.graph_id)
        if request.xray < -1:
            raise InvalidArgument(
                f"xray must be -1 (every level), 0 (none) or a number of levels, got {request.xray}"
            )
        return pb.GetGraphResponse(graph=describe(hosted, request.xray))


__all__ = ["GraphsService", "describe"]
