"""How stored values become bytes and back.

Pickle, because graph values are arbitrary Python objects the operator's own
graph code produced (dataclasses, tuples, Interrupts). Bytes are only ever
read back from our own store, never taken from a client.
"""

from __future__ import annotations

import pickle
from typing import Any


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    return pickle.loads(data)
