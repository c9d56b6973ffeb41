"""Seed-graph runs per second through AsyncClient: lockstep's server beside a do-nothing one.

Both servers run as their own processes on loopback, and the same client loop
drives both in the same run. Target: lockstep at >= 0.5x the do-nothing
server's calls per second at concurrency 16, and a p50 seed run under 3 ms at
concurrency 1 (SQLite store).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from lockstep.service import eventloop
from lockstep_client import AsyncClient

ROOT = Path(__file__).resolve().parents[1]
DURATION = float(os.environ.get("BENCH_SECONDS", "4"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(args: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server on {port} did not start: {proc.stderr.read().decode()}")


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
    with tempfile.TemporaryDirectory() as tmp:
        lport, nport = free_port(), free_port()
        lockstep = spawn(
            ["-m", "lockstep", "serve", "--address", f"127.0.0.1:{lport}",
             "--store", f"sqlite:///{tmp}/bench.db"],
            lport,
        )
        noop = spawn([str(ROOT / "bench" / "noop_server.py"), f"127.0.0.1:{nport}"], nport)
        try:
            print(f"event loop of both servers: {eventloop.chosen()}")
            print(f"{'server':<10} {'conc':>4} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
            results = {}
            for concurrency in (1, 16):
                for name, port in (("noop", nport), ("lockstep", lport)):
                    rate, lat = asyncio.run(drive(f"127.0.0.1:{port}", concurrency, DURATION))
                    results[(name, concurrency)] = (rate, lat)
                    print(f"{name:<10} {concurrency:>4} {rate:>9.0f} {pct(lat, 50):>8.2f} {pct(lat, 99):>8.2f}")
            ratio = results[("lockstep", 16)][0] / results[("noop", 16)][0]
            p50 = pct(results[("lockstep", 1)][1], 50)
            print(f"lockstep/noop calls per second at concurrency 16: {ratio:.2f}x (target >= 0.5x): "
                  f"{'met' if ratio >= 0.5 else 'MISSED'}")
            print(f"lockstep p50 at concurrency 1: {p50:.2f} ms (target < 3 ms): "
                  f"{'met' if p50 < 3 else 'MISSED'}")
        finally:
            for proc in (lockstep, noop):
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
