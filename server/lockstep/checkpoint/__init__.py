"""Where threads are kept: one narrow Saver interface, several stores."""

from lockstep.checkpoint.base import BaseSaver, Blob, Checkpoint, CheckpointTuple, PendingWrite
from lockstep.checkpoint.memory import InMemorySaver, MemorySaver


def __getattr__(name: str):
    if name == "SqliteSaver":
        from lockstep.checkpoint.sqlite import SqliteSaver

        return SqliteSaver
    raise AttributeError(name)


__all__ = [
    "BaseSaver",
    "Blob",
    "Checkpoint",
    "CheckpointTuple",
    "InMemorySaver",
    "MemorySaver",
    "PendingWrite",
    "SqliteSaver",
]
