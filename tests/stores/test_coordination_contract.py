"""The coordination contract: claims, the run queue, events and cancel requests,
as one server sees them (every backend) and as several servers on one store see
each other (the backends replicas can share)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lockstep.checkpoint.base import Blob, Checkpoint
from lockstep.checkpoint.ids import new_checkpoint_id
from lockstep.stores.coordination import Claim, Coordination, LeaseLost, Queued


def test_it_is_a_coordination(coordinated):
    assert isinstance(coordinated().coordination, Coordination)


def test_a_thread_has_one_claim(coordinated):
    co = coordinated().coordination
    assert co.holder("t") is None
    assert co.claim("t", "r1", b"plan")
    held = co.holder("t")
    assert (held.thread_id, held.run_id, held.owner, held.request) == ("t", "r1", co.owner, b"plan")
    assert held.expires > time.time()
    assert not co.claim("t", "r2")
    assert not co.claim("t", "")  # nor an edit
    assert co.claim("t", "r1")  # the holder again: still its
    co.release("t", "r2")  # not its run: nothing happens
    assert co.holder("t").run_id == "r1"
    co.release("t", "r1")
    assert co.holder("t") is None
    assert co.claim("t", "r2")
    assert co.claim("u", "r3")  # other threads are apart


def test_an_edit_holds_the_thread_against_runs(coordinated):
    co = coordinated().coordination
    assert co.claim("t", "")
    assert not co.claim("t", "r1")
    co.release("t", "")
    assert co.claim("t", "r1")


def test_queued_runs_claim_in_order(coordinated):
    co = coordinated().coordination
    assert co.claim("t", "r1")
    co.enqueue("t", "r2", b"two")
    co.enqueue("t", "r3", b"three")
    co.enqueue("u", "r9")
    assert [(q.run_id, q.request, q.owner) for q in co.queued("t")] == [
        ("r2", b"two", co.owner),
        ("r3", b"three", co.owner),
    ]
    assert not co.claim("t", "r2")  # r1 still holds it
    co.release("t", "r1")
    assert not co.claim("t", "r3")  # r2 is first
    assert not co.claim("t", "")  # an edit waits for queued runs too
    assert co.claim("t", "r2")
    assert [q.run_id for q in co.queued("t")] == ["r3"]  # r2 left the queue as it claimed
    assert co.dequeue("r3")
    assert not co.dequeue("r3")
    assert co.queued("t") == []
    co.release("t", "r2")
    assert co.claim("t", "r4")  # nothing waits: anyone may


def test_events_are_read_after_a_number(coordinated):
    backend = coordinated()
    co = backend.coordination
    co.append_events("r1", 0, [{"kind": "metadata"}, {"kind": "values", "values": {"n": 1}}])
    co.append_events("r1", 2, [{"kind": "end", "status": "success"}])
    co.append_events("r2", 0, [{"kind": "other"}])
    backend.flush()
    assert co.read_events("r1") == [
        (0, {"kind": "metadata"}),
        (1, {"kind": "values", "values": {"n": 1}}),
        (2, {"kind": "end", "status": "success"}),
    ]
    assert co.read_events("r1", after=1) == [(2, {"kind": "end", "status": "success"})]
    assert co.read_events("r1", after=2) == []
    assert co.read_events("nobody") == []


def test_waiting_for_events(coordinated):
    backend = coordinated()
    co = backend.coordination

    async def scenario():
        started = time.monotonic()
        assert await co.wait_events("r1", -1, timeout=0.1) == []
        assert time.monotonic() - started >= 0.09

        async def later():
            await asyncio.sleep(0.05)
            co.append_events("r1", 0, [{"kind": "metadata"}])

        writer = asyncio.create_task(later())
        got = await co.wait_events("r1", -1, timeout=5)
        await writer
        return got

    assert asyncio.run(scenario()) == [(0, {"kind": "metadata"})]


def test_old_events_are_pruned(coordinated):
    backend = coordinated()
    co = backend.coordination
    co.append_events("r1", 0, [{"kind": "metadata"}])
    backend.flush()
    co.prune_events(older_than=60)
    assert len(co.read_events("r1")) == 1
    time.sleep(0.02)
    co.prune_events(older_than=0.01)
    assert co.read_events("r1") == []


def test_cancel_requests_reach_the_runs_server_once(coordinated):
    co = coordinated().coordination
    assert co.claim("t", "r1")
    co.enqueue("t", "r2")
    co.request_cancel("r1", "interrupt", "r3")
    co.request_cancel("r2")
    co.request_cancel("elsewhere")  # no run of this server: not its to take
    assert sorted(co.take_cancels()) == [("r1", "interrupt", "r3"), ("r2", "cancel", "")]
    assert co.take_cancels() == []


def test_lapsed_leases_are_taken_over(coordinated):
    co = coordinated(lease=0.05).coordination
    assert co.claim("t", "r1", b"plan")
    co.enqueue("t", "r2", b"later")
    assert co.claim("e", "")  # an edit
    assert co.expired() == []
    time.sleep(0.1)
    lapsed = co.expired()
    assert sorted((type(x).__name__, x.thread_id, x.run_id) for x in lapsed) == [
        ("Claim", "e", ""),
        ("Claim", "t", "r1"),
        ("Queued", "t", "r2"),
    ]
    by_run = {x.run_id: x for x in lapsed}
    assert not co.take_over(by_run[""])  # a lapsed edit: dropped, nothing to finish
    assert co.holder("e") is None
    assert co.take_over(by_run["r1"])
    assert not co.take_over(by_run["r1"])  # no longer lapsed
    assert co.take_over(by_run["r2"])
    assert co.expired() == []
    assert co.holder("t").request == b"plan"


def test_renewing_keeps_leases(coordinated):
    co = coordinated(lease=0.2).coordination
    assert co.claim("t", "r1")
    co.enqueue("t", "r2")
    for _ in range(4):
        time.sleep(0.08)
        assert co.renew() == {("t", "r1")}
    assert co.expired() == []


# -- several servers on one store ------------------------------------------------------


def test_another_server_sees_claims_queue_events_and_cancels(replicas):
    a, b = replicas.open(), replicas.open()
    assert a.coordination.owner != b.coordination.owner
    assert a.coordination.claim("t", "r1")
    assert not b.coordination.claim("t", "r2")
    assert b.coordination.holder("t").owner == a.coordination.owner
    b.coordination.enqueue("t", "r2", b"b's")
    assert [q.run_id for q in a.coordination.queued("t")] == ["r2"]
    assert not a.coordination.claim("t", "r3")  # busy, and r2 is first anyway
    a.coordination.append_events("r1", 0, [{"kind": "metadata"}])
    a.flush()
    assert b.coordination.read_events("r1") == [(0, {"kind": "metadata"})]
    b.coordination.request_cancel("r1", "rollback", "r2")
    assert b.coordination.take_cancels() == []  # a's run: only a takes it
    assert a.coordination.take_cancels() == [("r1", "rollback", "r2")]
    a.coordination.release("t", "r1")
    assert b.coordination.claim("t", "r2")
    b_claim = a.coordination.holder("t")
    assert (b_claim.run_id, b_claim.owner) == ("r2", b.coordination.owner)


def test_a_dead_servers_run_is_taken_over_and_it_is_fenced(replicas):
    a, b = replicas.open(lease=0.1), replicas.open(lease=10)
    config = {"configurable": {"thread_id": "t"}}

    def put(backend, value):
        cid = new_checkpoint_id()
        checkpoint = Checkpoint(id=cid, ts="", channel_versions={"x": cid}, versions_seen={})
        backend.saver.put(config, checkpoint, {"step": 0}, {"x": Blob("full", value)})
        return cid

    assert a.coordination.claim("t", "r1", b"plan")
    put(a, "a holds it")  # fenced: a holds the thread
    with pytest.raises(LeaseLost):
        put(b, "b does not")
    time.sleep(0.15)  # a stops renewing: its lease lapses
    (lapsed,) = b.coordination.expired()
    assert isinstance(lapsed, Claim) and lapsed.request == b"plan"
    assert b.coordination.take_over(lapsed)
    assert a.coordination.renew() == set()  # a learns it lost the thread
    with pytest.raises(LeaseLost):
        put(a, "a lost it")
    put(b, "b finishes")
    a.coordination.release("t", "r1")  # a cannot free what b holds
    assert b.coordination.holder("t").owner == b.coordination.owner
    values = [t.blobs["x"][0].value for t in b.saver.list(config)]
    assert values == ["b finishes", "a holds it"]


def test_two_servers_racing_for_a_thread_one_wins_each_time(replicas):
    a, b = replicas.open(), replicas.open()
    for round_ in range(20):
        thread = f"t{round_}"
        won: list[str] = []
        barrier = threading.Barrier(2)

        racers = [
            threading.Thread(target=_race, args=(barrier, backend, thread, run_id, won))
            for backend, run_id in ((a, "ra"), (b, "rb"))
        ]
        for t in racers:
            t.start()
        for t in racers:
            t.join()
        assert len(won) == 1
        assert a.coordination.holder(thread).run_id == won[0]


def _race(barrier, backend, thread: str, run_id: str, won: list[str]) -> None:
    barrier.wait()
    if backend.coordination.claim(thread, run_id):
        won.append(run_id)


def test_queued_runs_of_a_dead_server_are_taken_over(replicas):
    a, b = replicas.open(lease=0.05), replicas.open()
    assert b.coordination.claim("t", "r1")
    a.coordination.enqueue("t", "r2", b"a's plan")
    time.sleep(0.1)
    (lapsed,) = b.coordination.expired()
    assert isinstance(lapsed, Queued) and lapsed.request == b"a's plan"
    assert b.coordination.take_over(lapsed)
    assert [q.owner for q in b.coordination.queued("t")] == [b.coordination.owner]


def test_another_server_reads_thread_and_run_records(replicas):
    from lockstep.stores.runs import RunRecord
    from lockstep.stores.threads import INTERRUPTED, ThreadRecord

    a, b = replicas.open(), replicas.open()
    a.threads.put(ThreadRecord("t1", "g", tenant="alice"))
    a.runs.put(RunRecord("r1", "t1", "g"))
    a.flush()
    assert b.threads.get("t1").tenant == "alice"
    assert b.runs.get("r1").thread_id == "t1"
    b.threads.update("t1", status=INTERRUPTED)
    b.flush()
    assert a.threads.get("t1").status == INTERRUPTED
    assert [r.thread_id for r in a.threads.list(tenant="alice")] == ["t1"]
    a.threads.delete("t1")
    a.flush()
    assert b.threads.get("t1") is None
