"""How fast the inspector opens a thread with 1,000 checkpoints (target: under a second).

Starts `lockstep serve` (SQLite store) and `lockstep inspect` as their own processes,
fills one thread of the seed graph with 1,000 checkpoints through the SDK (runs of
"hello", topped up with state updates), then measures:

- api: what the page asks for to open /threads/ID, one after the other as a slow
  client would (the page, the thread's view, the first page of its history, its runs);
- browser: headless Chromium (the system's, through Playwright) from navigation to
  the drawn graph and the history on screen, when Chromium is installed;
- and, for scale, the whole history in one request (what paging avoids).

Each figure is the median (and max) of several openings after a warm-up.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from processes import SERVING, started

from lockstep_client import Client

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "server" / "lockstep" / "examples" / "dynamic_breakpoints.py"
CHECKPOINTS = 1000
REPEATS = 15
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fill(address: str, thread_id: str) -> int:
    """Runs of "hello" on one thread, then state updates, to exactly CHECKPOINTS checkpoints."""

    def count() -> int:
        return len(client.threads.get_history(thread_id, limit=CHECKPOINTS + 1))

    def seed_run() -> None:
        client.runs.wait(thread_id, "dynamic_breakpoints", input={"input": "hello"})

    with Client(address) as client:
        seed_run()
        first = count()
        seed_run()
        per_run = count() - first
        for _ in range((CHECKPOINTS - first - per_run) // per_run):
            seed_run()
        for n in range(CHECKPOINTS - count()):
            client.threads.update_state(thread_id, {"input": f"edit {n}"})
        return count()


def get(url: str) -> bytes:
    with _OPENER.open(url, timeout=30) as resp:
        return resp.read()


def timed(fn, repeats: int = REPEATS) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start_t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start_t)
    return statistics.median(times), max(times)


def browser_open(url: str) -> tuple[float, float] | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()

        def open_thread() -> None:
            page.goto("about:blank")
            page.goto(url)
            page.wait_for_selector("#history > li")
            page.wait_for_selector(".diagram svg")

        result = timed(open_thread, 10)
        browser.close()
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        work = Path(tmp)
        address = servers.enter_context(started(
            ["-m", "lockstep", "serve", "--address", "127.0.0.1:0",
             "--store", f"sqlite:///{work / 'db'}", "--graph", f"dynamic_breakpoints={SEED}:graph"],
            SERVING, work / "server.log",
        )).group(1)  # fmt: skip
        base = servers.enter_context(started(
            ["-m", "lockstep", "inspect", "--address", "127.0.0.1:0", "--target", address],
            r"lockstep inspector on (http://\S+/)", work / "inspector.log",
        )).group(1)  # fmt: skip
        began = time.perf_counter()
        count = fill(address, "big")
        print(f"thread 'big': {count} checkpoints (made in {time.perf_counter() - began:.1f}s)")

        def api_open() -> None:
            for path in ("threads/big", "api/threads/big", "api/threads/big/history",
                         "api/threads/big/runs"):  # fmt: skip
                get(base + path)

        med, worst = timed(api_open)
        print(f"api: page + view + first history page + runs: median {med * 1e3:.0f} ms, "
              f"max {worst * 1e3:.0f} ms")  # fmt: skip
        med, worst = timed(lambda: get(base + "api/threads/big/history?limit=500"), 5)
        print(f"for scale: 500 checkpoints of history in one request: median "
              f"{med * 1e3:.0f} ms, max {worst * 1e3:.0f} ms")  # fmt: skip
        shown = browser_open(base + "threads/big")
        if shown is None:
            print("browser: skipped (no chromium on PATH)")
        else:
            print(f"browser: navigation to graph and history drawn: median "
                  f"{shown[0] * 1e3:.0f} ms, max {shown[1] * 1e3:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
