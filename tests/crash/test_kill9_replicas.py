"""kill -9 one of three replicas at random moments; the others finish its runs.

Three `lockstep serve --replica` processes share one SQLite file, with a short
lease. Each cycle starts runs of the `crashy` graphs (see graphs/crashy.py) on
new threads, all on one replica picked by the seed, has each followed (JoinRun)
from another replica, SIGKILLs the replica that runs them after a random delay,
and starts it again. Right after each kill, before the lease lapses, what each
thread has saved is noted. At the end:

- every run ended exactly once, as a success (taken over and finished from its
  thread's last checkpoint), and a follower on a surviving replica saw it end;
- every history step equals the state an uninterrupted run has at that step,
  and every values event a client saw has its checkpoint;
- a node whose writes were saved when a replica died never ran again;
- no thread is left busy, and no replica still holds a thread.

LOCKSTEP_CRASH_SEED=N repeats the schedule; LOCKSTEP_CRASH_KILLS=N sets the
number of kills (default 20).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from server_process import ServerProcess
from test_kill9 import GRAPHS, NODES, SPECS, canon, counts, expected_steps, strip
from wire import TIMEOUT

from lockstep.stores.sqlite import SqliteBackend
from lockstep_api import convert
from lockstep_api.v1 import enums_pb2 as RS
from lockstep_api.v1 import runs_service_pb2, threads_service_pb2

pytestmark = pytest.mark.timeout(300)

LEASE = 1.0  # seconds: a dead replica's runs are taken over soon after
NAP = 0.05
AT_ONCE = 3  # runs started on the victim in each cycle
KILL_WITHIN = 0.5  # seconds after the runs start


@dataclass
class Watched:
    """One thread, its one run, and what the follower on another replica saw."""

    thread_id: str
    graph: str
    run_id: str = ""
    values: list[dict] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    error: BaseException | None = None
    saved: dict[str, int] = field(default_factory=dict)  # node -> its runs, when noted


def follow(server: ServerProcess, watched: Watched) -> None:
    try:
        req = runs_service_pb2.JoinRunRequest(run_id=watched.run_id)
        for response in server.runs.JoinRun(req, timeout=120):
            event = response.event
            if event.HasField("values"):
                watched.values.append(convert.from_struct(event.values))
            elif event.HasField("end"):
                watched.ends.append(event.end.status)
    except BaseException as exc:  # the follower's replica was killed meanwhile
        watched.error = exc


def history(server: ServerProcess, thread_id: str) -> list:
    req = threads_service_pb2.GetStateHistoryRequest(thread_id=thread_id, page_size=100)
    return list(server.threads.GetStateHistory(req, timeout=TIMEOUT).states)


def note_saved(server: ServerProcess, watched: Watched, log: Path) -> None:
    """What the thread has saved now (its history first, then the node counts, so
    every node saved is counted)."""
    try:
        states = history(server, watched.thread_id)
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.NOT_FOUND, err
        return
    saved = {n for snap in states[1:] for n in snap.next if n != "__start__"}
    if states:
        saved |= {task.name for task in states[0].tasks if task.HasField("result")}
    ran = counts(log)
    watched.saved = {node: ran[(watched.thread_id, node)] for node in saved}


def test_kill_9_replicas_at_random_moments(tmp_path):
    seed = int(os.environ.get("LOCKSTEP_CRASH_SEED") or random.randrange(2**32))
    kills = int(os.environ.get("LOCKSTEP_CRASH_KILLS") or 20)
    print(f"LOCKSTEP_CRASH_SEED={seed} LOCKSTEP_CRASH_KILLS={kills}")
    rng = random.Random(seed)
    log = tmp_path / "counts.log"
    db = tmp_path / "crash.db"
    expected = expected_steps()
    final_step = max(expected)

    def replica(i: int) -> ServerProcess:
        return ServerProcess(
            tmp_path,
            store=f"sqlite:///{db}",
            graphs=SPECS,
            name=f"replica{i}",
            extra_args=("--replica", "--lease-seconds", str(LEASE)),
        )

    replicas = [replica(i) for i in range(3)]
    watched: list[Watched] = []
    followers: list[threading.Thread] = []
    try:
        for server in replicas:
            server.start()
        for _cycle in range(kills):
            victim = rng.randrange(3)
            batch = []
            for _ in range(AT_ONCE):
                w = Watched(f"t{len(watched)}", rng.choice(GRAPHS))
                watched.append(w)
                batch.append(w)
                req = runs_service_pb2.CreateRunRequest(
                    thread_id=w.thread_id,
                    graph_id=w.graph,
                    input=convert.to_struct({"tag": w.thread_id, "log": str(log), "nap": NAP}),
                    stream_modes=[RS.STREAM_MODE_VALUES],
                )
                w.run_id = replicas[victim].runs.CreateRun(req, timeout=TIMEOUT).run.run_id
                other = replicas[rng.choice([i for i in range(3) if i != victim])]
                follower = threading.Thread(target=follow, args=(other, w), daemon=True)
                follower.start()
                followers.append(follower)
            time.sleep(rng.uniform(0.0, KILL_WITHIN))
            replicas[victim].proc.kill()
            replicas[victim].proc.wait(10)
            replicas[victim].close_channel()
            survivor = replicas[(victim + 1) % 3]
            for w in batch:
                note_saved(survivor, w, log)
            replicas[victim] = replica(victim).start()
        for follower in followers:
            follower.join(120)
            assert not follower.is_alive()
        reader = replicas[0]
        # Followers cut off by a later kill join again, on a live replica, to the end.
        for w in watched:
            if w.error is not None:
                w.values.clear()
                w.ends.clear()
                w.error = None
                follow(reader, w)
                assert w.error is None, f"[seed {seed}] {w.thread_id}: {w.error!r}"
        ran = counts(log)
        for w in watched:
            why = f"[LOCKSTEP_CRASH_SEED={seed}] thread {w.thread_id} ({w.graph})"
            assert w.ends == [RS.RUN_STATUS_SUCCESS], f"{why}: ends seen {w.ends}"
            listed = reader.runs.ListRuns(
                runs_service_pb2.ListRunsRequest(thread_id=w.thread_id), timeout=TIMEOUT
            ).runs
            assert [(r.run_id, r.status) for r in listed] == [(w.run_id, RS.RUN_STATUS_SUCCESS)]
            for server in replicas:
                thread = server.threads.GetThread(
                    threads_service_pb2.GetThreadRequest(thread_id=w.thread_id), timeout=TIMEOUT
                ).thread
                assert thread.status == RS.THREAD_STATUS_IDLE, f"{why}: left {thread.status}"
            states = history(reader, w.thread_id)
            assert states[0].metadata.step == final_step and not states[0].next, why
            for newer, older in zip(states, states[1:], strict=False):
                assert newer.parent_checkpoint.checkpoint_id == older.checkpoint.checkpoint_id
                assert newer.metadata.step == older.metadata.step + 1, f"{why}: steps skip"
            stored = set()
            for snap in states:
                values = convert.from_struct(snap.values)
                want = expected[snap.metadata.step]
                assert strip(values) == want, f"{why}: step {snap.metadata.step} is {values}"
                stored.add(canon(values))
            for values in w.values:
                assert canon(values) in stored, f"{why}: values event {values} has no checkpoint"
            for node, before in w.saved.items():
                assert ran[(w.thread_id, node)] == before, f"{why}: {node} ran again"
            for node in NODES:
                assert ran[(w.thread_id, node)] >= 1, f"{why}: {node} never ran"
        backend = SqliteBackend(db)
        try:
            with backend.db.lock:
                held = backend.db.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
        finally:
            backend.close()
        assert held == 0, "a replica still holds a thread"
        taken = sum(server.log().count("taken over from a server") for server in replicas)
        again = sum(n - 1 for n in Counter(ran).values())
        print(
            f"{kills} kills, {len(watched)} runs, {taken} taken over, "
            f"{sum(ran.values())} node runs ({again} re-runs of work not saved)"
        )
        assert taken >= kills // 2, "most kills should leave runs to take over"
    finally:
        for server in replicas:
            server.stop()
