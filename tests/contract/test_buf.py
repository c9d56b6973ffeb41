"""buf guards the contract in `make test` as in `make lint`: protos/ passes `buf lint`
(buf.yaml's rules) and `buf breaking` against the released contract,
protos/released.binpb (see the Makefile's lint target for how to release a new one).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"
RELEASED = ROOT / "protos" / "released.binpb"

pytestmark = pytest.mark.timeout(120)


def buf(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if not BUF.exists():
        pytest.fail(f"buf not found at {BUF}: install buf-bin (make setup)")
    return subprocess.run([str(BUF), *args], cwd=cwd, capture_output=True, text=True, timeout=90)


def ok(done: subprocess.CompletedProcess) -> bool:
    return done.returncode == 0


def report(done: subprocess.CompletedProcess) -> str:
    return f"{' '.join(done.args)} exited {done.returncode}\n{done.stdout}{done.stderr}"


def test_buf_lint():
    done = buf("lint")
    assert ok(done), report(done)


def test_buf_breaking_against_the_released_contract():
    done = buf("breaking", "protos", "--against", str(RELEASED))
    assert ok(done), report(done)


def test_the_released_contract_is_the_lockstep_contract():
    """An empty or foreign image would make the breaking check pass vacuously."""
    done = buf("ls-files", str(RELEASED))
    assert ok(done), report(done)
    files = set(done.stdout.split())
    for name in ("graphs_service", "threads_service", "runs_service", "message", "enums"):
        assert f"lockstep/v1/{name}.proto" in files, sorted(files)


def test_renumbering_a_field_is_caught(tmp_path):
    """The check bites: the contract with UpdateStateRequest.as_node renumbered breaks."""
    shutil.copy(ROOT / "buf.yaml", tmp_path / "buf.yaml")
    shutil.copytree(ROOT / "protos", tmp_path / "protos")
    proto = tmp_path / "protos" / "lockstep" / "v1" / "threads_service.proto"
    text, count = re.subn(r"string as_node = 3;", "string as_node = 99;", proto.read_text())
    assert count == 1, "UpdateStateRequest.as_node = 3 is gone; pick another field here"
    proto.write_text(text)
    done = buf("breaking", "protos", "--against", str(RELEASED), cwd=tmp_path)
    assert done.returncode != 0, report(done)
    assert '"as_node"' in done.stdout + done.stderr, report(done)
