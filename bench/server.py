"""Seed-graph runs per second through AsyncClient: lockstep's server beside a do-nothing one.

Both servers run as their own processes on loopback, and the same client loop
drives both in the same run. Target: lockstep at >= 0.5x the do-nothing
server's calls per second at concurrency 16, and a p50 seed run under 3 ms at
concurrency 1 (SQLite store).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from processes import SERVING, started

from lockstep.service import eventloop
from lockstep_client import AsyncClient

ROOT = Path(__file__).resolve().parents[1]
DURATION = float(os.environ.get("BENCH_SECONDS", "4"))


async def one_run(client: AsyncClient) -> float:
    start = time.perf_counter()
    count = 0
    async for part in client.runs.stream(
        str(uuid.uuid4()), "dynamic_breakpoints", input={"input": "hello"}, stream_mode="values"
    ):
        count += part.event == "values"
    if count != 4:
        raise RuntimeError(f"expected 4 values events, got {count}")
    return time.perf_counter() - start


async def drive(target: str, concurrency: int, seconds: float) -> tuple[float, list[float]]:
    client = AsyncClient(target)
    latencies: list[float] = []
    for _ in range(20):  # warm up
        await one_run(client)
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < stop:
            latencies.append(await one_run(client))

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    await client.close()
    return len(latencies) / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        work = Path(tmp)
        lockstep = servers.enter_context(started(
            ["-m", "lockstep", "serve", "--address", "127.0.0.1:0",
             "--store", f"sqlite:///{work}/bench.db"],
            SERVING, work / "lockstep.log", cwd=ROOT,
        )).group(1)  # fmt: skip
        noop = servers.enter_context(started(
            [str(ROOT / "bench" / "noop_server.py"), "127.0.0.1:0"],
            r"noop server on (\S+:\d+)", work / "noop.log", cwd=ROOT,
        )).group(1)  # fmt: skip
        print(f"event loop of both servers: {eventloop.chosen()}")
        print(f"{'server':<10} {'conc':>4} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        results = {}
        for concurrency in (1, 16):
            for name, target in (("noop", noop), ("lockstep", lockstep)):
                rate, lat = asyncio.run(drive(target, concurrency, DURATION))
                results[(name, concurrency)] = (rate, lat)
                print(f"{name:<10} {concurrency:>4} {rate:>9.0f} {pct(lat, 50):>8.2f} {pct(lat, 99):>8.2f}")
        ratio = results[("lockstep", 16)][0] / results[("noop", 16)][0]
        p50 = pct(results[("lockstep", 1)][1], 50)
        print(f"lockstep/noop calls per second at concurrency 16: {ratio:.2f}x (target >= 0.5x): "
              f"{'met' if ratio >= 0.5 else 'MISSED'}")
        print(f"lockstep p50 at concurrency 1: {p50:.2f} ms (target < 3 ms): "
              f"{'met' if p50 < 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
