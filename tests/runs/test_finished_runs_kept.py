"""The server keeps the newest finished runs' events in memory for JoinRun (1,000 by
default) and forgets older ones, which then answer from the store."""

from __future__ import annotations

import asyncio
import sqlite3

from lockstep import registry
from lockstep.runs.hosting import Hosting
from lockstep.runs.manager import RunManager
from lockstep.runs.model import EndEvent, MetadataEvent, RunRequest, RunStatus
from lockstep.stores import open_store

EXAMPLE = registry.EXAMPLES / "dynamic_breakpoints.py"


def test_only_the_newest_finished_runs_stay_in_memory(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lockstep.db'}")
    graphs = registry.load([f"seed={EXAMPLE}:graph"], store.saver)
    manager = RunManager(Hosting(graphs, store), keep_finished=3)

    async def main() -> list[str]:
        ids = []
        for i in range(7):
            run = await manager.start(
                RunRequest(thread_id=f"t{i}", graph_id="seed", input={"input": "hi"})
            )
            async for _ in run.follow():
                pass
            ids.append(run.run_id)
        return ids

    ids = asyncio.run(main())
    assert list(manager.runs) == ids[-3:]
    # A forgotten run still answers, from the store: its outcome, not its events.
    old = manager.get(ids[0])
    assert old.status == RunStatus.SUCCESS and old.done
    assert [type(e) for e in old.events] == [MetadataEvent, EndEvent]
    store.flush()


def test_a_run_is_on_disk_before_a_client_hears_of_it(tmp_path):
    """A resume from a breakpoint first shows the state it starts from, which needs no
    new checkpoint, so nothing else makes the run's record durable before its
    metadata goes out: a restart then would not know a run the client was told of."""
    path = tmp_path / "lockstep.db"
    store = open_store(f"sqlite:///{path}")
    graphs = registry.load([f"seed={EXAMPLE}:graph"], store.saver)
    manager = RunManager(Hosting(graphs, store))

    def on_disk(run_id: str) -> bool:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None

    async def run(thread: str, payload: dict | None) -> tuple[bool, RunStatus]:
        req = RunRequest(
            thread_id=thread, graph_id="seed", input=payload, interrupt_before=["step_2", "step_3"]
        )
        started = await manager.start(req)
        told = None
        async for event in started.follow():
            if isinstance(event, MetadataEvent):
                told = on_disk(event.run_id)
        return told, started.status

    async def main() -> None:
        for i in range(5):
            thread = f"t{i}"
            assert await run(thread, {"input": "hi"}) == (True, RunStatus.INTERRUPTED)
            told, status = await run(thread, None)  # from step_2's breakpoint to step_3's
            assert status == RunStatus.INTERRUPTED
            assert told, "the client heard of a run the store did not have yet"

    asyncio.run(main())
    store.flush()
