"""The inspector's JSON API against a real server: what the page is given to show, and
the server's refusals passed on with their gRPC status and sentence, changing nothing."""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest

pytestmark = pytest.mark.timeout(120)

GRAPH = "dynamic_breakpoints"
PAUSE = "Received input that is longer than 5 characters: hello world"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run(inspector, thread_id: str, body: dict) -> list[tuple[str, object]]:
    """POST a run and read its server-sent events as (event, data)."""
    status, _, text = inspector.request(
        f"/api/threads/{thread_id}/runs", {"graph_id": GRAPH, **body}
    )
    assert status == 200, text
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_graphs_are_listed_and_drawn(inspector):
    status, doc, _ = inspector.request("/api/graphs")
    assert status == 200
    assert [g["graph_id"] for g in doc["graphs"]] == [GRAPH, "nested", "slow"]
    status, doc, _ = inspector.request(f"/api/graphs/{GRAPH}")
    assert status == 200
    assert [n["name"] for n in doc["graph"]["nodes"]] == ["step_1", "step_2", "step_3"]
    assert "step_1 --> step_2" in doc["graph"]["mermaid"]


def test_subgraphs_are_drawn_expanded_on_request(inspector):
    status, doc, _ = inspector.request("/api/graphs/nested")
    assert status == 200 and doc["expandable"] is True
    assert [n["name"] for n in doc["graph"]["nodes"]] == ["draft", "approval", "act"]
    assert "subgraph" not in doc["graph"]["mermaid"]
    status, doc, _ = inspector.request("/api/graphs/nested?xray=-1")
    assert status == 200 and doc["expandable"] is True
    nodes = [n["name"] for n in doc["graph"]["nodes"]]
    assert "approval" not in nodes and {"approval:check", "approval:ask"} <= set(nodes)
    assert "subgraph approval" in doc["graph"]["mermaid"]
    _, one, _ = inspector.request("/api/graphs/nested?xray=1")
    assert one["graph"]["mermaid"] == doc["graph"]["mermaid"]  # one level is all there is
    _, seed, _ = inspector.request(f"/api/graphs/{GRAPH}?xray=-1")
    assert seed["expandable"] is False
    status, doc, _ = inspector.request("/api/graphs/nested?xray=-2")
    assert status == 400 and doc["error"]["code"] == "INVALID_ARGUMENT"
    assert "xray must be -1" in doc["error"]["message"]


def test_a_thread_paused_inside_a_subgraph_shows_the_subgraphs_state(inspector):
    tid = new_id("api-nested")
    status, _, text = inspector.request(
        f"/api/threads/{tid}/runs", {"graph_id": "nested", "input": {"request": " buy a boat "}}
    )
    assert status == 200 and "event: interrupt" in text
    status, view, _ = inspector.request(f"/api/threads/{tid}")
    assert status == 200 and view["state"]["next"] == ["approval"]
    (task,) = view["state"]["tasks"]
    question = {"question": "Approve this request?", "request": "buy a boat"}
    assert [i["value"] for i in task["interrupts"]] == [question]
    inner = task["state"]
    assert inner["next"] == ["ask"]
    assert inner["values"] == {"request": "buy a boat", "checked": True}
    assert [i["value"] for t in inner["tasks"] for i in t["interrupts"]] == [question]


def test_the_seed_pause_its_edit_and_its_history(inspector):
    tid = new_id("api-seed")
    events = run(inspector, tid, {"input": {"input": "hello world"}})
    kinds = [e for e, _ in events]
    assert kinds[0] == "metadata" and kinds[-1] == "end"
    assert ("interrupt", PAUSE) in [(e, d["value"]) for e, d in events if e == "interrupt"]

    status, view, _ = inspector.request(f"/api/threads/{tid}")
    assert status == 200
    assert view["thread"]["status"] == "interrupted"
    assert view["state"]["next"] == ["step_2"]
    assert [i["value"] for t in view["state"]["tasks"] for i in t["interrupts"]] == [PAUSE]
    assert view["current"] == ["step_1"]
    assert "class step_1 current" in view["mermaid"] and "class step_2 pending" in view["mermaid"]

    status, doc, _ = inspector.request(f"/api/threads/{tid}/state", {"values": {"input": "foo"}})
    assert status == 200 and doc["checkpoint_id"]
    events = run(inspector, tid, {})
    assert events[-1] == ("end", {"status": "success", "checkpoint": events[-1][1]["checkpoint"]})

    status, doc, _ = inspector.request(f"/api/threads/{tid}/history")
    rows = [(e["metadata"]["step"], e["metadata"]["source"], e["next"]) for e in doc["history"]]
    assert rows == [
        (4, "loop", []),
        (3, "loop", ["step_3"]),
        (2, "update", ["step_2"]),
        (1, "loop", ["step_2"]),
        (0, "loop", ["step_1"]),
        (-1, "input", ["__start__"]),
    ]
    update = doc["history"][2]
    assert update["diff"] == [
        {"key": "input", "op": "changed", "before": "hello world", "after": "foo"}
    ]
    assert doc["history"][1]["writes"] == {"step_2": {"input": "foo"}}
    ids = [e["checkpoint_id"] for e in doc["history"]]
    assert [e["parent_id"] for e in doc["history"]] == [*ids[1:], None]  # one line, no fork
    assert doc["older"] is None


def test_history_pages_on_with_older(inspector):
    tid = new_id("api-pages")
    run(inspector, tid, {"input": {"input": "hi"}})
    status, first, _ = inspector.request(f"/api/threads/{tid}/history?limit=2")
    assert status == 200
    assert [e["metadata"]["step"] for e in first["history"]] == [3, 2]
    status, rest, _ = inspector.request(
        f"/api/threads/{tid}/history?limit=2&before={first['older']}"
    )
    assert [e["metadata"]["step"] for e in rest["history"]] == [1, 0]
    # Even the last entry of a page has its parent, so its diff is against it.
    assert first["history"][-1]["parent_id"] == rest["history"][0]["checkpoint_id"]


