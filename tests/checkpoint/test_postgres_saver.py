"""PostgresSaver's own promises, beyond the contract every saver keeps
(test_savers.py): one transaction per put and per rewind, a schema made once
when several servers start at once, LangGraph's ways of opening it, and errors a
person can act on."""

from __future__ import annotations

import asyncio
import threading
from typing import TypedDict

import psycopg
import pytest
from test_savers import Chain, _thread_as_read, cfg

from lockstep import END, START, StateGraph
from lockstep.checkpoint import AsyncPostgresSaver, Blob, PendingWrite, PostgresSaver
from lockstep.checkpoint.ids import new_checkpoint_id
from lockstep.checkpoint.postgres import SCHEMA_VERSION
from lockstep.stores.postgres.database import Database


def _fail_on(conn, when: str) -> None:
    """A trigger that raises `disk on fire` on `when` (e.g. 'AFTER INSERT ON checkpoints')."""
    conn.execute(
        "CREATE FUNCTION fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$"
        " LANGUAGE plpgsql"
    )
    conn.execute(f"CREATE TRIGGER fail {when} FOR EACH ROW EXECUTE FUNCTION fail()")


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_put_is_one_transaction(postgres_url):
    saver = PostgresSaver(postgres_url)
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        _fail_on(conn, "AFTER INSERT ON checkpoints")
    with pytest.raises(psycopg.Error, match="disk on fire"):
        chain.put({"a": Blob("full", 2), "b": Blob("full", 3)}, step=99)
    # Neither the checkpoint nor its blobs were kept, and the saver goes on working.
    assert _count(postgres_url, "SELECT COUNT(*) FROM blobs") == 1
    assert [t.metadata["step"] for t in saver.list(cfg("t1"))] == [-1]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER fail ON checkpoints")
    chain.put({"a": Blob("full", 4)})
    assert saver.get_tuple(cfg("t1")).blobs == {"a": [Blob("full", 4)]}
    saver.close()


def test_rewind_is_one_transaction(postgres_url):
    saver = PostgresSaver(postgres_url)
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    mark = new_checkpoint_id()
    chain.put({"a": Blob("full", 2)})
    saver.put_writes(chain.config, [PendingWrite("task", "a", 3)])
    before = _thread_as_read(saver)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        _fail_on(conn, "AFTER DELETE ON blobs")
    with pytest.raises(psycopg.Error, match="disk on fire"):
        saver.rewind("t1", mark)
    # The checkpoints and writes deleted before the failing statement are back.
    assert _thread_as_read(saver) == before
    saver.close()


def test_servers_starting_at_once_make_the_schema_once(postgres_url):
    opened: list[PostgresSaver] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(PostgresSaver(postgres_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=open_one) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert _count(postgres_url, "SELECT COUNT(*) FROM lockstep_schema") == 1
    assert _count(postgres_url, "SELECT version FROM lockstep_schema") == SCHEMA_VERSION
    Chain(opened[0]).put({"a": Blob("full", 1)})
    assert opened[-1].get_tuple(cfg("t1")).blobs == {"a": [Blob("full", 1)]}
    for saver in opened:
        saver.close()


def test_a_newer_schema_is_refused(postgres_url):
    PostgresSaver(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE lockstep_schema SET version = version + 1")
    with pytest.raises(RuntimeError, match="schema version"):
        PostgresSaver(postgres_url)


class Number(TypedDict):
    n: int


def _graph(saver):
    builder = StateGraph(Number)
    builder.add_node("double", lambda s: {"n": s["n"] * 2})
    builder.add_edge(START, "double")
    builder.add_edge("double", END)
    return builder.compile(checkpointer=saver)


def test_from_conn_string_as_langgraph_uses_it(postgres_url):
    with PostgresSaver.from_conn_string(postgres_url) as saver:
        saver.setup()
        assert _graph(saver).invoke({"n": 2}, cfg("t")) == {"n": 4}
    with pytest.raises(psycopg.Error):
        saver.list_threads()  # closed on leaving the block
    # A graph in another process (here: another saver) sees the thread.
    again = PostgresSaver(postgres_url)
    assert _graph(again).get_state(cfg("t")).values == {"n": 4}
    again.close()


def test_the_async_saver_as_langgraph_uses_it(postgres_url):
    async def main():
        async with AsyncPostgresSaver.from_conn_string(postgres_url) as saver:
            await saver.setup()
            graph = _graph(saver)
            out = await graph.ainvoke({"n": 3}, cfg("a"))
            state = await graph.aget_state(cfg("a"))
            history = [h async for h in graph.aget_state_history(cfg("a"))]
            return out, state.values, len(history)

    assert asyncio.run(main()) == ({"n": 6}, {"n": 6}, 3)


def test_on_a_connection_you_own(postgres_url):
    conn = psycopg.connect(postgres_url, autocommit=True)
    saver = PostgresSaver(conn)
    Chain(saver).put({"a": Blob("full", 1)})
    assert saver.list_threads() == ["t1"]
    saver.close()  # not ours to close
    assert conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0] == 1
    conn.close()


def test_an_unreachable_database_says_so_without_the_password():
    url = "postgresql://ann:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(ConnectionError) as caught:
        Database(url)
    message = str(caught.value)
    assert "cannot connect to PostgreSQL at postgresql://ann:***@127.0.0.1:1/nowhere" in message
    assert "s3cret" not in message


def test_commits_are_as_durable_as_on_sqlite_unless_the_url_says(postgres_url):
    """The writer does not wait for each commit's flush to disk (SQLite's WAL with
    synchronous=NORMAL does not either); a URL that sets synchronous_commit keeps it."""
    saver = PostgresSaver(postgres_url)
    with saver._db.lock:
        assert saver._db.conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
    saver.close()
    strict = PostgresSaver(postgres_url + "%20-csynchronous_commit%3Don")
    with strict._db.lock:
        assert strict._db.conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    Chain(strict).put({"a": Blob("full", 1)})
    assert strict.get_tuple(cfg("t1")).blobs == {"a": [Blob("full", 1)]}
    strict.close()
