"""Checkpoint ids: unique, and sortable by when they were made."""

from __future__ import annotations

import random
import threading
import time

_lock = threading.Lock()
_last = 0


def new_checkpoint_id() -> str:
    """A UUIDv7-shaped id whose string order is creation order, even within a millisecond."""
    global _last
    with _lock:
        stamp = max(time.time_ns() // 1000, _last + 1)  # microseconds, strictly rising
        _last = stamp
    millis, micros = divmod(stamp, 1000)
    rand = random.getrandbits(62)  # uniqueness, not secrecy: ids are not credentials
    # UUIDv7 layout: 48 bits of milliseconds, version 7, 12 bits of microseconds,
    # the variant, 62 random bits.
    value = (millis << 80) | (0x7 << 76) | (micros << 64) | (0b10 << 62) | rand
    return dashed(f"{value:032x}")


def dashed(hex32: str) -> str:
    """32 hex digits in the 8-4-4-4-12 form of a UUID (cheaper than uuid.UUID)."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"
