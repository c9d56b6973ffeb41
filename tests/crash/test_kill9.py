"""kill -9 the server at random moments; after every restart nothing acknowledged is lost.

One store (SQLite) across many server processes. Each cycle starts a server,
checks every thread so far, starts or resumes runs of the `crashy` graphs
(a -> b1|b2|b3 -> c -> d, slow nodes; see graphs/crashy.py) on a few threads at
once, and SIGKILLs the server after a random delay; one cycle, picked by the seed,
aims its kill instead: a thread's b2 is held (graphs/crashy.py's `hold` fault) and
the kill comes once a sibling's writes are saved, so every run has a step cut short
after one of its tasks was saved. After each restart:

- a thread's state is its newest checkpoint, and every checkpoint in its history
  equals the state an uninterrupted run has at that step (never a mix of two);
- every values event a client received equals a checkpoint in the history;
- a run the kill cut short is listed ERROR (ServerStopped); one whose end the
  client saw is listed with that status; the thread is not busy;
- a node whose writes were saved (in a checkpoint, or as a finished task's
  pending write) never runs again: its count in the side file stays put.

A last server resumes every unfinished thread with no input and must finish
them all to the same final state as an uninterrupted run.

The schedule (which graph, which thread, when to kill) comes from a seed,
printed at the start; LOCKSTEP_CRASH_SEED=N repeats it, LOCKSTEP_CRASH_KILLS=N
sets the number of kills (default 20). Process timing still varies from run to
run, so a seed repeats the schedule, not the exact instant inside a step (but for
the aimed kill, whose instant is fixed by the store's state, not by the clock).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from server_process import ServerProcess
from wire import TIMEOUT, run_request

from lockstep.checkpoint import MemorySaver
from lockstep_api import convert
from lockstep_api.v1 import (
    enums_pb2,
    runs_service_pb2,
    threads_service_pb2,
)

pytestmark = pytest.mark.timeout(240)
RS = enums_pb2

HERE = Path(__file__).resolve().parent
GRAPH_FILE = HERE / "graphs" / "crashy.py"
SPECS = (f"crashy={GRAPH_FILE}:graph", f"crashy_async={GRAPH_FILE}:async_graph")
GRAPHS = ("crashy", "crashy_async")
NAP = 0.05  # a sync run takes about 6.5 naps
AT_ONCE = 3  # threads run concurrently in each cycle
KILL_WITHIN = 0.6  # seconds after the runs start
AIM_WITHIN = 30.0  # seconds the aimed kill may wait for its window
OWN_KEYS = ("tag", "log", "nap")
NODES = ("a", "b1", "b2", "b3", "c", "d")


def _load_graphs():
    spec = importlib.util.spec_from_file_location("crashy_reference", GRAPH_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its annotations are resolved in its own globals
    spec.loader.exec_module(module)
    return module


def expected_steps() -> dict[int, dict]:
    """Step -> state (without tag/log/nap) of an uninterrupted in-process run."""
    crashy = _load_graphs()
    graph = crashy.build(crashy._b).compile(checkpointer=MemorySaver())
    config = {"configurable": {"thread_id": "reference"}}
    asyncio.run(graph.ainvoke({"tag": "reference", "log": os.devnull, "nap": 0.0}, config))
    return {s.metadata["step"]: strip(s.values) for s in graph.get_state_history(config)}


def strip(values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in OWN_KEYS}


def canon(values: dict) -> str:
    return json.dumps(values, sort_keys=True)


@dataclass
class RunSeen:
    """What one client saw of one run."""

    run_id: str = ""
    values: list[dict] = field(default_factory=list)
    end: int | None = None
    error: BaseException | None = None


@dataclass
class Thread:
    thread_id: str
    graph: str
    runs: list[RunSeen] = field(default_factory=list)
    done: bool = False
    started: bool = False  # has a checkpoint: resume with no input
    saved: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)


def follow(server: ServerProcess, thread: Thread, seen: RunSeen, input: dict | None) -> None:
    try:
        req = run_request(thread.thread_id, thread.graph, input)
        for response in server.runs.StreamRun(req, timeout=TIMEOUT):
            event = response.event
            kind = event.WhichOneof("event")
            if kind == "metadata":
                seen.run_id = event.metadata.run_id
            elif kind == "values":
                seen.values.append(convert.from_struct(event.values))
            elif kind == "end":
                seen.end = event.end.status
    except BaseException as exc:  # the server died under the stream
        seen.error = exc


def counts(log: Path) -> Counter:
    if not log.exists():
        return Counter()
    return Counter(tuple(line.split()) for line in log.read_text().splitlines() if line)


class Checker:
    def __init__(self, seed: int, log: Path) -> None:
        self.seed = seed
        self.log = log
        self.expected = expected_steps()
        self.final_step = max(self.expected)
        self.stopped: set[str] = set()  # runs listed as cut short by a kill
        self.partial: set[tuple[str, str]] = set()  # heads with a step cut short mid-way

    def fail(self, thread: Thread, why: str) -> str:
        return (
            f"[LOCKSTEP_CRASH_SEED={self.seed}] thread {thread.thread_id} ({thread.graph}): {why}"
        )

    def check(self, server: ServerProcess, thread: Thread, ran: Counter) -> None:
        """Everything the module docstring promises, for one thread after a restart."""
        t = thread.thread_id
        threads = server.threads
        try:
            record = threads.GetThread(
                threads_service_pb2.GetThreadRequest(thread_id=t), timeout=TIMEOUT
            ).thread
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND, err
            # Killed before the run took the thread: nothing was acknowledged.
            assert not any(r.run_id for r in thread.runs), self.fail(
                thread, "run id seen, no thread"
            )
            return
        assert record.status != RS.THREAD_STATUS_BUSY, self.fail(thread, "left busy")
        history = list(
            threads.GetStateHistory(
                threads_service_pb2.GetStateHistoryRequest(thread_id=t, page_size=100),
                timeout=TIMEOUT,
            ).states
        )
        seen_values = [v for r in thread.runs for v in r.values]
        if not history:
            assert not seen_values, self.fail(thread, "values seen, but no checkpoint")
            thread.started = False
            return
        thread.started = True
        state = threads.GetState(
            threads_service_pb2.GetStateRequest(thread_id=t), timeout=TIMEOUT
        ).state
        head = history[0]
        assert state.checkpoint.checkpoint_id == head.checkpoint.checkpoint_id, self.fail(
            thread, "GetState is not the newest checkpoint"
        )
        exact = threads.GetState(
            threads_service_pb2.GetStateRequest(
                thread_id=t, checkpoint_id=head.checkpoint.checkpoint_id
            ),
            timeout=TIMEOUT,
        ).state
        assert convert.from_struct(exact.values) == convert.from_struct(head.values)
        # The latest view adds, as LangGraph's get_state does, the saved writes of the
        # head step's finished tasks, and nothing else.
        view = convert.from_struct(head.values)
        done = {
            task.name: convert.from_value(task.result)
            for task in head.tasks
            if task.HasField("result")
        }
        if done and head.next:
            self.partial.add((t, head.checkpoint.checkpoint_id))
        for node in NODES:
            for key, value in (done.get(node) or {}).items():
                view[key] = view.get(key, []) + value if key == "trail" else value
        assert convert.from_struct(state.values) == view, self.fail(thread, "GetState view")
        for newer, older in zip(history, history[1:], strict=False):
            assert newer.parent_checkpoint.checkpoint_id == older.checkpoint.checkpoint_id
            assert newer.metadata.step == older.metadata.step + 1, self.fail(thread, "steps skip")
        assert history[-1].metadata.step == -1
        stored = set()
        for snap in history:
            values = convert.from_struct(snap.values)
            want = self.expected[snap.metadata.step]
            assert strip(values) == want, self.fail(
                thread, f"step {snap.metadata.step} holds {strip(values)}, expected {want}"
            )
            stored.add(canon(values))
        for values in seen_values:
            assert canon(values) in stored, self.fail(
                thread, f"values event {values} has no checkpoint"
            )
        # Runs: the kill's victims did not finish; the others say what the client saw.
        listed = {
            r.run_id: r
            for r in server.runs.ListRuns(
                runs_service_pb2.ListRunsRequest(thread_id=t, page_size=1000), timeout=TIMEOUT
            ).runs
        }
        for run in listed.values():
            assert run.status not in (RS.RUN_STATUS_PENDING, RS.RUN_STATUS_RUNNING), self.fail(
                thread, f"run {run.run_id} still listed active"
            )
        for seen in thread.runs:
            if not seen.run_id:
                continue
            run = listed[seen.run_id]
            if seen.end is not None:
                assert run.status == seen.end, self.fail(thread, f"run {run.run_id} status changed")
            elif run.status == RS.RUN_STATUS_SUCCESS:
                # It ended just before the kill; only its end event was lost on the way.
                assert not head.next, self.fail(
                    thread, f"run {run.run_id} success, thread not done"
                )
            else:
                assert run.status == RS.RUN_STATUS_ERROR, self.fail(thread, f"killed run {run}")
                assert run.error.error_type == "ServerStopped", self.fail(thread, str(run))
                self.stopped.add(run.run_id)
        # Saved nodes: those that ran in a stored step, and finished tasks of the head's step.
        saved = {n for snap in history[1:] for n in snap.next if n != "__start__"}
        saved |= {task.name for task in head.tasks if task.HasField("result")}
        mine = Counter({node: n for (tag, node), n in ran.items() if tag == t})
        for node in thread.saved:
            assert mine[node] == thread.counts[node], self.fail(
                thread, f"{node} ran again after its writes were saved ({dict(mine)})"
            )
        for node in saved:
            assert mine[node] >= 1, self.fail(thread, f"{node} saved but never ran")
        assert thread.saved <= saved, self.fail(thread, "saved writes were lost")
        thread.saved, thread.counts = saved, mine
        thread.done = not head.next and head.metadata.step == self.final_step


def run_cycle(server, todo: list[Thread], log: Path, kill_when: Callable[[], None] | None) -> None:
    """Start (or resume, with no input) a run on each thread; kill -9 the server once
    `kill_when()` returns, or let the runs finish when it is None."""
    workers = []
    for thread in todo:
        seen = RunSeen()
        thread.runs.append(seen)
        inp = None if thread.started else {"tag": thread.thread_id, "log": str(log), "nap": NAP}
        worker = threading.Thread(target=follow, args=(server, thread, seen, inp), daemon=True)
        worker.start()
        workers.append(worker)
    if kill_when is not None:
        try:
            kill_when()
        finally:
            server.proc.kill()
            server.proc.wait(10)
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive()
    server.close_channel()


def after(delay: float) -> Callable[[], None]:
    return lambda: time.sleep(delay)


def once_a_sibling_is_saved(server: ServerProcess, thread: Thread) -> Callable[[], None]:
    """Wait until the thread's newest checkpoint has a pending step with a finished
    task's writes saved (its held b2 keeps the step from ending): the kill's window."""

    def wait() -> None:
        deadline = time.monotonic() + AIM_WITHIN
        req = threads_service_pb2.GetStateRequest(thread_id=thread.thread_id)
        while time.monotonic() < deadline:
            try:
                state = server.threads.GetState(req, timeout=TIMEOUT).state
            except grpc.RpcError as err:  # the run has not created the thread yet
                assert err.code() == grpc.StatusCode.NOT_FOUND, err
            else:
                if state.next and any(task.HasField("result") for task in state.tasks):
                    return
            time.sleep(0.01)
        raise AssertionError(f"{thread.thread_id}: no task of a held step saved in {AIM_WITHIN}s")

    return wait


def test_kill_9_at_random_moments(tmp_path):
    seed = int(os.environ.get("LOCKSTEP_CRASH_SEED") or random.randrange(2**32))
    kills = int(os.environ.get("LOCKSTEP_CRASH_KILLS") or 20)
    print(f"LOCKSTEP_CRASH_SEED={seed} LOCKSTEP_CRASH_KILLS={kills}")
    rng = random.Random(seed)
    log = tmp_path / "counts.log"
    faults = tmp_path / "faults"
    checker = Checker(seed, log)
    store = f"sqlite:///{tmp_path / 'crash.db'}"
    threads: list[Thread] = []
    aimed = rng.randrange(kills)  # this cycle's kill waits for its window
    aimed_at: Thread | None = None

    def make_thread(graph: str | None = None) -> Thread:
        thread = Thread(f"t{len(threads)}", graph or rng.choice(GRAPHS))
        threads.append(thread)
        return thread

    def server() -> ServerProcess:
        env = {"LOCKSTEP_TEST_FAULTS": str(faults)}
        return ServerProcess(tmp_path, store=store, graphs=SPECS, name="server", env=env)

    def check_all(server: ServerProcess) -> None:
        ran = counts(log)  # the dead process's nodes are all in by now
        for thread in threads:
            checker.check(server, thread, ran)

    for cycle in range(kills):
        with server() as proc:
            check_all(proc)
            todo = [t for t in threads if not t.done][: AT_ONCE - (cycle == aimed)]
            while len(todo) < AT_ONCE - (cycle == aimed):
                todo.append(make_thread())
            if cycle == aimed:
                # An async graph runs b1, b2 and b3 at once: hold b2, and b1's and b3's
                # writes are saved while the step cannot end.
                target = aimed_at = make_thread("crashy_async")
                todo.append(target)
                faults.write_text(f"{target.thread_id} b2 hold\n")
                kill_when = once_a_sibling_is_saved(proc, target)
            else:
                kill_when = after(rng.uniform(0.0, KILL_WITHIN))
            try:
                run_cycle(proc, todo, log, kill_when)
            finally:
                faults.unlink(missing_ok=True)
    # The last server is not killed: every unfinished thread resumes to the end.
    with server() as proc:
        check_all(proc)
        unfinished = [t for t in threads if not t.done]
        run_cycle(proc, unfinished, log, kill_when=None)
        for thread in unfinished:
            last = thread.runs[-1]
            assert last.error is None, checker.fail(thread, repr(last.error))
            assert last.end == RS.RUN_STATUS_SUCCESS, checker.fail(thread, "resume did not finish")
        ran = counts(log)
        check_all(proc)
    assert all(t.done for t in threads), [t.thread_id for t in threads if not t.done]
    for thread in threads:
        for node in NODES:
            assert ran[(thread.thread_id, node)] >= 1, checker.fail(thread, f"{node} never ran")
    assert len(checker.stopped) >= kills // 2, "most kills should cut a run short"
    assert checker.partial, "no kill cut a step short after one of its tasks was saved"
    assert aimed_at and any(t == aimed_at.thread_id for t, _ in checker.partial), (
        "the aimed kill did not cut its step short after a task was saved"
    )
    again = sum(n - 1 for n in ran.values())
    print(
        f"{kills} kills, {len(threads)} threads, {len(checker.stopped)} runs cut short, "
        f"{len(checker.partial)} steps cut short with finished tasks saved, "
        f"{sum(ran.values())} node runs ({again} re-runs of work not saved)"
    )