def test_a_fork_from_an_older_checkpoint_becomes_the_head_and_names_its_parent(inspector):
    tid = new_id("api-fork")
    run(inspector, tid, {"input": {"input": "hello world"}})
    _, doc, _ = inspector.request(f"/api/threads/{tid}/history")
    step_0 = next(e for e in doc["history"] if e["metadata"]["step"] == 0)
    status, forked, text = inspector.request(
        f"/api/threads/{tid}/state",
        {"values": {"input": "abc"}, "checkpoint_id": step_0["checkpoint_id"]},
    )
    assert status == 200, text
    _, doc, _ = inspector.request(f"/api/threads/{tid}/history")
    head = doc["history"][0]
    assert head["checkpoint_id"] == forked["checkpoint_id"]
    assert head["parent_id"] == step_0["checkpoint_id"]
    assert head["diff"] == [
        {"key": "input", "op": "changed", "before": "hello world", "after": "abc"}
    ]
    step_1 = next(
        e
        for e in doc["history"]
        if e["metadata"]["source"] == "loop" and e["metadata"]["step"] == 1
    )
    assert step_1["parent_id"] == step_0["checkpoint_id"]  # the old line, still there
    status, view, _ = inspector.request(f"/api/threads/{tid}/checkpoints/{step_1['checkpoint_id']}")
    assert status == 200 and view["state"]["values"] == {"input": "hello world"}


def test_refusals_carry_the_servers_status_and_change_nothing(inspector):
    tid = new_id("api-refused")
    run(inspector, tid, {"input": {"input": "hello world"}})
    _, before, _ = inspector.request(f"/api/threads/{tid}/history")

    status, doc, _ = inspector.request(
        f"/api/threads/{tid}/state", {"values": {"input": "x"}, "as_node": "nope"}
    )
    assert status == 400
    assert doc["error"]["code"] == "INVALID_ARGUMENT"
    assert "as_node 'nope' is not a node" in doc["error"]["message"]

    status, doc, _ = inspector.request(f"/api/threads/{tid}/runs", {"graph_id": "no-such-graph"})
    assert status == 404 and doc["error"]["code"] == "NOT_FOUND"

    _, after, _ = inspector.request(f"/api/threads/{tid}/history")
    assert after == before

    status, doc, _ = inspector.request("/api/threads/no-such-thread")
    assert status == 404 and doc["error"] == {
        "code": "NOT_FOUND",
        "message": "thread 'no-such-thread' not found",
    }
    status, doc, _ = inspector.request(f"/api/runs/{uuid.uuid4()}/cancel", {})
    assert status == 404 and doc["error"]["code"] == "NOT_FOUND"


def test_bad_requests_are_refused_by_the_inspector_itself(inspector):
    status, doc, _ = inspector.request("/api/threads?page_size=0")
    assert status == 400 and "page_size must be between 1" in doc["error"]["message"]
    status, doc, _ = inspector.request("/api/threads?metadata=%7Bnot")
    assert status == 400 and "metadata must be a JSON object" in doc["error"]["message"]
    status, doc, _ = inspector.request("/api/threads/x/state", {"as_node": "step_1"})
    assert status == 400 and "values is required" in doc["error"]["message"]
    status, doc, _ = inspector.request("/api/threads/x/runs", {"input": {}})
    assert status == 400 and "graph_id is required" in doc["error"]["message"]


def test_threads_filter_by_status_and_metadata_and_page(inspector, lockstep_server):
    from lockstep_client import Client

    tag = uuid.uuid4().hex[:8]
    with Client(lockstep_server.address) as client:
        for n in range(3):
            client.threads.create(f"list-{tag}-{n}", GRAPH, metadata={"tag": tag, "n": n})
    meta = urllib.parse.quote(json.dumps({"tag": tag}))
    status, doc, _ = inspector.request(f"/api/threads?metadata={meta}&page_size=2")
    assert status == 200 and doc["next_page_token"]
    first = [t["thread_id"] for t in doc["threads"]]
    token = urllib.parse.quote(doc["next_page_token"])
    _, doc, _ = inspector.request(f"/api/threads?metadata={meta}&page_size=2&page_token={token}")
    assert doc["next_page_token"] == ""
    second = [t["thread_id"] for t in doc["threads"]]
    assert len(first) == 2 and sorted(first + second) == [f"list-{tag}-{n}" for n in range(3)]
    status, doc, _ = inspector.request("/api/threads?page_token=not-a-token")
    assert status == 400 and doc["error"]["code"] == "INVALID_ARGUMENT"
    _, doc, _ = inspector.request(f"/api/threads?metadata={meta}&status=interrupted")
    assert doc["threads"] == []
    _, doc, _ = inspector.request(f"/api/threads?metadata={meta}&status=idle")
    assert len(doc["threads"]) == 3


def test_every_page_address_serves_the_page_and_its_assets(inspector):
    for path in (
        "/",
        "/graphs",
        f"/graphs/{GRAPH}",
        "/threads",
        "/threads/t",
        "/threads/t/checkpoints/c",
    ):
        status, _, text = inspector.request(path)
        assert status == 200 and "<main" in text, path
    status, _, text = inspector.request("/assets/vendor/mermaid.min.js")
    assert status == 200 and "mermaid" in text[:500]
    status, _, text = inspector.request("/assets/vendor/mermaid.LICENSE")
    assert status == 200 and "MIT" in text
    status, _, _ = inspector.request("/assets/../app.py")
    assert status == 404
