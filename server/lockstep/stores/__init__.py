"""The server's storage, one subpackage per backend: `memory`, `sqlite` and `postgres`.

Each backend owns its connections, its schema and the four things it keeps:
checkpoints (a `lockstep.checkpoint` saver), thread records (`threads`), run
records (`runs`) and long-term memory (a `lockstep.store` store). `open_store(url)`
picks the backend from the URL; `base.Backend` is what every backend hands the
server, with `coordination` (`coordination.py`): how several servers on the
store act as one (claims with leases, the run queue, run events, cancel
requests). The database backends share their write queue (`queue`), their saver's
reading of rows (`queued_saver`) and their run records' queries (`queued_runs`).
A new backend adds a subpackage, a scheme in `open`, and itself to the contract
tests' backend lists (tests/stores, tests/checkpoint, tests/store).
It may import `lockstep.checkpoint` and `lockstep.store`, never the service or gRPC.
"""

from lockstep.stores.base import Backend, StoreError
from lockstep.stores.open import DEFAULT_STORE, open_store, redacted

__all__ = ["DEFAULT_STORE", "Backend", "StoreError", "open_store", "redacted"]
