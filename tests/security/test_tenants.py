"""Tenants: a thread and its runs are their maker's. To another tenant they do not
exist (NOT_FOUND) for every RPC, and nothing another tenant sends changes them."""

from __future__ import annotations

import sqlite3
import time

import grpc
import pytest
from callers import Caller
from google.protobuf import struct_pb2
from wire import TIMEOUT, end_status, refusal, run_request

from lockstep.stores.sqlite import SqliteBackend
from lockstep.stores.threads import DEFAULT_TENANT, ThreadRecord
from lockstep_api import convert
from lockstep_api.v1 import (
    enums_pb2,
    runs_service_pb2,
    threads_service_pb2,
)

pytestmark = pytest.mark.timeout(120)

RS = enums_pb2
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def start_interrupted(caller: Caller, thread_id: str) -> list:
    """The seed scenario up to its interrupt, on `caller`'s new thread; its events."""
    req = run_request(thread_id, "dynamic_breakpoints", {"input": "hello world"})
    events = [r.event for r in caller.runs.StreamRun(req, timeout=TIMEOUT)]
    assert end_status(events) == RS.RUN_STATUS_INTERRUPTED
    return events


def fingerprint(caller: Caller, thread_id: str) -> tuple[bytes, ...]:
    """The thread as its owner reads it, byte for byte: record, state, history, runs."""
    thread = caller.threads.GetThread(
        threads_service_pb2.GetThreadRequest(thread_id=thread_id), timeout=TIMEOUT
    ).thread
    state = caller.threads.GetState(
        threads_service_pb2.GetStateRequest(thread_id=thread_id), timeout=TIMEOUT
    )
    history = caller.threads.GetStateHistory(
        threads_service_pb2.GetStateHistoryRequest(thread_id=thread_id), timeout=TIMEOUT
    )
    runs = caller.runs.ListRuns(
        runs_service_pb2.ListRunsRequest(thread_id=thread_id), timeout=TIMEOUT
    )
    return (
        thread.SerializeToString(deterministic=True),
        state.SerializeToString(deterministic=True),
        history.SerializeToString(deterministic=True),
        runs.SerializeToString(deterministic=True),
    )


def values(**kv) -> struct_pb2.Struct:
    return convert.to_struct(kv)


