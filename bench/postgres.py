"""Lockstep's PostgresSaver against LangGraph's (langgraph-checkpoint-postgres), in
one process, on the same PostgreSQL database (each in a schema of its own, as
their tables share names).

Cases (each engine with its own saver; the graphs are bench/engine.py's):

  a. the seed graph, input "hello", sync invoke to the end, a fresh thread per run
  b. get_state on a thread a 100-node chain ran on (a 100-step thread)
  c. list(get_state_history(...)) on that thread (102 checkpoints)

Figures are medians as in bench/engine.py (alternating repetitions). Target:
lockstep at least 5x faster on each. The database is LOCKSTEP_BENCH_POSTGRES
(a postgresql:// URL) if set, else a throwaway PostgreSQL 15 started here with
its default settings (fsync on), on a loopback TCP port.

Run with `make bench` (or `.venv/bin/python bench/postgres.py`).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
from engine import (
    CHAIN,
    LANGGRAPH,
    LOCKSTEP,
    Engine,
    _Null,
    cpu_model,
    fmt,
    get_state_case,
    history_case,
    langgraph_version,
    measure,
    seed_case,
)
from langgraph.checkpoint.postgres import PostgresSaver as LangGraphPostgresSaver

from lockstep.checkpoint import PostgresSaver

TARGET = 5.0
ENV_URL = "LOCKSTEP_BENCH_POSTGRES"


@contextlib.contextmanager
def database() -> Iterator[str]:
    """The URL of the database the two savers share."""
    if os.environ.get(ENV_URL):
        yield os.environ[ENV_URL]
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))
    from postgres_process import PostgresProcess, wait_ready

    with PostgresProcess(durable=True) as pg:
        wait_ready(pg.url)
        yield pg.url


def schema(url: str, name: str) -> str:
    """A URL whose connections see only a new schema `name_<random>`."""
    name = f"{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={name}')}"


def with_saver(engine: Engine, saver: object) -> Engine:
    """The engine's names, its graphs compiled with `saver` instead of a MemorySaver."""
    copy = Engine.__new__(Engine)
    copy.__dict__.update(engine.__dict__)
    copy.MemorySaver = lambda: saver
    return copy


CASES = [
    ("a. seed graph, invoke 'hello' (fresh thread)", seed_case, 10, 21),
    (f"b. get_state after a {CHAIN}-step thread", get_state_case, 100, 21),
    (f"c. list(get_state_history), {CHAIN}-step thread", history_case, 3, 21),
]


def main() -> int:
    print(
        f"lockstep PostgresSaver vs langgraph-checkpoint-postgres {version()} "
        f"(langgraph {langgraph_version()}), Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({cpu_model()})"
    )
    with database() as url:
        with psycopg.connect(url) as conn:
            print(conn.execute("SELECT version()").fetchone()[0].split(" on ")[0])
        print(f"median per call; target: lockstep at least {TARGET:g}x faster\n")
        header = f"{'case':<48} {'lockstep':>11} {'langgraph':>11} {'ratio':>8}  target"
        print(header)
        print("-" * len(header))
        misses = 0
        began = time.perf_counter()
        with (
            PostgresSaver.from_conn_string(schema(url, "lockstep")) as ours,
            LangGraphPostgresSaver.from_conn_string(schema(url, "langgraph")) as theirs,
        ):
            ours.setup()
            theirs.setup()
            engines = (with_saver(LOCKSTEP, ours), with_saver(LANGGRAPH, theirs))
            for label, factory, calls, reps in CASES:
                with contextlib.redirect_stdout(_Null()):
                    mine, other = measure(factory, calls, reps, engines)
                ratio = other / mine
                ok = ratio >= TARGET
                misses += not ok
                print(
                    f"{label:<48} {fmt(mine):>11} {fmt(other):>11} {ratio:>7.1f}x  "
                    f"{'met' if ok else 'MISSED'}",
                    flush=True,
                )
        print(
            f"\n{len(CASES) - misses}/{len(CASES)} cases meet the target "
            f"({time.perf_counter() - began:.0f} s)"
        )
    return 0


def version() -> str:
    from importlib.metadata import version

    return version("langgraph-checkpoint-postgres")


if __name__ == "__main__":
    sys.exit(main())
