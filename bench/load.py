"""Load: 200 concurrent streams on distinct threads, then 10,000 threads in the store,
and GetState / GetStateHistory latency as the threads and one thread's history grow.

One `lockstep serve` process on loopback with a fresh SQLite store; raw gRPC stubs
(grpc.aio) so the figures are the server's, not the SDK's. Every stream is checked
event by event (metadata, four values events with the right counts, end SUCCESS):
the script fails on any error or missing event. Latencies are one call at a time
(p50 and p99 over LOAD_SAMPLES calls on threads picked at random), in milliseconds.

    .venv/bin/python bench/load.py        # LOAD_THREADS=10000 LOAD_STREAMS=200 LOAD_HISTORY=10000
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import grpc
from processes import SERVING, started

from lockstep_api import convert
from lockstep_api.v1 import (
    enums_pb2,
    runs_service_pb2,
    runs_service_pb2_grpc,
    threads_service_pb2,
    threads_service_pb2_grpc,
)

ROOT = Path(__file__).resolve().parents[1]
STREAMS = int(os.environ.get("LOAD_STREAMS", "200"))
THREADS = int(os.environ.get("LOAD_THREADS", "10000"))
HISTORY = int(os.environ.get("LOAD_HISTORY", "10000"))
SAMPLES = int(os.environ.get("LOAD_SAMPLES", "300"))
CONCURRENCY = 32  # runs in flight while filling the store
GRAPH = "load"


class Load:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.runs = runs_service_pb2_grpc.RunsStub(channel)
        self.threads = threads_service_pb2_grpc.ThreadsStub(channel)
        self.made: list[str] = []  # threads with one finished run each

    async def run(self, thread_id: str, pause: float = 0.0, first_n: int = 0) -> None:
        """One streamed run, checked event by event."""
        req = runs_service_pb2.StreamRunRequest(
            thread_id=thread_id,
            graph_id=GRAPH,
            input=convert.to_struct({"i": len(self.made), "pause": pause}),
            stream_modes=[enums_pb2.STREAM_MODE_VALUES],
        )
        kinds, ns = [], []
        async for response in self.runs.StreamRun(req, timeout=120):
            event = response.event
            kind = event.WhichOneof("event")
            kinds.append(kind)
            if kind == "values":
                ns.append(convert.from_struct(event.values).get("n"))
            elif kind == "end" and event.end.status != enums_pb2.RUN_STATUS_SUCCESS:
                raise RuntimeError(f"{thread_id}: run ended {event.end.status}")
        want_ns = [first_n or None, first_n + 1, first_n + 2, first_n + 3]
        if kinds != ["metadata", "values", "values", "values", "values", "end"] or ns != want_ns:
            raise RuntimeError(f"{thread_id}: lost or wrong events: {kinds} {ns}")

    async def fill(self, total: int) -> None:
        """Runs on new threads, CONCURRENCY at a time, until there are `total`."""
        todo = [f"load-{i}" for i in range(len(self.made), total)]

        async def worker() -> None:
            while todo:
                thread_id = todo.pop()
                await self.run(thread_id)
                self.made.append(thread_id)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    async def latency(self, call, samples: int = SAMPLES) -> tuple[float, float]:
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            await call()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]

    async def read_latencies(self) -> tuple[tuple[float, float], tuple[float, float]]:
        rng = random.Random(len(self.made))

        async def get_state() -> None:
            req = threads_service_pb2.GetStateRequest(thread_id=rng.choice(self.made))
            state = (await self.threads.GetState(req, timeout=30)).state
            if convert.from_struct(state.values).get("n") != 3:
                raise RuntimeError(f"unexpected state {state.values}")

        async def get_history() -> None:
            req = threads_service_pb2.GetStateHistoryRequest(
                thread_id=rng.choice(self.made), page_size=10
            )
            states = (await self.threads.GetStateHistory(req, timeout=30)).states
            if len(states) != 5:  # the input, the start step, and a step per node
                raise RuntimeError(f"history of {len(states)} checkpoints, expected 5")

        return await self.latency(get_state), await self.latency(get_history)


def row(label: str, state: tuple[float, float], history: tuple[float, float]) -> str:
    return (
        f"| {label} | {state[0]:.2f} | {state[1]:.2f} | {history[0]:.2f} | {history[1]:.2f} |"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        work = Path(tmp)
        address = servers.enter_context(started(
            ["-m", "lockstep", "serve", "--address", "127.0.0.1:0",
             "--store", f"sqlite:///{work / 'load.db'}",
             "--graph", f"{GRAPH}={ROOT / 'bench' / 'load_graph.py'}:graph"],
            SERVING, work / "server.log", cwd=work,
        )).group(1)  # fmt: skip
        async with grpc.aio.insecure_channel(address) as channel:
            load = Load(channel)
            # 1. Concurrent streams, each on its own thread, all open at once.
            began = time.perf_counter()
            await asyncio.gather(*(load.run(f"stream-{i}", pause=1.0) for i in range(STREAMS)))
            took = time.perf_counter() - began
            print(f"{STREAMS} concurrent streams (1 s pause each): all complete, no event "
                  f"lost, in {took:.2f} s")  # fmt: skip
            # 2. Fill the store, measuring reads at each size.
            print("\n| threads in store | GetState p50 ms | p99 | GetStateHistory p50 ms | p99 |")
            print("|---:|---:|---:|---:|---:|")
            rate = []
            for size in (100, 1_000, 10_000):
                if size > THREADS:
                    break
                t0, before = time.perf_counter(), len(load.made)
                await load.fill(size)
                rate.append((size - before) / (time.perf_counter() - t0))
                print(row(f"{size:,}", *await load.read_latencies()), flush=True)
            print(f"\nfilling: {min(rate):.0f}-{max(rate):.0f} runs/s at {CONCURRENCY} in flight")
            # 3. One thread's history grows (five checkpoints a run).
            print("\n| history length | GetState p50 ms | p99 | GetStateHistory (10) p50 ms | p99 |")
            print("|---:|---:|---:|---:|---:|")
            deep, runs_done = "deep", 0
            for length in (10, 100, 1_000, 10_000):
                if length > HISTORY:
                    break
                while runs_done * 5 < length:
                    await load.run(deep, first_n=runs_done * 3)
                    runs_done += 1
                state_req = threads_service_pb2.GetStateRequest(thread_id=deep)
                hist_req = threads_service_pb2.GetStateHistoryRequest(thread_id=deep, page_size=10)
                state = await load.latency(lambda r=state_req: load.threads.GetState(r, timeout=30))
                history = await load.latency(
                    lambda r=hist_req: load.threads.GetStateHistory(r, timeout=30)
                )
                print(row(f"{runs_done * 5:,}", state, history), flush=True)
            # Every thread made is in the store.
            listed, token = 0, ""
            while True:
                req = threads_service_pb2.ListThreadsRequest(page_size=1000, page_token=token)
                reply = await load.threads.ListThreads(req, timeout=60)
                listed += len(reply.threads)
                token = reply.next_page_token
                if not token:
                    break
            expected = STREAMS + len(load.made) + (1 if runs_done else 0)
            if listed != expected:
                raise RuntimeError(f"{listed} threads listed, {expected} made")
            print(f"\n{listed:,} threads listed back from the store; no error")


if __name__ == "__main__":
    asyncio.run(main())
