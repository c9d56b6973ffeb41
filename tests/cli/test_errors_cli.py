"""Exit codes follow the gRPC status; mistakes are one clear line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)

NOT_FOUND, INVALID_ARGUMENT = 5, 3


@pytest.mark.parametrize(
    "args",
    [
        ("state", "no-such-thread"),
        ("state", "no-such-thread", "--json"),
        ("history", "no-such-thread"),
        ("update", "no-such-thread", '{"input": "x"}'),
        ("resume", "no-such-thread"),
        ("cancel", "no-such-run"),
        ("run", "no_such_graph", "--input", "{}"),
    ],
)
def test_unknown_things_are_not_found(lockstep, args):
    res = lockstep(*args)
    assert res.code == NOT_FOUND, res
    assert res.out == ""
    assert res.err.startswith("lockstep: NOT_FOUND: ")
    assert len(res.err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "dynamic_breakpoints", "--input", "{bad"), "--input is not valid JSON"),
        (
            ("run", "dynamic_breakpoints", "--input", "[1, 2]"),
            "--input must be a JSON object, got list",
        ),
        (("update", "t", "not json"), "the state update is not valid JSON"),
        (("update", "t", '"text"'), "the state update must be a JSON object (or null), got str"),
        (("resume", "t", "--value", "{"), "--value is not valid JSON"),
    ],
)
def test_bad_json_is_invalid_argument(lockstep, args, message):
    res = lockstep(*args)
    assert res.code == INVALID_ARGUMENT
    assert res.out == ""
    assert res.err.startswith(f"lockstep: {message}")
    assert "Traceback" not in res.err


def test_server_side_invalid_argument(lockstep, tid):
    t = tid()
    assert (
        lockstep("run", "dynamic_breakpoints", "--thread", t, "--input", '{"input": "hi"}').code
        == 0
    )
    res = lockstep("update", t, '{"input": "x"}', "--as-node", "no_such_node")
    assert res.code == INVALID_ARGUMENT
    assert res.err.startswith("lockstep: INVALID_ARGUMENT: ") and "no_such_node" in res.err


@pytest.mark.parametrize(
    "args",
    [
        ("history", "t", "--limit", "0"),
        ("history", "t", "--limit", "many"),
        ("threads", "--status", "sleeping"),
        ("run", "dynamic_breakpoints", "--stream-mode", "everything"),
        ("graphs", "--mermaid"),
        ("graphs", "dynamic_breakpoints", "--mermaid", "--json"),
        ("state",),
    ],
)
def test_usage_mistakes_are_invalid_argument(lockstep, args):
    res = lockstep(*args)
    assert res.code == INVALID_ARGUMENT, res
    assert res.out == ""
    assert "Traceback" not in res.err and res.err.strip()


def test_help_names_every_subcommand_and_serve_keeps_its_flags():
    top = subprocess.run(
        [sys.executable, "-m", "lockstep", "--help"], capture_output=True, text=True, timeout=60
    )
    assert top.returncode == 0
    for name in (
        "serve",
        "graphs",
        "run",
        "resume",
        "state",
        "update",
        "history",
        "threads",
        "cancel",
    ):
        assert name in top.stdout
    serve = subprocess.run(
        [sys.executable, "-m", "lockstep", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert serve.returncode == 0
    for flag in ("--address", "--graph", "--store", "--grace"):
        assert flag in serve.stdout
    assert "--json" not in serve.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "lockstep", "serve", "--no-such-flag"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2  # argparse's code, as before the client subcommands existed
