"""Exceptions a graph author or caller can catch."""


class GraphError(Exception):
    """Base class of every error the engine raises on purpose. (The SDK's
    `lockstep_client.LockstepError` is another thing: a call to a server failed.)"""


class GraphBuildError(GraphError, ValueError):
    """The graph as described cannot be compiled (unknown node, dangling edge...)."""


class InvalidUpdateError(GraphError, ValueError):
    """A write cannot be applied: two writers to a plain key, an unknown as_node..."""


class GraphRecursionError(GraphError, RecursionError):
    """The run took more supersteps than its recursion_limit allows."""


class EmptyInputError(GraphError, ValueError):
    """There is nothing to run: no input and no checkpoint to continue from."""


class StateTooLargeError(GraphError, ValueError):
    """A step or update would make the state bigger than its run's max_state_bytes."""


class CheckpointNotFound(GraphError, LookupError):
    """A config names a checkpoint the thread does not have."""


class NodeError(GraphError):
    """A node (or task) of a host's run failed: `node` names it, `cause` is what it raised.

    What a host's run handle raises (pregel/host.py), so a server tells a node's own
    ValueError from a caller's mistake; `invoke` and `stream` raise the node's own
    exception instead, as LangGraph does."""

    def __init__(self, node: str, cause: BaseException) -> None:
        super().__init__(f"node {node!r} failed: {type(cause).__name__}: {cause}")
        self.node = node
        self.cause = cause


class ParentCommand(GraphError):
    """A subgraph's node returned Command(graph=Command.PARENT): it leaves the
    subgraph's run and is taken by the parent's task as its own return value."""

    def __init__(self, command: object) -> None:
        super().__init__(command)
        self.command = command


class GraphInterrupt(GraphError):
    """Raised inside a node to pause it; the runtime turns it into an Interrupt."""

    def __init__(self, interrupts: tuple = ()) -> None:
        super().__init__(interrupts)
        self.interrupts = tuple(interrupts)