def test_every_rpc_on_another_tenants_thread_is_not_found(alice, bob, tid):
    mine = tid("alice")
    events = start_interrupted(alice, mine)
    run_id = events[0].metadata.run_id
    checkpoint_id = events[-1].end.checkpoint.checkpoint_id
    before = fingerprint(alice, mine)
    T = threads_service_pb2
    R = runs_service_pb2

    calls = {
        "GetThread": (bob.threads.GetThread, T.GetThreadRequest(thread_id=mine)),
        "GetState": (bob.threads.GetState, T.GetStateRequest(thread_id=mine)),
        "GetState at a checkpoint": (
            bob.threads.GetState,
            T.GetStateRequest(thread_id=mine, checkpoint_id=checkpoint_id),
        ),
        "UpdateState": (
            bob.threads.UpdateState,
            T.UpdateStateRequest(thread_id=mine, values=values(input="bob was here")),
        ),
        "UpdateState as a node": (
            bob.threads.UpdateState,
            T.UpdateStateRequest(thread_id=mine, as_node="step_2"),
        ),
        "GetStateHistory": (bob.threads.GetStateHistory, T.GetStateHistoryRequest(thread_id=mine)),
        "DeleteThread": (bob.threads.DeleteThread, T.DeleteThreadRequest(thread_id=mine)),
        "StreamRun with input": (
            bob.runs.StreamRun,
            run_request(mine, "dynamic_breakpoints", {"input": "hi"}),
        ),
        "StreamRun resuming (no graph, no input)": (
            bob.runs.StreamRun,
            R.StreamRunRequest(thread_id=mine),
        ),
        "StreamRun enqueued": (
            bob.runs.StreamRun,
            run_request(
                mine, "dynamic_breakpoints", {"input": "hi"},
                multitask_strategy=RS.MULTITASK_STRATEGY_ENQUEUE,
            ),
        ),  # fmt: skip
        "WaitRun": (
            bob.runs.WaitRun,
            R.WaitRunRequest(thread_id=mine, graph_id="dynamic_breakpoints", input=values(input="x")),
        ),
        "CreateRun": (
            bob.runs.CreateRun,
            R.CreateRunRequest(thread_id=mine, graph_id="dynamic_breakpoints", input=values(input="x")),
        ),
        "CreateRun with a rollback": (
            bob.runs.CreateRun,
            R.CreateRunRequest(
                thread_id=mine, graph_id="dynamic_breakpoints", input=values(input="x"),
                multitask_strategy=RS.MULTITASK_STRATEGY_ROLLBACK,
            ),
        ),  # fmt: skip
        "JoinRun": (bob.runs.JoinRun, R.JoinRunRequest(run_id=run_id)),
        "CancelRun": (bob.runs.CancelRun, R.CancelRunRequest(run_id=run_id, wait=True)),
        "ListRuns of the thread": (bob.runs.ListRuns, R.ListRunsRequest(thread_id=mine)),
    }
    for name, (call, request) in calls.items():
        refused = refusal(call, request)
        assert refused.code == NOT_FOUND, (name, refused)
        what = "run" if name in ("JoinRun", "CancelRun") else "thread"
        assert refused.reason == f"{what.upper()}_NOT_FOUND", (name, refused)
        named = run_id if what == "run" else mine
        assert refused.message == f"{what} {named!r} not found", (name, refused)
    assert fingerprint(alice, mine) == before, "another tenant changed alice's thread"


def test_creating_a_thread_with_another_tenants_id_is_refused(alice, bob, tid):
    mine = tid("owned")
    start_interrupted(alice, mine)
    before = fingerprint(alice, mine)
    for if_exists in (RS.IF_EXISTS_RAISE, RS.IF_EXISTS_DO_NOTHING):
        req = threads_service_pb2.CreateThreadRequest(
            thread_id=mine, graph_id="dynamic_breakpoints", if_exists=if_exists,
            metadata=values(owner="bob"),
        )  # fmt: skip
        refused = refusal(bob.threads.CreateThread, req)
        assert refused.code == grpc.StatusCode.ALREADY_EXISTS
        assert refused.reason == "THREAD_ID_TAKEN"
        assert "alice" not in refused.message
    assert fingerprint(alice, mine) == before


def test_lists_show_only_the_callers_threads_and_runs(alice, bob, tid):
    mine, theirs = tid("alice"), tid("bob")
    start_interrupted(alice, mine)
    start_interrupted(bob, theirs)
    req = threads_service_pb2.ListThreadsRequest(page_size=1000)
    alices = {t.thread_id for t in alice.threads.ListThreads(req, timeout=TIMEOUT).threads}
    bobs = {t.thread_id for t in bob.threads.ListThreads(req, timeout=TIMEOUT).threads}
    assert mine in alices and theirs not in alices
    assert theirs in bobs and mine not in bobs
    assert not alices & bobs
    runs_req = runs_service_pb2.ListRunsRequest(page_size=1000)
    alice_runs = {r.thread_id for r in alice.runs.ListRuns(runs_req, timeout=TIMEOUT).runs}
    bob_runs = {r.thread_id for r in bob.runs.ListRuns(runs_req, timeout=TIMEOUT).runs}
    assert mine in alice_runs and theirs not in alice_runs
    assert theirs in bob_runs and mine not in bob_runs
    # Each owner reads its own thread.
    own = runs_service_pb2.ListRunsRequest(thread_id=theirs)
    assert [r.thread_id for r in bob.runs.ListRuns(own, timeout=TIMEOUT).runs] == [theirs]


