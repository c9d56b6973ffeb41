"""The wheels install and work outside the checkout: the server from its wheels, the SDK alone.

Builds the three wheels from a copy of the sources, installs the server's into one fresh
venv and starts its `lockstep serve` (no --graph: the examples inside the package) from a
directory of its own, then installs only lockstep-client and lockstep-api into a second
venv and runs the seed scenario there (seed_scenario.py). Dependencies come from the
package index; the local wheels are named by file, so pip never looks their names up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from server_process import EXAMPLES, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# What a build needs; the copy keeps build/ and *.egg-info out of the checkout.
SOURCES = ("pyproject.toml", "README.md", "server", "client")
DISTRIBUTIONS = {"lockstep_api": "client/api", "lockstep_client": "client", "lockstep": "."}
INSTALL_TIMEOUT = 600

pytestmark = pytest.mark.timeout(900)


def _clean_env() -> dict[str, str]:
    """This environment without what would let a venv see the checkout or the dev venv."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {k: v for k, v in os.environ.items() if k not in drop} | {"PYTHONNOUSERSITE": "1"}


def _run(args: list[str], cwd: Path, timeout: float = INSTALL_TIMEOUT) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _venv(path: Path, wheels: list[Path]) -> Path:
    """A fresh venv at path with the wheels (and their dependencies) installed; its bin/."""
    _run([sys.executable, "-m", "venv", path], cwd=path.parent)
    bin_dir = path / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "-q", *wheels], cwd=path.parent)
    return bin_dir


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    """The three wheels, built from a copy of the sources, by import name."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".lockstep")
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=ignore)
        else:
            shutil.copy2(origin, src / name)
    out = tmp_path_factory.mktemp("wheels")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            out,
            *(src / d for d in DISTRIBUTIONS.values()),
        ],
        cwd=src,
    )
    built = {}
    for name in DISTRIBUTIONS:
        (path,) = out.glob(f"{name}-*.whl")
        built[name] = path
    return built


def test_server_wheel_serves_examples_and_the_sdk_wheel_runs_the_seed_scenario(
    wheels, tmp_path, monkeypatch
):
    started = time.monotonic()
    # The server process inherits this environment: it must not see the checkout either.
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")

    server_bin = _venv(tmp_path / "server-venv", list(wheels.values()))
    where = _run(
        [server_bin / "python", "-c", "import lockstep, lockstep_api; print(lockstep.__file__)"],
        cwd=tmp_path,
    )
    assert Path(where.strip()).is_relative_to(tmp_path / "server-venv"), where

    sdk_bin = _venv(tmp_path / "sdk-venv", [wheels["lockstep_client"], wheels["lockstep_api"]])
    installed = _run([sdk_bin / "python", "-m", "pip", "list", "--format=freeze"], cwd=tmp_path)
    names = {line.split("==")[0].lower() for line in installed.splitlines()}
    assert {"lockstep-client", "lockstep-api"} <= names
    assert "lockstep" not in names, installed
    installing = time.monotonic() - started

    serve_dir = tmp_path / "serve"
    serve_dir.mkdir()
    # Started and stopped by the with, however the block ends.
    with ServerProcess(serve_dir, graphs=(), command=(str(server_bin / "lockstep"),)) as server:
        served = server.log().split("lockstep serving ", 1)[1].split(" on ", 1)[0]
        assert served.split(", ") == sorted(EXAMPLES)

        scenario_dir = tmp_path / "sdk-user"
        scenario_dir.mkdir()
        script = shutil.copy2(HERE / "seed_scenario.py", scenario_dir / "seed_scenario.py")
        mark = server.log_mark()
        out = _run([sdk_bin / "python", "-I", script, server.address, "wheels"], scenario_dir, 120)
        assert out.strip().endswith("seed scenario: ok"), out
        printed = [line for line in server.log_since(mark).splitlines() if line.startswith("---")]
        assert "---Step 3---" in printed
    print(f"wheels: built+installed in {installing:.0f}s, total {time.monotonic() - started:.0f}s")


def test_server_wheel_ships_the_inspector_page(wheels):
    """`lockstep inspect` needs no build step: its page and Mermaid (with its license) are
    package data of the server's wheel."""
    names = set(zipfile.ZipFile(wheels["lockstep"]).namelist())
    assets = ("index.html", "app.js", "app.css", "vendor/mermaid.min.js", "vendor/mermaid.LICENSE")
    assert {f"lockstep/inspector/assets/{a}" for a in assets} <= names
