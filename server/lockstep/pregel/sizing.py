"""How big a thread's state is, as the store serialises it, for graphs given a size limit.

A server gives its runs and updates a `max_state_bytes` (RunSettings) so that one
caller cannot fill its store (or its replies) with one thread: a step or an update that would make the
state bigger raises before its checkpoint is saved, so the thread keeps its
last state that fitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstep.checkpoint import serde
from lockstep.checkpoint.base import Blob
from lockstep.errors import StateTooLargeError


def _size(channel: Any) -> int:
    if not channel.stores_value or not channel.available():
        return 0
    try:
        return len(serde.dumps(channel.get()))
    except Exception:  # not picklable: the store will say so when it saves it
        return 0


class StateSizer:
    """Each channel's serialised size (the input too), so a step re-measures only what
    it changed, and a reducer key stored as a delta only by the delta's size: the
    whole value is measured again only when the store takes a full copy of it
    (at geometric intervals), so a long thread costs O(n) to measure, not O(n²)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sizes: dict[str, int] | None = None  # None: nothing measured yet

    def check(self, channels: Mapping[str, Any], blobs: Mapping[str, Blob]) -> None:
        """Raise StateTooLargeError if the channels, with the step's `blobs` (what the
        store is about to keep of each changed channel) applied, are too big."""
        if self.sizes is None:
            sizes = {name: _size(channel) for name, channel in channels.items()}
        else:
            sizes = dict(self.sizes)
            for name, blob in blobs.items():
                if blob.kind == "delta" and name in sizes:
                    sizes[name] += len(serde.dumps(blob.value))
                else:
                    sizes[name] = _size(channels[name])
        total = sum(sizes.values())
        if total > self.limit:
            biggest = max(sizes, key=sizes.__getitem__)
            raise StateTooLargeError(
                f"the state would be {total} bytes serialised ({biggest!r}: {sizes[biggest]}), "
                f"over the limit of {self.limit} (max_state_bytes; a server's --max-state-bytes); "
                "it was not saved"
            )
        self.sizes = sizes
