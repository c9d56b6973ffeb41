"""The runtime: supersteps over channels, checkpointed after every step; a host
drives a run through its RunHandle and learns of a node's failure from NodeError."""

from lockstep.errors import NodeError
from lockstep.pregel.graph import CompiledGraph
from lockstep.pregel.host import RunHandle

__all__ = ["CompiledGraph", "NodeError", "RunHandle"]
