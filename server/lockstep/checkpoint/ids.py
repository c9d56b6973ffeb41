"""Checkpoint ids: unique, and sortable by when they were made.

An id is made at every step, so it is built from string pieces rather than
through `uuid` or `datetime`: the time part changes, the random part is drawn
once per process (and again in a forked child), which keeps ids of different
processes apart while ids of one process are apart by their strictly rising time.
"""

from __future__ import annotations

import os
import random
import threading
import time

_lock = threading.Lock()
_last = 0
_suffix = ""
# The tails of an id and of a timestamp for each microsecond of a millisecond, made
# once: formatting them at every step cost more than the rest of new_stamp.
_id_tails: list[str] = []
_TS_TAILS = [f"{micros:03d}+00:00" for micros in range(1000)]
# The parts of an id and a timestamp that change once a millisecond, formatted once:
# (millisecond, "xxxxxxxx-xxxx-7", "YYYY-MM-DDTHH:MM:SS.mmm")
_cached = (-1, "", "")


def _draw_suffix() -> None:
    """The UUID variant bits and 62 random bits, as the id's last two groups."""
    global _suffix, _id_tails
    tail = f"{(0b10 << 62) | random.getrandbits(62):016x}"
    _suffix = f"{tail[:4]}-{tail[4:]}"
    _id_tails = [f"{micros:03x}-{_suffix}" for micros in range(1000)]


_draw_suffix()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_draw_suffix)


def new_stamp() -> tuple[str, str]:
    """A new UUIDv7-shaped id, whose string order is creation order even within a
    millisecond, and the same moment as ISO-8601 UTC text (a checkpoint's `ts`)."""
    global _last, _cached
    with _lock:
        stamp = time.time_ns() // 1000  # microseconds, strictly rising
        if stamp <= _last:
            stamp = _last + 1
        _last = stamp
    millis, micros = divmod(stamp, 1000)
    cached_millis, id_head, ts_head = _cached
    if cached_millis != millis:
        # UUIDv7 layout: 48 bits of milliseconds, version 7, 12 bits of sub-millisecond
        # microseconds, then the variant and the random bits.
        hex_millis = f"{millis:012x}"
        id_head = f"{hex_millis[:8]}-{hex_millis[8:]}-7"
        second, milli = divmod(millis, 1000)
        ts_head = f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(second))}.{milli:03d}"
        _cached = (millis, id_head, ts_head)
    return id_head + _id_tails[micros], ts_head + _TS_TAILS[micros]


def new_checkpoint_id() -> str:
    return new_stamp()[0]


def dashed(hex32: str) -> str:
    """32 hex digits in the 8-4-4-4-12 form of a UUID (cheaper than uuid.UUID)."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"
