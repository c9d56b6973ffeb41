"""clients/ts: a TypeScript client whose stubs are generated from protos/ (ts-proto through
buf, scripts/genproto_ts.py), checked in under clients/ts/src/gen/.

The committed stubs must be what protos/ generates today; the client type-checks under
`tsc --strict`; and its program (src/seed.ts, compiled by tsc and run by node's test
runner) goes through the seed scenario, a subgraph interrupt and resume (the `nested`
example) and calls with and without a bearer token, against a real server run with
--auth-tokens.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest
from node_tools import NPM_TIMEOUT, ROOT, ensure_node_modules, show, tool
from server_process import ServerProcess

TS_CLIENT = ROOT / "clients" / "ts"
TSC = TS_CLIENT / "node_modules" / "typescript" / "bin" / "tsc"
STALE = "clients/ts/src/gen is stale: run make ts-proto"
TOKEN = "ts-client-token"
STEP_TIMEOUT = 180

pytestmark = pytest.mark.timeout(NPM_TIMEOUT + 2 * STEP_TIMEOUT + 60)


def _load_genproto_ts():
    spec = importlib.util.spec_from_file_location(
        "genproto_ts", ROOT / "scripts" / "genproto_ts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args),
        cwd=TS_CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )


def _tsc(*args: str) -> subprocess.CompletedProcess:
    return _run(tool("node"), str(TSC), "-p", ".", *args)


def test_generated_stubs_match_protos(tmp_path):
    ensure_node_modules(TS_CLIENT)
    genproto_ts = _load_genproto_ts()
    genproto_ts.generate(tmp_path)
    fresh = genproto_ts.generated_files(tmp_path)
    committed = genproto_ts.generated_files(genproto_ts.DEFAULT_OUT)
    # Every .proto has its module (and the well-known types they import theirs).
    protos = {
        p.relative_to(ROOT / "protos").with_suffix(".ts").as_posix()
        for p in (ROOT / "protos").rglob("*.proto")
    }
    assert protos <= fresh.keys(), sorted(protos - fresh.keys())
    problems = [
        *(f"missing: {k}" for k in sorted(fresh.keys() - committed.keys())),
        *(f"not generated from protos/: {k}" for k in sorted(committed.keys() - fresh.keys())),
        *(
            f"differs: {k}"
            for k in sorted(fresh.keys() & committed.keys())
            if fresh[k] != committed[k]
        ),
    ]
    assert not problems, f"{STALE}\n  " + "\n  ".join(problems)


def test_the_client_type_checks_strictly():
    ensure_node_modules(TS_CLIENT)
    done = _tsc("--noEmit", "--strict")
    assert done.returncode == 0, f"tsc --noEmit --strict failed:\n{show(done)}"


@pytest.fixture
def token_server(tmp_path) -> ServerProcess:
    """The default graphs on a memory store; every call needs `Bearer ts-client-token`."""
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{TOKEN} ts-tenant\n")
    proc = ServerProcess(
        tmp_path, store="memory://", graphs=(), extra_args=("--auth-tokens", str(tokens))
    ).start()
    yield proc
    proc.stop()


def _counts(tap: str) -> dict[str, int]:
    """node --test's closing counts: {"tests": 4, "pass": 4, "fail": 0, ...}."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^# (\w+) (\d+)$", tap, re.MULTILINE)}


def test_the_program_runs_against_a_server_with_a_token(token_server):
    ensure_node_modules(TS_CLIENT)
    # Type errors are the test above's to report; here tsc only compiles to dist/.
    built = _tsc("--noCheck")
    assert built.returncode == 0, f"tsc failed:\n{show(built)}"
    env = {**os.environ, "LOCKSTEP_ADDRESS": token_server.address, "LOCKSTEP_TOKEN": TOKEN}
    done = _run(tool("node"), "--test", str(Path("dist") / "seed.js"), env=env)
    assert done.returncode == 0, (
        f"`node --test dist/seed.js` against {token_server.address} failed "
        f"({done.returncode}):\n{show(done)}\n--- server log ---\n{token_server.log()}"
    )
    counts = _counts(done.stdout)
    # Every test of the program ran and passed: none skipped, cancelled or left to do.
    assert counts.get("tests", 0) >= 6 and counts["pass"] == counts["tests"], show(done)
    passed = re.findall(r"^ok \d+ - (.*)$", done.stdout, re.MULTILINE)
    for part in ("seed:", "subgraph:", "a bearer token"):
        assert any(name.startswith(part) for name in passed), (part, passed)
    assert not any(counts[k] for k in ("fail", "skipped", "cancelled", "todo")), show(done)
