"""`SqliteSaver`, where `langgraph.checkpoint.sqlite` has it: checkpoints in one
SQLite file. It lives with the SQLite backend (`lockstep.stores.sqlite`), which
owns the file's connections, schema and write queue."""

from lockstep.stores.sqlite.migrations import SCHEMA_VERSION
from lockstep.stores.sqlite.saver import SqliteSaver

__all__ = ["SCHEMA_VERSION", "SqliteSaver"]
