"""Generate the TypeScript stubs of the Lockstep contract for clients/ts.

Runs ``buf generate`` on ``protos/`` with ts-proto (the plugin from clients/ts's
node_modules, pinned in its package-lock.json; options in ``clients/ts/buf.gen.yaml``)
into ``clients/ts/src/gen/``: one ``.ts`` module per ``.proto``, with message codecs and
grpc-js client classes (``RunsClient``, ...). buf is the one the Python dev extra
installs (``buf-bin``), the same that lints the contract.

The output depends only on protos/, the template and ts-proto's version, so
``tests/polyglot/test_ts_client.py`` regenerates into a temporary directory and compares
byte for byte with the committed files.

Usage: python scripts/genproto_ts.py [--out DIR]   (default: clients/ts/src/gen;
needs ``npm ci`` in clients/ts first)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TS_CLIENT = ROOT / "clients" / "ts"
TEMPLATE = TS_CLIENT / "buf.gen.yaml"
# The template's plugin `out`, relative to the output root buf is given.
TEMPLATE_OUT = Path("src") / "gen"
DEFAULT_OUT = TS_CLIENT / TEMPLATE_OUT
PLUGIN = TS_CLIENT / "node_modules" / ".bin" / "protoc-gen-ts_proto"


def buf_path() -> Path:
    """The buf beside this Python (the venv's buf-bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "buf"
    if beside.exists():
        return beside
    found = shutil.which("buf")
    if found is None:
        raise SystemExit("buf not found: install the dev extra (make setup)")
    return Path(found)


def generated_files(out_dir: Path) -> dict[str, bytes]:
    """The .ts files under out_dir by relative POSIX path."""
    return {
        p.relative_to(out_dir).as_posix(): p.read_bytes()
        for p in sorted(Path(out_dir).rglob("*.ts"))
        if p.is_file()
    }


def _buf_generate(root: Path) -> Path:
    """Run buf generate with the template, writing under root; returns the gen directory."""
    if not PLUGIN.exists():
        raise SystemExit(f"{PLUGIN} is missing: run `npm ci` in {TS_CLIENT} first")
    done = subprocess.run(
        [str(buf_path()), "generate", str(ROOT), "--template", str(TEMPLATE), "-o", str(root)],
        cwd=TS_CLIENT,  # the template names the plugin relative to clients/ts
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"buf generate failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return root / TEMPLATE_OUT


def generate(out_dir: Path) -> list[str]:
    """Generate into out_dir, replacing the .ts files there (stale ones are removed).

    Returns the files written, relative to out_dir, sorted."""
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="genproto-ts-") as tmp:
        fresh = generated_files(_buf_generate(Path(tmp)))
    if not fresh:
        raise SystemExit("buf generate wrote no TypeScript")
    for rel in generated_files(out_dir) if out_dir.exists() else {}:
        if rel not in fresh:
            (out_dir / rel).unlink()
    if out_dir.exists():
        for path in sorted(out_dir.rglob("*"), reverse=True):
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for rel, data in fresh.items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return sorted(fresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    written = generate(args.out)
    print(f"generated {len(written)} files into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
