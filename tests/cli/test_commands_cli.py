"""graphs, threads, cancel, interrupts of every kind, failed runs, and the connection options."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest
from cli_helpers import cli_env

from lockstep_client import Client

pytestmark = pytest.mark.timeout(120)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# ---------------------------------------------------------------------------- graphs


def test_graphs_lists_every_hosted_graph(lockstep):
    res = lockstep("graphs")
    assert res.code == 0, res.err
    header, *rows = res.out.splitlines()
    assert header.split() == ["GRAPH", "DESCRIPTION"]
    names = [row.split()[0] for row in rows]
    assert names == sorted(names)
    assert {"dynamic_breakpoints", "approval", "breakpoints", "map_reduce", "slow", "flaky"} <= set(
        names
    )
    seed = next(row for row in rows if row.startswith("dynamic_breakpoints "))
    assert "The seed graph" in seed

    doc = json.loads(lockstep("graphs", "--json").out)
    assert [g["graph_id"] for g in doc] == names
    assert set(doc[0]) == {"graph_id", "description", "metadata"}


def test_graphs_shows_one_as_text_json_and_mermaid(server, lockstep):
    res = lockstep("graphs", "dynamic_breakpoints")
    assert res.code == 0, res.err
    assert res.out.splitlines() == [
        "dynamic_breakpoints: The seed graph: step_2 raises NodeInterrupt when the input is "
        "longer than 5 characters.",
        "nodes:",
        "  step_1",
        "  step_2",
        "  step_3",
        "edges:",
        "  __start__ --> step_1",
        "  step_1 --> step_2",
        "  step_2 --> step_3",
        "  step_3 --> __end__",
        "state:",
        "  input: LastValue",
    ]
    with Client(server.address, timeout=30) as client:
        wanted = client.graphs.get("dynamic_breakpoints").mermaid
    mermaid = lockstep("graphs", "dynamic_breakpoints", "--mermaid")
    assert mermaid.code == 0
    assert mermaid.out == wanted.rstrip("\n") + "\n"
    assert "step_1 --> step_2;" in mermaid.out

    doc = json.loads(lockstep("graphs", "dynamic_breakpoints", "--json").out)
    assert doc["graph_id"] == "dynamic_breakpoints"
    assert [n["name"] for n in doc["nodes"]] == ["step_1", "step_2", "step_3"]
    assert {"source": "step_1", "target": "step_2", "conditional": False, "label": ""} in doc[
        "edges"
    ]
    assert doc["mermaid"] == wanted


def test_graphs_shows_static_breakpoints(lockstep):
    res = lockstep("graphs", "breakpoints")
    assert res.code == 0, res.err
    assert any(line.startswith("interrupt before: ") for line in res.out.splitlines())


def test_graphs_unknown_is_not_found(lockstep):
    res = lockstep("graphs", "no_such_graph")
    assert res.code == 5
    assert res.out == ""
    assert res.err.startswith("lockstep: NOT_FOUND: ") and "no_such_graph" in res.err
    assert "Traceback" not in res.err


# ---------------------------------------------------------------------------- interrupts


def test_answering_interrupt_with_resume_value(lockstep, tid):
    t = tid()
    run = lockstep("run", "approval", "--thread", t, "--input", '{"request": " buy a boat "}')
    assert run.code == 0, run.err
    assert run.out.splitlines()[-3:] == [
        'Paused in review: {"question": "Approve this request?", "request": "buy a boat"}',
        f"  resume:  lockstep resume {t} [--value JSON]",
        f"  edit:    lockstep update {t} '{{...}}' --as-node review",
    ]
    threads = json.loads(
        lockstep("threads", "--graph", "approval", "--status", "interrupted", "--json").out
    )
    assert t in [th["thread_id"] for th in threads]

    res = lockstep("resume", t, "--value", "true", "--json")
    assert res.code == 0, res.err
    events = json_lines(res.out)
    assert events[-1] == {"event": "end", "data": events[-1]["data"]}
    assert events[-1]["data"]["status"] == "success"
    assert events[-2]["data"] == {"request": "buy a boat", "approved": True, "outcome": "done"}


def test_interrupt_before_and_stream_modes(lockstep, tid):
    t = tid()
    run = lockstep(
        "run", "dynamic_breakpoints", "--thread", t, "--input", '{"input": "hi"}',
        "--interrupt-before", "step_2", "step_3", "--stream-mode", "updates",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert run.out.splitlines()[1:] == [
        'update  step_1: {"input": "hi"}',
        "Paused before step_2 (breakpoint)",
        f"  resume:  lockstep resume {t}",
        f"  edit:    lockstep update {t} '{{...}}'",
    ]
    state = json.loads(lockstep("state", t, "--json").out)
    assert state["next"] == ["step_2"]
    assert state["interrupts"] == []  # as in LangGraph: a breakpoint is no interrupt of the state

    res = lockstep("resume", t, "--stream-mode", "values", "updates", "--json")
    assert res.code == 0, res.err
    kinds = [e["event"] for e in json_lines(res.out)]
    assert kinds[0] == "metadata" and kinds[-1] == "end"
    assert {"values", "updates"} <= set(kinds)


def test_a_failed_run_exits_unknown_and_names_the_node(lockstep, tid):
    t = tid()
    res = lockstep("run", "flaky", "--thread", t, "--input", '{"input": "bad"}')
    assert res.code == 2
    assert "Traceback" not in res.err
    first = res.err.splitlines()[0]
    assert first == "lockstep: run failed in node check: ValueError: check refuses the input 'bad'"
    assert f"lockstep resume {t}" in res.err

    res = lockstep("resume", t, "--json")
    assert res.code == 2
    events = json_lines(res.out)
    error = next(e["data"] for e in events if e["event"] == "error")
    assert error["node"] == "check" and error["error_type"] == "ValueError" and error["code"] == 2
    assert events[-1]["event"] == "end" and events[-1]["data"]["status"] == "error"
    assert res.err == ""

    state = lockstep("state", t)
    assert "error   check: ValueError(\"check refuses the input 'bad'\")" in state.out

    # Fix the input, retry: it completes.
    assert lockstep("update", t, '{"input": "good"}', "--as-node", "prepare").code == 0
    done = lockstep("resume", t)
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1] == "Done."


# ---------------------------------------------------------------------------- threads


def test_threads_lists_and_filters(lockstep, tid):
    idle, paused = tid("idle"), tid("paused")
    assert (
        lockstep("run", "dynamic_breakpoints", "--thread", idle, "--input", '{"input": "hi"}').code
        == 0
    )
    assert (
        lockstep(
            "run", "dynamic_breakpoints", "--thread", paused, "--input", '{"input": "hello world"}'
        ).code
        == 0
    )
    res = lockstep("threads", "--graph", "dynamic_breakpoints")
    assert res.code == 0, res.err
    header, *rows = res.out.splitlines()
    assert header.split() == ["THREAD", "GRAPH", "STATUS", "UPDATED"]
    by_id = {row.split()[0]: row.split()[1:3] for row in rows}
    assert by_id[idle] == ["dynamic_breakpoints", "idle"]
    assert by_id[paused] == ["dynamic_breakpoints", "interrupted"]

    interrupted = json.loads(lockstep("threads", "--status", "interrupted", "--json").out)
    ids = [th["thread_id"] for th in interrupted]
    assert paused in ids and idle not in ids
    mine = next(th for th in interrupted if th["thread_id"] == paused)
    assert mine["graph_id"] == "dynamic_breakpoints" and mine["status"] == "interrupted"

    assert len(json.loads(lockstep("threads", "--limit", "1", "--json").out)) == 1
    none = lockstep("threads", "--graph", "no_such_graph")
    assert none.code == 0 and none.out == "(no threads)\n"


# ---------------------------------------------------------------------------- cancel


def test_cancel_a_streaming_run(server, tid):
    t = tid()
    env = cli_env(server.address)
    run = subprocess.Popen(
        [sys.executable, "-m", "lockstep", "run", "slow", "--thread", t, "--input",
         '{"seconds": 20}', "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        first = json.loads(run.stdout.readline())
        assert first["event"] == "metadata"
        run_id = first["data"]["run_id"]
        started = time.monotonic()
        res = subprocess.run(
            [sys.executable, "-m", "lockstep", "cancel", run_id, "--wait"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert res.stdout == f"run {run_id} on thread {t} (slow): cancelled\n"
        rest, err = run.communicate(timeout=60)
        assert time.monotonic() - started < 15  # not the 20 s nap
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 1  # CANCELLED
    events = [json.loads(line) for line in rest.splitlines()]
    assert events[-1]["event"] == "end" and events[-1]["data"]["status"] == "cancelled"

    again = subprocess.run(
        [sys.executable, "-m", "lockstep", "cancel", run_id, "--json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert again.returncode == 0
    doc = json.loads(again.stdout)
    assert doc["run_id"] == run_id and doc["status"] == "cancelled" and doc["thread_id"] == t


# ---------------------------------------------------------------------------- connection


def test_address_flag_and_unreachable_server(server, lockstep):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    res = lockstep("graphs", env=cli_env(dead))
    assert res.code == 14  # UNAVAILABLE
    assert res.err.startswith("lockstep: UNAVAILABLE: ") and "Traceback" not in res.err
    ok = lockstep("graphs", "--address", server.address, "--json", env=cli_env(dead))
    assert ok.code == 0, ok.err


def test_token_goes_to_the_client(monkeypatch):
    from lockstep.cli import commands, parser

    seen = {}

    class FakeClient(Client):
        def __init__(self, target, token=None, timeout=None, **kwargs):
            seen.update(target=target, token=token, timeout=timeout)
            super().__init__(target, token, timeout)

    monkeypatch.setattr(commands, "Client", FakeClient)
    monkeypatch.setenv("LOCKSTEP_TOKEN", "from-env")
    monkeypatch.setenv("LOCKSTEP_ADDRESS", "127.0.0.1:1")
    args = parser().parse_args(["graphs", "--timeout", "0.5"])
    assert commands.run_client_command(args) == 14
    assert seen == {"target": "127.0.0.1:1", "token": "from-env", "timeout": 0.5}
    args = parser().parse_args(["graphs", "--token", "flag", "--address", "127.0.0.1:2"])
    commands.run_client_command(args)
    assert seen["token"] == "flag" and seen["target"] == "127.0.0.1:2"


# ---------------------------------------------------------------------------- modes


def test_run_streams_messages_tasks_and_context(lockstep, tid):
    thread = tid()
    res = lockstep(
        "run", "chat", "--thread", thread,
        "--input", '{"messages": [{"role": "user", "content": "hi"}]}',
        "--stream-mode", "messages", "tasks", "--context", '{"user": "Ann"}', "--subgraphs",
    )  # fmt: skip
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    tokens = [line for line in lines if line.startswith("message reply AIMessageChunk:")]
    assert "".join(t.split(":", 1)[1][1:] for t in tokens) == "Hello Ann, how are you"
    assert "message tool tool: sunny" in lines
    assert any(line.startswith("tasks") for line in lines)
    assert not any(line.startswith("[") for line in lines)  # a flat graph: no namespaces
    docs = json_lines(
        lockstep(
            "run", "chat", "--json", "--input", '{"messages": [["user", "hi"]]}',
            "--stream-mode", "messages",
        ).out  # fmt: skip
    )
    message, metadata = next(d["data"] for d in docs if d["event"] == "messages")
    assert message["type"] == "AIMessageChunk" and metadata["langgraph_node"] == "reply"
    res = lockstep("run", "chat", "--context", "[1]", "--input", "{}")
    assert res.code == 3 and "--context" in res.err


def test_subgraph_event_lines_are_prefixed_with_their_namespace():
    from lockstep.cli import output as out

    ns = ("parent:0123456789abcdef", "child:fedcba9876543210")
    assert out.namespaced(ns, "values  {}\nmore") == (
        "[parent:01234567…|child:fedcba98…] values  {}\n[parent:01234567…|child:fedcba98…] more"
    )
    assert out.namespaced((), "values  {}") == "values  {}"


def test_subgraph_run_lines_state_and_resume(lockstep, tid):
    thread = tid()
    res = lockstep(
        "run", "nested", "--thread", thread, "--input", '{"request": "a lamp"}',
        "--stream-mode", "updates", "--subgraphs",
    )  # fmt: skip
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    inner = [line for line in lines if line.startswith("[approval:")]
    assert inner and "update  check:" in inner[0] and "Paused:" in inner[1]
    assert any(line.startswith("Paused in approval:") for line in lines)  # the run's own
    state = lockstep("state", thread, "--subgraphs").out.splitlines()
    at = next(i for i, line in enumerate(state) if line.startswith("subgraph approval (approval:"))
    assert state[at + 1 :].count("    next    ask") == 1
    assert sum("resume:" in line for line in state) == 1
    res = lockstep("resume", thread, "--value", "true", "--stream-mode", "updates", "--subgraphs")
    assert res.code == 0, res.err
    assert [line.split(":")[0] for line in res.out.splitlines() if "update  " in line][:1] == [
        "[approval"
    ]
