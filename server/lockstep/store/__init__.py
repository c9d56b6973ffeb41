"""Two kinds of storage live here.

Long-term memory for graphs, mirroring `langgraph.store`: `base` (`BaseStore`,
`Item`, the operations), `memory` (`InMemoryStore`), `sqlite` (`SqliteStore`), with
the rules they share in `matching` and `sweeper`. These import nothing from the
server.

The server's own records beside checkpoints: `threads` and `runs` (thread and run
records) and `open` (opening all of them from a URL).
"""
