"""The server keeps the newest finished runs' events in memory for JoinRun (1,000 by
default) and forgets older ones, which then answer from the store."""

from __future__ import annotations

import asyncio
import sqlite3

from lockstep import registry
from lockstep.service.hosting import Hosting
from lockstep.service.runs import RunManager
from lockstep.stores import open_store
from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2

EXAMPLE = registry.EXAMPLES / "dynamic_breakpoints.py"


def test_only_the_newest_finished_runs_stay_in_memory(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lockstep.db'}")
    graphs = registry.load([f"seed={EXAMPLE}:graph"], store.saver)
    manager = RunManager(Hosting(graphs, store), keep_finished=3)

    async def main() -> list[str]:
        ids = []
        for i in range(7):
            req = runs_service_pb2.StreamRunRequest(thread_id=f"t{i}", graph_id="seed")
            req.input.CopyFrom(convert.to_struct({"input": "hi"}))
            run = await manager.start(req)
            async for _ in run.follow():
                pass
            ids.append(run.run_id)
        return ids

    ids = asyncio.run(main())
    assert list(manager.runs) == ids[-3:]
    # A forgotten run still answers, from the store: its outcome, not its events.
    old = manager.get(ids[0])
    assert old.status == enums_pb2.RUN_STATUS_SUCCESS and old.done
    assert [e.WhichOneof("event") for e in old.events] == ["metadata", "end"]
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

    async def run(thread: str, payload: dict | None) -> tuple[bool, int]:
        req = runs_service_pb2.StreamRunRequest(
            thread_id=thread, graph_id="seed", interrupt_before=["step_2", "step_3"]
        )
        if payload is not None:
            req.input.CopyFrom(convert.to_struct(payload))
        started = await manager.start(req)
        told = None
        async for event in started.follow():
            if event.HasField("metadata"):
                told = on_disk(event.metadata.run_id)
        return told, started.status

    async def main() -> None:
        for i in range(5):
            thread = f"t{i}"
            assert await run(thread, {"input": "hi"}) == (True, enums_pb2.RUN_STATUS_INTERRUPTED)
            told, status = await run(thread, None)  # from step_2's breakpoint to step_3's
            assert status == enums_pb2.RUN_STATUS_INTERRUPTED
            assert told, "the client heard of a run the store did not have yet"

    asyncio.run(main())
    store.flush()