def test_another_tenant_cannot_cancel_or_join_a_running_run(alice, bob, tid):
    mine = tid("alice")
    req = runs_service_pb2.CreateRunRequest(
        thread_id=mine, graph_id="slow", input=values(seconds=1.0)
    )
    run = alice.runs.CreateRun(req, timeout=TIMEOUT).run
    for call, request in (
        (bob.runs.CancelRun, runs_service_pb2.CancelRunRequest(run_id=run.run_id)),
        (bob.runs.JoinRun, runs_service_pb2.JoinRunRequest(run_id=run.run_id)),
    ):
        assert refusal(call, request).code == NOT_FOUND
    events = [
        r.event
        for r in alice.runs.JoinRun(
            runs_service_pb2.JoinRunRequest(run_id=run.run_id), timeout=TIMEOUT
        )
    ]
    assert end_status(events) == RS.RUN_STATUS_SUCCESS  # not cancelled by bob


def test_a_reused_id_does_not_inherit_a_deleted_threads_runs(alice, bob, tid):
    shared = tid("reused")
    events = start_interrupted(alice, shared)
    old_run = events[0].metadata.run_id
    alice.threads.DeleteThread(
        threads_service_pb2.DeleteThreadRequest(thread_id=shared), timeout=TIMEOUT
    )
    time.sleep(0.01)
    start_interrupted(bob, shared)  # the id is free again: bob takes it
    listed = bob.runs.ListRuns(runs_service_pb2.ListRunsRequest(thread_id=shared), timeout=TIMEOUT)
    assert old_run not in [r.run_id for r in listed.runs]
    refused = refusal(bob.runs.JoinRun, runs_service_pb2.JoinRunRequest(run_id=old_run))
    assert refused.code == NOT_FOUND


def test_an_owner_still_does_everything_on_its_thread(alice, tid):
    """The checks refuse strangers only: the seed scenario end to end for its owner."""
    mine = tid("alice")
    start_interrupted(alice, mine)
    alice.threads.UpdateState(
        threads_service_pb2.UpdateStateRequest(thread_id=mine, as_node="step_2"), timeout=TIMEOUT
    )
    events = [
        r.event
        for r in alice.runs.StreamRun(runs_service_pb2.StreamRunRequest(thread_id=mine), timeout=TIMEOUT)
    ]
    assert end_status(events) == RS.RUN_STATUS_SUCCESS
    alice.threads.DeleteThread(
        threads_service_pb2.DeleteThreadRequest(thread_id=mine), timeout=TIMEOUT
    )
    refused = refusal(alice.threads.GetThread, threads_service_pb2.GetThreadRequest(thread_id=mine))
    assert refused.code == NOT_FOUND


# -- the tenant column of the SQLite thread table ----------------------------------------


def test_a_database_from_before_tenants_opens_and_its_threads_are_defaults(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE threads (thread_id TEXT PRIMARY KEY, graph_id TEXT, "
        "status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT)"
    )
    db.execute(
        "INSERT INTO threads VALUES ('old-1', 'approval', 'idle', "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', '{\"k\": 1}')"
    )
    db.commit()
    db.close()
    backend = SqliteBackend(path)
    store = backend.threads
    old = store.get("old-1")
    assert old is not None and old.tenant == DEFAULT_TENANT and old.metadata == {"k": 1}
    store.put(ThreadRecord("new-1", "approval", tenant="alice"))
    store.update("old-1", graph_id="approval")
    backend.close()
    backend = SqliteBackend(path)
    reopened = backend.threads
    assert reopened.get("new-1").tenant == "alice"
    assert reopened.get("old-1").tenant == DEFAULT_TENANT
    assert [r.thread_id for r in reopened.list(tenant="alice")] == ["new-1"]
    assert [r.thread_id for r in reopened.list(tenant=DEFAULT_TENANT)] == ["old-1"]
    backend.close()
