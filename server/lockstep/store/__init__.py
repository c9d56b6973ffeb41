"""Long-term memory for graphs, mirroring `langgraph.store`: `base` (`BaseStore`,
`Item`, the operations), `memory` (`InMemoryStore`), `sqlite` (`SqliteStore`), with
the rules they share in `matching` and `sweeper`. These import nothing from the
server.

The server's own records (threads, runs) and its backends are in `lockstep.stores`.
"""
