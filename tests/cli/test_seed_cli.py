"""The seed scenario at a terminal: run to the interrupt, look, edit as step_2, resume, history.

Every step is `python -m lockstep ...` against the live server, read as a person
reads it (text) and as a script reads it (--json), with its exit code.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(120)

LONG = "Received input that is longer than 5 characters: hello world"


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def steps_printed(server, mark: int) -> list[str]:
    return [line for line in server.log_since(mark).splitlines() if line.startswith("---")]


def test_seed_scenario_for_a_person(server, lockstep, tid):
    t = tid("human")
    run = lockstep(
        "run", "dynamic_breakpoints", "--thread", t, "--input", '{"input": "hello world"}'
    )
    assert run.code == 0, run.err
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[0].startswith("run ") and lines[0].endswith(
        f" on thread {t} (dynamic_breakpoints)"
    )
    assert lines[1:] == [
        'values  {"input": "hello world"}',
        'values  {"input": "hello world"}',
        f"Paused in step_2: {LONG}",
        f"  resume:  lockstep resume {t} [--value JSON]",
        f"  edit:    lockstep update {t} '{{...}}' --as-node step_2",
    ]

    state = lockstep("state", t)
    assert state.code == 0, state.err
    assert 'values  {"input": "hello world"}' in state.out.splitlines()
    assert "next    step_2" in state.out.splitlines()
    assert f"Paused in step_2: {LONG}" in state.out
    assert "(step 1, loop)" in state.out

    # Resuming without an edit only raises the interrupt again.
    again = lockstep("resume", t)
    assert again.code == 0, again.err
    assert f"Paused in step_2: {LONG}" in again.out

    # Skip step_2: write no values as step_2, so step_3 is next.
    upd = lockstep("update", t, "null", "--as-node", "step_2")
    assert upd.code == 0, upd.err
    first, second = upd.out.splitlines()
    assert first.startswith(f"updated thread {t} as step_2: checkpoint ")
    assert second == "next    step_3"

    mark = server.log_mark()
    done = lockstep("resume", t)
    assert done.code == 0, done.err
    assert done.out.splitlines()[1:] == ['values  {"input": "hello world"}'] * 2 + ["Done."]
    assert steps_printed(server, mark) == ["---Step 3---"]

    hist = lockstep("history", t)
    assert hist.code == 0, hist.err
    header, *rows = hist.out.splitlines()
    assert header.split() == ["STEP", "SOURCE", "NEXT", "CHECKPOINT", "VALUES"]
    assert [row.split()[:3] for row in rows] == [
        ["3", "loop", "-"],
        ["2", "update", "step_3"],
        ["1", "loop", "step_2"],
        ["0", "loop", "step_1"],
        ["-1", "input", "__start__"],
    ]
    assert rows[0].endswith('{"input": "hello world"}')
    assert rows[-1].endswith("{}")

    short = lockstep("history", t, "--limit", "2")
    assert short.code == 0 and len(short.out.splitlines()) == 3

    final = lockstep("state", t)
    assert "next    (none: the thread is done)" in final.out
    assert "Paused" not in final.out


def test_seed_scenario_for_a_script(server, lockstep, tid):
    t = tid("json")
    run = lockstep(
        "run", "dynamic_breakpoints", "--thread", t, "--input", '{"input": "hello world"}', "--json"
    )
    assert run.code == 0, run.err
    events = json_lines(run.out)
    assert [e["event"] for e in events] == ["metadata", "values", "values", "interrupt", "end"]
    assert events[0]["data"]["thread_id"] == t
    assert events[0]["data"]["graph_id"] == "dynamic_breakpoints"
    assert [e["data"] for e in events[1:3]] == [{"input": "hello world"}] * 2
    intr = events[3]["data"]
    assert intr["value"] == LONG and intr["node"] == "step_2" and intr["when"] == "during"
    assert len(intr["id"]) == 32
    assert events[4]["data"]["status"] == "interrupted"

    state = lockstep("state", t, "--json")
    assert state.code == 0
    snap = json.loads(state.out)
    assert snap["values"] == {"input": "hello world"}
    assert snap["next"] == ["step_2"]
    assert snap["interrupts"] == [intr]
    assert snap["metadata"]["step"] == 1

    # Edit the input (as the node that ran last, step_1): step_2 runs again, and passes.
    upd = lockstep("update", t, '{"input": "foo"}', "--json")
    assert upd.code == 0, upd.err
    doc = json.loads(upd.out)
    assert doc["next"] == ["step_2"]
    assert doc["config"]["configurable"]["thread_id"] == t
    checkpoint_id = doc["config"]["configurable"]["checkpoint_id"]

    mark = server.log_mark()
    done = lockstep("resume", t, "--json", "--stream-mode", "updates")
    assert done.code == 0, done.err
    events = json_lines(done.out)
    assert [e["event"] for e in events] == ["metadata", "updates", "updates", "end"]
    assert [e["data"] for e in events[1:3]] == [
        {"step_2": {"input": "foo"}},
        {"step_3": {"input": "foo"}},
    ]
    assert events[-1]["data"]["status"] == "success"
    assert steps_printed(server, mark) == ["---Step 2---", "---Step 3---"]

    hist = lockstep("history", t, "--json")
    assert hist.code == 0
    snaps = json.loads(hist.out)
    assert [
        (s["next"], s["values"], s["metadata"]["source"], s["metadata"]["step"]) for s in snaps
    ] == [
        ([], {"input": "foo"}, "loop", 4),
        (["step_3"], {"input": "foo"}, "loop", 3),
        (["step_2"], {"input": "foo"}, "update", 2),
        (["step_2"], {"input": "hello world"}, "loop", 1),
        (["step_1"], {"input": "hello world"}, "loop", 0),
        (["__start__"], {}, "input", -1),
    ]
    assert snaps[2]["config"]["configurable"]["checkpoint_id"] == checkpoint_id
    assert len(json.loads(lockstep("history", t, "--json", "--limit", "3").out)) == 3

    # An older checkpoint, by id.
    old = json.loads(lockstep("state", t, "--checkpoint", checkpoint_id, "--json").out)
    assert old["values"] == {"input": "foo"} and old["next"] == ["step_2"]


def test_short_input_runs_through(lockstep, tid):
    t = tid()
    run = lockstep("run", "dynamic_breakpoints", "--thread", t, "--input", '{"input": "hello"}')
    assert run.code == 0, run.err
    assert run.out.splitlines()[1:] == ['values  {"input": "hello"}'] * 4 + ["Done."]


def test_run_without_thread_names_the_new_one(lockstep):
    run = lockstep("run", "dynamic_breakpoints", "--input", '{"input": "hello world"}', "--json")
    assert run.code == 0, run.err
    thread_id = json_lines(run.out)[0]["data"]["thread_id"]
    assert thread_id
    human = lockstep("state", thread_id)
    assert human.code == 0
    assert f"lockstep resume {thread_id}" in human.out
