"""Generate the Python stubs of the Lockstep contract.

Compiles every ``protos/**/*.proto`` with grpcio-tools into the wire package
``lockstep_api`` (``client/api/lockstep_api/``: ``*_pb2.py``, ``*_pb2.pyi``,
``*_pb2_grpc.py``), the proto package ``lockstep`` becoming the Python package
``lockstep_api``: ``protos/lockstep/v1/runs_service.proto`` becomes
``lockstep_api.v1.runs_service_pb2``.

protoc writes imports such as ``from lockstep.v1 import message_pb2``, which would
resolve to the server package ``lockstep``; they are rewritten to
``from lockstep_api.v1 import message_pb2``.

Only the version packages (``v1/``, ...) are generated; the hand-written modules of
``lockstep_api`` beside them (its ``__init__.py``, ``convert.py``) are left alone.

The output is deterministic (sorted inputs, fixed ``__init__.py`` text), so
``tests/contract/test_stubs_fresh.py`` regenerates into a temporary directory and
compares byte for byte with the committed files.

Usage: python scripts/genproto.py [--out DIR]   (default: client/api/lockstep_api)
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
DEFAULT_OUT = ROOT / "client" / "api" / "lockstep_api"
# The Python package the output directory is importable as; it stands for the proto package
# PROTO_TOP_PACKAGE, whose directory protoc writes and which is dropped from the output paths.
API_PACKAGE = "lockstep_api"
PROTO_TOP_PACKAGE = "lockstep"

INIT_TEXT = '"""Generated from protos/ by scripts/genproto.py (make proto). Do not edit."""\n'
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")

_IMPORT_RE = re.compile(
    r"^(\s*)(from|import) " + re.escape(PROTO_TOP_PACKAGE) + r"(\.|\s)", re.MULTILINE
)


_HAS_SERVICE_RE = re.compile(r"^class \w+Stub\b", re.MULTILINE)


def proto_files() -> list[Path]:
    """The .proto files to compile, relative to PROTO_ROOT, sorted."""
    return sorted(p.relative_to(PROTO_ROOT) for p in PROTO_ROOT.rglob("*.proto"))


# The module name protoc bakes into each *_pb2.py (it becomes the classes' __module__).
_MODULE_NAME_RE = re.compile(
    r"(BuildTopDescriptorsAndMessages\(DESCRIPTOR, ')" + re.escape(PROTO_TOP_PACKAGE) + r"\."
)


def _rewrite_imports(text: str) -> str:
    text = _IMPORT_RE.sub(lambda m: f"{m[1]}{m[2]} {API_PACKAGE}{m[3]}", text)
    return _MODULE_NAME_RE.sub(lambda m: f"{m[1]}{API_PACKAGE}.", text)


def generated_dirs(out_dir: Path) -> list[Path]:
    """The version packages under out_dir that hold generated stubs (``v1/``, ...)."""
    return sorted(
        path
        for path in Path(out_dir).iterdir()
        if path.is_dir() and any(path.rglob("*_pb2.py"))
    )


def _protoc(out_dir: Path, files: list[Path]) -> None:
    from grpc_tools import protoc

    wkt_include = str(resources.files("grpc_tools") / "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{wkt_include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(f) for f in files),
    ]
    rc = protoc.main(args)
    if rc != 0:
        raise SystemExit(f"protoc failed with exit code {rc}")


def generate(out_dir: Path) -> list[Path]:
    """Generate the stubs into out_dir, replacing any generated files there.

    Returns the files written, relative to out_dir, sorted.
    """
    files = proto_files()
    if not files:
        raise SystemExit(f"no .proto files under {PROTO_ROOT}")
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="genproto-") as tmp:
        tmp_dir = Path(tmp)
        _protoc(tmp_dir, files)
        written: dict[Path, bytes] = {}
        top = tmp_dir / PROTO_TOP_PACKAGE
        for path in sorted(top.rglob("*")):
            if path.is_file():
                rel = path.relative_to(top)
                # protoc writes a *_pb2_grpc.py for every file; keep only those with a service.
                if path.name.endswith("_pb2_grpc.py") and not _HAS_SERVICE_RE.search(
                    path.read_text(encoding="utf-8")
                ):
                    continue
                written[rel] = _rewrite_imports(path.read_text(encoding="utf-8")).encode()
        if any(len(rel.parts) < 2 for rel in written):
            raise SystemExit(f"every .proto must be in a package under {PROTO_TOP_PACKAGE}/")
        # Every directory below out_dir down to each generated file is a package; out_dir's
        # own __init__.py is hand-written.
        packages = set()
        for rel in written:
            packages.update(parent for parent in rel.parents if parent != Path("."))
        for pkg in packages:
            written[pkg / "__init__.py"] = INIT_TEXT.encode()

    # Remove stale generated files (e.g. of a deleted .proto), then write.
    if out_dir.exists():
        for gen_dir in generated_dirs(out_dir):
            for path in sorted(gen_dir.rglob("*")):
                if path.is_file() and (
                    path.name.endswith(GENERATED_SUFFIXES) or path.name == "__init__.py"
                ):
                    if path.relative_to(out_dir) not in written:
                        path.unlink()
            for path in sorted(gen_dir.rglob("__pycache__"), reverse=True):
                shutil.rmtree(path, ignore_errors=True)
            for path in sorted([gen_dir, *gen_dir.rglob("*")], reverse=True):
                if path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
    for rel, data in sorted(written.items()):
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    written = generate(args.out)
    print(f"generated {len(written)} files into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
