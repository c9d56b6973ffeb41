"""A store that cannot write thread or run records (a full disk fails them too) must
not wedge a thread: the run still ends, and the next run on the thread starts."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from lockstep import registry
from lockstep.runs.hosting import Hosting
from lockstep.runs.manager import RunManager
from lockstep.runs.model import RunRequest, RunStatus
from lockstep.stores import open_store

GRAPH_FILE = Path(__file__).resolve().parent / "graphs" / "crashy.py"


def full(*_args, **_kwargs) -> None:
    raise sqlite3.OperationalError("database or disk is full")


def test_records_that_fail_to_save_do_not_hold_the_thread(tmp_path, monkeypatch, caplog):
    store = open_store(f"sqlite:///{tmp_path / 'lockstep.db'}")
    graphs = registry.load([f"crashy={GRAPH_FILE}:graph"], store.saver)
    manager = RunManager(Hosting(graphs, store))
    inp = {"tag": "t", "log": str(tmp_path / "counts.log"), "nap": 0.0}

    async def run(payload: dict | None) -> RunStatus:
        started = await manager.start(RunRequest(thread_id="t", graph_id="crashy", input=payload))
        # The disk fills up while the run is going: no record can be written now.
        monkeypatch.setattr(store.threads, "_saved", full)
        monkeypatch.setattr(store.runs, "_saved", full)
        async for _ in started.follow():
            pass
        for _ in range(100):  # the run lets go of its thread once its worker has stopped
            if "t" not in manager.active:
                break
            await asyncio.sleep(0.01)
        monkeypatch.undo()
        return started.status

    async def main() -> None:
        assert await run(inp) == RunStatus.SUCCESS
        assert "t" not in manager.active
        assert store.threads.get("t").status == "idle"  # in memory, though not on disk
        # The thread is free: the next run starts (its records are written again).
        assert await run({**inp, "nap": 0.0}) == RunStatus.SUCCESS

    asyncio.run(main())
    assert "could not be written" in caplog.text
