"""Fixtures: a real `lockstep serve` (the examples), a real `lockstep inspect` on it, and a
headless Chromium (the system's, driven by Playwright) for the browser tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[0] / "security"))

from inspector_process import GRAPHS, InspectorProcess  # noqa: E402
from server_process import ServerProcess  # noqa: E402

SCREENSHOTS = HERE / "screenshots"


@pytest.fixture(scope="session")
def lockstep_server(tmp_path_factory) -> ServerProcess:
    proc = ServerProcess(tmp_path_factory.mktemp("inspected"), graphs=GRAPHS).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def inspector(lockstep_server, tmp_path_factory) -> InspectorProcess:
    proc = InspectorProcess(tmp_path_factory.mktemp("inspector"), lockstep_server.address)
    yield proc.start()
    proc.stop()


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("no chromium on PATH: `make setup` installs it (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API runs an event loop on this thread while it is open,
    so later tests' asyncio.run() would fail if it stayed open for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; any script error on it fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
def shot():
    """shot(page, name): a full-page screenshot in tests/inspector/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(pg, name: str) -> None:
        pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
