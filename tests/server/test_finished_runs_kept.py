"""The server keeps the newest finished runs' events in memory for JoinRun (1,000 by
default) and forgets older ones, which then answer from the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lockstep import registry
from lockstep.service.hosting import Hosting
from lockstep.service.runs import RunManager
from lockstep.store.open import open_store
from lockstep_client import convert
from lockstep_client.api.lockstep.v1 import enums_pb2, runs_service_pb2

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dynamic_breakpoints.py"


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
