"""The committed stubs under client/api/lockstep_api (v1/, ...) match protos/ exactly.

Regenerates them with scripts/genproto.py into a temporary directory and compares
byte for byte, so a .proto edit without `make proto` (or a hand edit of generated
code) fails here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_ROOT = ROOT / "client" / "api"
COMMITTED = API_ROOT / "lockstep_api"
STALE = "stubs are stale: run make proto"


def _load_genproto():
    spec = importlib.util.spec_from_file_location("genproto", ROOT / "scripts" / "genproto.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(root: Path, genproto) -> dict[str, bytes]:
    """The generated files under root: those of its version packages (not convert.py & co)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for d in genproto.generated_dirs(root)
        for p in sorted(d.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_stubs_match_protos(tmp_path):
    pytest.importorskip("grpc_tools")
    genproto = _load_genproto()
    genproto.generate(tmp_path)
    fresh, committed = _tree(tmp_path, genproto), _tree(COMMITTED, genproto)
    assert fresh, "genproto wrote no stubs"
    missing = sorted(fresh.keys() - committed.keys())
    extra = sorted(committed.keys() - fresh.keys())
    differ = sorted(k for k in fresh.keys() & committed.keys() if fresh[k] != committed[k])
    problems = [
        *(f"missing: {k}" for k in missing),
        *(f"not generated from protos/: {k}" for k in extra),
        *(f"differs: {k}" for k in differ),
    ]
    assert not problems, f"{STALE}\n  " + "\n  ".join(problems)


def test_stubs_import_without_the_server_package():
    sys.path.insert(0, str(API_ROOT))
    try:
        from lockstep_api.v1 import (  # noqa: F401
            graphs_service_pb2_grpc,
            runs_service_pb2,
            runs_service_pb2_grpc,
            threads_service_pb2_grpc,
        )
    finally:
        sys.path.remove(str(API_ROOT))
    names = {
        s.full_name
        for m in (runs_service_pb2,)
        for s in m.DESCRIPTOR.pool.FindFileByName(
            "lockstep/v1/runs_service.proto"
        ).services_by_name.values()
    }
    assert names == {"lockstep.v1.Runs"}


def test_run_requests_share_their_fields():
    """StreamRun, WaitRun and CreateRun take the same fields with the same numbers."""
    sys.path.insert(0, str(API_ROOT))
    try:
        from lockstep_api.v1 import runs_service_pb2 as rs
    finally:
        sys.path.remove(str(API_ROOT))

    def shape(msg):
        return [
            (
                f.name,
                f.number,
                f.type,
                f.message_type and f.message_type.full_name,
                f.enum_type and f.enum_type.full_name,
                f.has_presence,
                f.is_repeated,
            )
            for f in msg.DESCRIPTOR.fields
        ]

    stream = shape(rs.StreamRunRequest)
    assert shape(rs.WaitRunRequest) == stream
    assert shape(rs.CreateRunRequest) == stream
    presence = {f.name: f.has_presence for f in rs.StreamRunRequest.DESCRIPTOR.fields}
    # Absent input / command / checkpoint_id must be distinguishable from empty ones.
    assert presence["input"] and presence["command"] and presence["checkpoint_id"]
