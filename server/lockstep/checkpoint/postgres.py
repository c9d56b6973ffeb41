"""`PostgresSaver` and `AsyncPostgresSaver`, where `langgraph.checkpoint.postgres`
has them: checkpoints in PostgreSQL. They live with the PostgreSQL backend
(`lockstep.stores.postgres`), which owns the connections, schema and write queue;
they need psycopg 3 (`pip install 'lockstep[postgres]'`)."""

from lockstep.stores.postgres.migrations import SCHEMA_VERSION
from lockstep.stores.postgres.saver import AsyncPostgresSaver, PostgresSaver

__all__ = ["SCHEMA_VERSION", "AsyncPostgresSaver", "PostgresSaver"]
