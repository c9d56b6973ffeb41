"""The runtime: supersteps over channels, checkpointed after every step."""

from lockstep.pregel.graph import CompiledGraph

__all__ = ["CompiledGraph"]
