"""Where threads are kept: one narrow Saver interface, several stores."""

from lockstep.checkpoint.base import BaseSaver, Blob, Checkpoint, CheckpointTuple, PendingWrite
from lockstep.checkpoint.memory import InMemorySaver, MemorySaver


def __getattr__(name: str):
    # Imported on first use: the PostgreSQL savers need psycopg (lockstep[postgres]).
    if name == "SqliteSaver":
        from lockstep.checkpoint.sqlite import SqliteSaver

        return SqliteSaver
    if name in ("PostgresSaver", "AsyncPostgresSaver"):
        from lockstep.checkpoint import postgres

        return getattr(postgres, name)
    raise AttributeError(name)


__all__ = [
    "BaseSaver",
    "Blob",
    "Checkpoint",
    "CheckpointTuple",
    "InMemorySaver",
    "MemorySaver",
    "PendingWrite",
    "AsyncPostgresSaver",
    "PostgresSaver",
    "SqliteSaver",
]
