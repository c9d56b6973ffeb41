"""Checkpoint ids: UUIDv7-shaped, naming the moment their timestamp gives."""

from __future__ import annotations

import datetime
import os
import uuid

import pytest

from lockstep.checkpoint.ids import new_stamp


def _check(checkpoint_id: str, ts: str) -> None:
    parsed = uuid.UUID(checkpoint_id)
    assert str(parsed) == checkpoint_id
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    moment = datetime.datetime.fromisoformat(ts)
    assert moment.utcoffset() == datetime.timedelta(0)
    micros = round(moment.timestamp() * 1_000_000)
    assert parsed.int >> 80 == micros // 1000  # the millisecond
    assert (parsed.int >> 64) & 0xFFF == micros % 1000  # the microsecond within it


def test_ids_are_uuid7_of_their_timestamp_and_rise():
    stamps = [new_stamp() for _ in range(2000)]  # spans several milliseconds
    for checkpoint_id, ts in stamps:
        _check(checkpoint_id, ts)
    ids = [checkpoint_id for checkpoint_id, _ in stamps]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_draws_its_own_random_part():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one stamp, then leave without pytest's cleanup
        try:
            os.write(write, "|".join(new_stamp()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child_id, child_ts = pipe.read().split("|")
    os.waitpid(pid, 0)
    _check(child_id, child_ts)
    parent_id, _ = new_stamp()
    assert child_id[-17:] != parent_id[-17:]  # the variant and random groups
