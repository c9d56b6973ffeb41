"""Checkpoint ids: unique, and sortable by when they were made."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0


def new_checkpoint_id() -> str:
    """A UUIDv7-shaped id whose string order is creation order, even within a millisecond."""
    global _last
    with _lock:
        stamp = max(time.time_ns() // 1000, _last + 1)  # microseconds, strictly rising
        _last = stamp
    millis, micros = divmod(stamp, 1000)
    rand = int.from_bytes(os.urandom(8), "big") >> 2
    # UUIDv7 layout: 48 bits of milliseconds, version 7, 12 bits of microseconds,
    # the variant, 62 random bits.
    value = (millis << 80) | (0x7 << 76) | (micros << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))
