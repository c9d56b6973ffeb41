"""The Saver contract, run against every store: what one does, all must do."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import enum
import sqlite3
import threading

import pytest

from lockstep.checkpoint import (
    BaseSaver,
    Blob,
    Checkpoint,
    MemorySaver,
    PendingWrite,
    PostgresSaver,
    SqliteSaver,
)
from lockstep.checkpoint.ids import new_checkpoint_id
from lockstep.checkpoint.sqlite import SCHEMA_VERSION


@dataclasses.dataclass
class Point:
    x: int
    y: tuple[int, ...]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def saver(request, tmp_path):
    if request.param == "memory":
        yield MemorySaver()
        return
    if request.param == "sqlite":
        s = SqliteSaver(tmp_path / "db" / "lockstep.db")
    else:
        s = PostgresSaver(request.getfixturevalue("postgres_url"))
    yield s
    s.close()


def cfg(thread_id, checkpoint_id=None):
    c = {"configurable": {"thread_id": thread_id}}
    if checkpoint_id:
        c["configurable"]["checkpoint_id"] = checkpoint_id
    return c


class Chain:
    """Builds checkpoints on one thread the way the engine does: versions are checkpoint ids."""

    def __init__(self, saver: BaseSaver, thread_id: str = "t1") -> None:
        self.saver = saver
        self.thread_id = thread_id
        self.config = cfg(thread_id)
        self.versions: dict[str, str] = {}
        self.ids: list[str] = []

    def put(self, blobs=None, step=None, source="loop", **extra_versions):
        cid = new_checkpoint_id()
        blobs = dict(blobs or {})
        for channel, blob in list(blobs.items()):
            if blob.kind == "delta" and blob.base is None:
                blobs[channel] = Blob("delta", blob.value, self.versions.get(channel))
            self.versions[channel] = cid
        self.versions.update(extra_versions)
        checkpoint = Checkpoint(
            cid, f"2026-01-01T00:00:{len(self.ids):02d}Z", dict(self.versions), {}
        )
        step = len(self.ids) - 1 if step is None else step
        metadata = {"source": source, "step": step, "parents": {}}
        self.config = self.saver.put(self.config, checkpoint, metadata, blobs)
        self.ids.append(cid)
        return cid


# -- put / get ----------------------------------------------------------------


def test_empty_store(saver):
    assert saver.get_tuple(cfg("nobody")) is None
    assert list(saver.list(cfg("nobody"))) == []
    assert saver.list_threads() == []


def test_config_needs_a_thread_id(saver):
    with pytest.raises(ValueError, match="thread_id"):
        saver.get_tuple({"configurable": {}})
    with pytest.raises(ValueError, match="thread_id"):
        list(saver.list({}))


def test_put_then_get_latest_and_by_id(saver):
    chain = Chain(saver)
    first = chain.put({"a": Blob("full", 1)}, source="input")
    second = chain.put({"a": Blob("full", 2), "b": Blob("full", "x")})

    latest = saver.get_tuple(cfg("t1"))
    assert latest.config == {
        "configurable": {"thread_id": "t1", "checkpoint_ns": "", "checkpoint_id": second}
    }
    assert latest.checkpoint.id == second
    assert latest.checkpoint.channel_versions == {"a": second, "b": second}
    assert latest.metadata == {"source": "loop", "step": 0, "parents": {}}
    assert latest.parent_config["configurable"]["checkpoint_id"] == first
    assert latest.blobs == {"a": [Blob("full", 2)], "b": [Blob("full", "x")]}
    assert latest.pending_writes == []

    old = saver.get_tuple(cfg("t1", first))
    assert old.checkpoint.id == first
    assert old.parent_config is None
    assert old.metadata["source"] == "input"
    assert old.blobs == {"a": [Blob("full", 1)]}

    assert saver.get_tuple(cfg("t1", new_checkpoint_id())) is None
    assert saver.get_tuple(cfg("t2")) is None


def test_put_returns_the_new_checkpoints_config(saver):
    cid = new_checkpoint_id()
    out = saver.put(cfg("t1"), Checkpoint(cid, "ts", {}, {}), {"step": -1}, {})
    assert out == {"configurable": {"thread_id": "t1", "checkpoint_ns": "", "checkpoint_id": cid}}


def test_values_round_trip_as_python_objects(saver):
    value = {"p": Point(1, (2, 3)), "n": None, "t": (1, "two", 3.0), "big": 2**70, "b": b"\x00"}
    chain = Chain(saver)
    chain.put({"v": Blob("full", value), "none": Blob("full", None)})
    got = saver.get_tuple(cfg("t1")).blobs
    assert got["v"] == [Blob("full", value)]
    assert got["none"] == [Blob("full", None)]
    assert isinstance(got["v"][0].value["p"], Point)


class Level(enum.IntEnum):
    HIGH = 2


class Name(str):
    pass


def test_atomic_values_and_their_subclasses_round_trip_with_their_types(saver):
    values = {"i": 2**70, "f": 1.5, "s": "x", "b": b"\x00", "t": True, "n": None}
    values |= {"enum": Level.HIGH, "name": Name("y")}
    chain = Chain(saver)
    chain.put({key: Blob("full", value) for key, value in values.items()})
    got = saver.get_tuple(cfg("t1")).blobs
    for key, value in values.items():
        assert got[key] == [Blob("full", value)] and type(got[key][0].value) is type(value)


def test_stored_values_are_copies(saver):
    live = [1, 2]
    chain = Chain(saver)
    chain.put({"a": Blob("full", live)})
    live.append(3)
    got = saver.get_tuple(cfg("t1")).blobs["a"][0].value
    assert got == [1, 2]
    got.append(99)
    assert saver.get_tuple(cfg("t1")).blobs["a"][0].value == [1, 2]


def test_versions_seen_and_timestamps_kept(saver):
    cid = new_checkpoint_id()
    checkpoint = Checkpoint(cid, "2026-11-27T19:04:39+00:00", {"a": cid}, {"node": {"a": cid}})
    saver.put(cfg("t1"), checkpoint, {"step": 0}, {"a": Blob("full", 1)})
    got = saver.get_tuple(cfg("t1")).checkpoint
    assert got == checkpoint


def test_integer_thread_ids_are_strings(saver):
    Chain(saver, thread_id=7).put({"a": Blob("full", 1)})
    assert saver.get_tuple(cfg(7)).config["configurable"]["thread_id"] == "7"
    assert saver.get_tuple(cfg("7")) is not None
    assert saver.list_threads() == ["7"]


# -- list -----------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 30])  # below and above SqliteSaver's bulk-read threshold
def test_list_newest_first_with_before_and_limit(saver, count):
    chain = Chain(saver)
    for i in range(count):
        chain.put({"a": Blob("full", i)})
    Chain(saver, "other").put({"a": Blob("full", "other")})
    newest_first = list(reversed(chain.ids))

    listed = list(saver.list(cfg("t1")))
    assert [t.checkpoint.id for t in listed] == newest_first
    assert [t.blobs["a"][0].value for t in listed] == list(reversed(range(count)))
    assert [t.metadata["step"] for t in listed] == list(reversed(range(-1, count - 1)))

    assert [t.checkpoint.id for t in saver.list(cfg("t1"), limit=2)] == newest_first[:2]
    assert list(saver.list(cfg("t1"), limit=0)) == []
    before = cfg("t1", chain.ids[3])
    assert [t.checkpoint.id for t in saver.list(cfg("t1"), before=before)] == newest_first[-3:]
    assert [t.checkpoint.id for t in saver.list(cfg("t1"), before=before, limit=1)] == [
        chain.ids[2]
    ]
    assert list(saver.list(cfg("t1"), before=cfg("t1", chain.ids[0]))) == []


@pytest.mark.parametrize("count", [3, 30])
def test_list_agrees_with_get_tuple(saver, count):
    chain = Chain(saver)
    for i in range(count):
        blobs = {"log": Blob("delta", [i])} if i else {"log": Blob("full", [])}
        if i % 4 == 0:
            blobs["last"] = Blob("full", i)
        cid = chain.put(blobs)
        if i % 5 == 0:
            saver.put_writes(cfg("t1", cid), [PendingWrite("task", "log", i)])
    for listed in saver.list(cfg("t1")):
        one = saver.get_tuple(listed.config)
        assert listed == one


# -- delta chains ------------------------------------------------------------------


def test_delta_chain_from_last_full_oldest_first(saver):
    chain = Chain(saver)
    c0 = chain.put({"log": Blob("full", ["a"])})
    c1 = chain.put({"log": Blob("delta", ["b"])})
    c2 = chain.put({"other": Blob("full", 0)})  # log unchanged here
    c3 = chain.put({"log": Blob("delta", ["c", "d"])})
    c4 = chain.put({"log": Blob("full", ["a", "b", "c", "d", "e"])})
    c5 = chain.put({"log": Blob("delta", ["f"])})
    c6 = chain.put({"log": Blob("empty")})
    c7 = chain.put({"log": Blob("delta", ["g"])})

    def at(cid):
        return saver.get_tuple(cfg("t1", cid)).blobs.get("log")

    assert at(c0) == [Blob("full", ["a"])]
    assert at(c1) == [Blob("full", ["a"]), Blob("delta", ["b"], c0)]
    assert at(c2) == at(c1)
    assert at(c3) == [Blob("full", ["a"]), Blob("delta", ["b"], c0), Blob("delta", ["c", "d"], c1)]
    assert at(c4) == [Blob("full", ["a", "b", "c", "d", "e"])]
    assert at(c5) == [Blob("full", ["a", "b", "c", "d", "e"]), Blob("delta", ["f"], c4)]
    assert at(c6) == [Blob("empty")]
    assert at(c7) == [Blob("empty"), Blob("delta", ["g"], c6)]
    assert saver.get_tuple(cfg("t1", c2)).blobs["other"] == [Blob("full", 0)]
    assert "other" not in saver.get_tuple(cfg("t1", c1)).blobs
    listed = {t.checkpoint.id: t.blobs.get("log") for t in saver.list(cfg("t1"))}
    assert listed[c3] == at(c3) and listed[c7] == at(c7)


def test_long_delta_chain(saver):
    chain = Chain(saver)
    chain.put({"log": Blob("full", [])})
    for i in range(2000):
        chain.put({"log": Blob("delta", [i])})
    got = saver.get_tuple(cfg("t1")).blobs["log"]
    assert len(got) == 2001
    assert got[0] == Blob("full", [])
    assert [b.value[0] for b in got[1:]] == list(range(2000))
    assert [b.base for b in got[1:]] == chain.ids[:-1]


def test_channel_versions_without_blobs_have_no_chain(saver):
    chain = Chain(saver)
    cid = new_checkpoint_id()
    chain.put({"a": Blob("full", 1)}, **{"branch:to:x": cid})
    assert set(saver.get_tuple(cfg("t1")).blobs) == {"a"}


def test_a_blob_put_again_at_its_version_replaces_it(saver):
    # The engine lands a provisional channel's blob on the version it kept.
    chain = Chain(saver)
    c0 = chain.put({"a": Blob("empty")})
    chain.put({"a": Blob("full", "late")}, a=c0)
    assert saver.get_tuple(cfg("t1")).blobs["a"] == [Blob("full", "late")]
    assert saver.get_tuple(cfg("t1", c0)).blobs["a"] == [Blob("full", "late")]


def test_threads_do_not_share_blobs(saver):
    one, two = Chain(saver, "one"), Chain(saver, "two")
    one.put({"log": Blob("full", [1])})
    two.put({"log": Blob("full", [2])})
    one.put({"log": Blob("delta", [11])})
    assert saver.get_tuple(cfg("one")).blobs["log"] == [
        Blob("full", [1]),
        Blob("delta", [11], one.ids[0]),
    ]
    assert saver.get_tuple(cfg("two")).blobs["log"] == [Blob("full", [2])]


# -- pending writes ------------------------------------------------------------------


def test_put_writes_kept_in_order_on_their_checkpoint(saver):
    chain = Chain(saver)
    c0 = chain.put({"a": Blob("full", 0)})
    first = [PendingWrite("t-a", "a", 1), PendingWrite("t-a", "__return__", {"a": 1})]
    second = [PendingWrite("t-b", "__interrupt__", ("why", Point(1, ())))]
    saver.put_writes(cfg("t1", c0), first)
    saver.put_writes(cfg("t1", c0), second)
    saver.put_writes(cfg("t1", c0), [])
    c1 = chain.put({"a": Blob("full", 1)})

    assert saver.get_tuple(cfg("t1", c0)).pending_writes == first + second
    assert saver.get_tuple(cfg("t1", c1)).pending_writes == []
    listed = {t.checkpoint.id: t.pending_writes for t in saver.list(cfg("t1"))}
    assert listed == {c0: first + second, c1: []}


@pytest.mark.parametrize(
    "live", [{"a": 1}, {"a": [1]}, [1], Point(1, ())], ids=["flat dict", "nested", "list", "object"]
)
def test_written_values_are_copies(saver, live):
    """A task's writes, as its node returned them, can change after the put, and what
    a reader is given can change too: neither reaches the store."""
    chain = Chain(saver)
    c0 = chain.put({"a": Blob("full", 0)})
    saver.put_writes(cfg("t1", c0), [PendingWrite("t-a", "__return__", live)])
    before = copy.deepcopy(live)
    if isinstance(live, dict):
        live["a"], live["b"] = 99, 2
    elif isinstance(live, list):
        live.append(99)
    else:
        live.x = 99

    got = saver.get_tuple(cfg("t1", c0)).pending_writes[0].value
    assert got == before
    if isinstance(got, dict):
        got["c"] = 3
    elif isinstance(got, list):
        got.append(3)
    else:
        got.x = 3
    assert saver.get_tuple(cfg("t1", c0)).pending_writes[0].value == before


def test_put_step_is_writes_on_the_parent_then_the_new_checkpoint(saver):
    chain = Chain(saver)
    c0 = chain.put({"a": Blob("full", 0)})
    writes = [PendingWrite("t-a", "a", 1), PendingWrite("t-a", "__return__", {"a": 1})]
    c1 = new_checkpoint_id()
    checkpoint = Checkpoint(c1, "2026-01-01T00:00:09Z", {"a": c1}, {"t": {"a": c0}})
    metadata = {"source": "loop", "step": 0, "parents": {}}

    config = saver.put_step(cfg("t1", c0), writes, checkpoint, metadata, {"a": Blob("full", 1)})

    assert config["configurable"]["checkpoint_id"] == c1
    assert saver.get_tuple(cfg("t1", c0)).pending_writes == writes
    head = saver.get_tuple(cfg("t1"))
    assert head.checkpoint.id == c1 and head.parent_config["configurable"]["checkpoint_id"] == c0
    assert head.blobs == {"a": [Blob("full", 1)]} and head.pending_writes == []
    assert head.checkpoint.versions_seen == {"t": {"a": c0}} and head.metadata == metadata


def test_pending_writes_on_latest_checkpoint(saver):
    chain = Chain(saver)
    cid = chain.put({"a": Blob("full", 0)})
    saver.put_writes(chain.config, [PendingWrite("task", "a", 5)])
    assert saver.get_tuple(cfg("t1")).pending_writes == [PendingWrite("task", "a", 5)]
    assert saver.get_tuple(cfg("t1", cid)).pending_writes == [PendingWrite("task", "a", 5)]


# -- threads ----------------------------------------------------------------------


def test_list_threads_and_delete_thread(saver):
    for name in ("a", "b", "c"):
        chain = Chain(saver, name)
        cid = chain.put({"x": Blob("full", name)})
        saver.put_writes(cfg(name, cid), [PendingWrite("task", "x", 1)])
    assert saver.list_threads() == ["a", "b", "c"]

    saver.delete_thread("b")
    assert saver.list_threads() == ["a", "c"]
    assert saver.get_tuple(cfg("b")) is None
    assert list(saver.list(cfg("b"))) == []
    assert saver.get_tuple(cfg("a")).blobs == {"x": [Blob("full", "a")]}
    saver.delete_thread("never-existed")

    # A deleted thread id can be used again, from scratch.
    chain = Chain(saver, "b")
    chain.put({"y": Blob("full", 1)})
    again = saver.get_tuple(cfg("b"))
    assert again.blobs == {"y": [Blob("full", 1)]}
    assert again.pending_writes == []
    assert sorted(saver.list_threads()) == ["a", "b", "c"]


# -- rewind (a rolled-back run) ---------------------------------------------------------


def _thread_as_read(saver, thread_id="t1"):
    """What a reader can see of a thread: every checkpoint, its values and writes."""
    return [
        (t.checkpoint.id, t.parent_config, t.blobs, t.pending_writes)
        for t in saver.list(cfg(thread_id))
    ]


def test_rewind_leaves_the_thread_as_the_run_found_it(saver):
    chain = Chain(saver)
    chain.put({"log": Blob("full", ["a"])})
    head = chain.put({"log": Blob("delta", ["b"])})
    saver.put_writes(chain.config, [PendingWrite("t0", "log", "kept")])
    before = _thread_as_read(saver)
    other = Chain(saver, "t2")
    other.put({"log": Blob("full", ["other"])})

    mark = new_checkpoint_id()  # the run starts: what it makes sorts after this
    saver.put_writes(chain.config, [PendingWrite("t1", "log", "run's"), PendingWrite("t1", "x", 2)])
    run_made = [chain.put({"log": Blob("delta", ["c"])}), chain.put({"log": Blob("full", ["z"])})]
    saver.put_writes(chain.config, [PendingWrite("t2", "log", "on the run's checkpoint")])

    saver.rewind("t1", mark, keep_writes=1)

    assert _thread_as_read(saver) == before
    assert saver.get_tuple(cfg("t1")).checkpoint.id == head
    assert all(saver.get_tuple(cfg("t1", cid)) is None for cid in run_made)
    assert _thread_as_read(saver, "t2")[0][2] == {"log": [Blob("full", ["other"])]}
    # The thread goes on from its head as if the run never was.
    chain.config = cfg("t1", head)
    chain.versions["log"] = head
    nxt = chain.put({"log": Blob("delta", ["d"])})
    assert saver.get_tuple(cfg("t1", nxt)).blobs["log"][-1] == Blob("delta", ["d"], head)


def test_rewind_drops_every_pending_write_the_run_added_to_its_head(saver):
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    mark = new_checkpoint_id()
    saver.put_writes(chain.config, [PendingWrite("task", "a", 5)])
    saver.rewind("t1", mark)
    assert saver.get_tuple(cfg("t1")).pending_writes == []


def test_rewind_of_a_thread_s_first_run_empties_it(saver):
    mark = new_checkpoint_id()
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    saver.put_writes(chain.config, [PendingWrite("task", "a", 5)])
    saver.rewind("t1", mark)
    assert saver.get_tuple(cfg("t1")) is None
    assert saver.list_threads() == []
    saver.rewind("never-existed", mark)  # nothing to undo: no error


def test_rewind_with_nothing_added_changes_nothing(saver):
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    saver.put_writes(chain.config, [PendingWrite("task", "a", 5), PendingWrite("task", "b", 6)])
    before = _thread_as_read(saver)
    saver.rewind("t1", new_checkpoint_id(), keep_writes=2)
    assert _thread_as_read(saver) == before


# -- async twins ------------------------------------------------------------------


def test_async_twins(saver):
    async def main():
        cid = new_checkpoint_id()
        config = await saver.aput(
            cfg("t1"), Checkpoint(cid, "ts", {"a": cid}, {}), {"step": 0}, {"a": Blob("full", 1)}
        )
        await saver.aput_writes(config, [PendingWrite("task", "a", 2)])
        got = await saver.aget_tuple(cfg("t1"))
        listed = [t async for t in saver.alist(cfg("t1"), limit=5)]
        await saver.adelete_thread("t1")
        gone = await saver.aget_tuple(cfg("t1"))
        return got, listed, gone

    got, listed, gone = asyncio.run(main())
    assert got.blobs == {"a": [Blob("full", 1)]}
    assert got.pending_writes == [PendingWrite("task", "a", 2)]
    assert listed == [got]
    assert gone is None


def test_concurrent_threads_of_work(saver):
    errors = []

    def work(n):
        try:
            chain = Chain(saver, f"w{n}")
            chain.put({"log": Blob("full", [])})
            for i in range(20):
                cid = chain.put({"log": Blob("delta", [i])})
                saver.put_writes(cfg(f"w{n}", cid), [PendingWrite("task", "log", i)])
                assert len(saver.get_tuple(cfg(f"w{n}")).blobs["log"]) == i + 2
            assert len(list(saver.list(cfg(f"w{n}")))) == 21
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert sorted(saver.list_threads()) == sorted(f"w{n}" for n in range(8))


# -- SQLite only ------------------------------------------------------------------


def test_sqlite_reopened_file_sees_everything(tmp_path):
    path = tmp_path / "nested" / "dirs" / "state.db"
    first = SqliteSaver(path)
    chain = Chain(first)
    c0 = chain.put({"log": Blob("full", ["a"])})
    c1 = chain.put({"log": Blob("delta", ["b"])})
    first.put_writes(cfg("t1", c1), [PendingWrite("task", "log", "c")])
    Chain(first, "t2").put({"x": Blob("full", 1)})
    before = [first.get_tuple(cfg("t1", c)) for c in (c0, c1)]
    first.close()
    assert path.exists()

    second = SqliteSaver(str(path))
    assert second.list_threads() == ["t1", "t2"]
    assert [second.get_tuple(cfg("t1", c)) for c in (c0, c1)] == before
    assert second.get_tuple(cfg("t1")).blobs["log"] == [
        Blob("full", ["a"]),
        Blob("delta", ["b"], c0),
    ]
    assert second.get_tuple(cfg("t1")).pending_writes == [PendingWrite("task", "log", "c")]
    assert [t.checkpoint.id for t in second.list(cfg("t1"))] == [c1, c0]
    second.close()


def test_sqlite_file_settings_and_schema(tmp_path):
    path = tmp_path / "s.db"
    saver = SqliteSaver(path)
    conn = saver._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    columns = {
        table: [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        for table in ("checkpoints", "blobs", "writes", "threads", "runs", "store_items")
    }
    assert columns == {
        "checkpoints": [
            "thread_id",
            "checkpoint_id",
            "parent_id",
            "record",
            "step",
            "source",
            "created_at",
        ],
        "blobs": ["thread_id", "channel", "version", "kind", "data", "base"],
        "writes": ["thread_id", "checkpoint_id", "task_id", "idx", "channel", "data"],
        # The server's records share the file and its one list of migrations.
        "threads": [
            "thread_id",
            "graph_id",
            "status",
            "created_at",
            "updated_at",
            "metadata",
            "tenant",
        ],
        "runs": [
            "run_id",
            "thread_id",
            "graph_id",
            "status",
            "created_at",
            "updated_at",
            "metadata",
            "multitask_strategy",
            "error",
        ],
        # Long-term memory (lockstep.store.SqliteStore's table) too.
        "store_items": [
            "prefix",
            "key",
            "value",
            "created_at",
            "updated_at",
            "seq",
            "ttl_minutes",
            "expires_at",
        ],
    }
    cid = Chain(saver).put({"a": Blob("full", 1)}, source="input", step=-1)
    row = conn.execute("SELECT parent_id, step, source, created_at FROM checkpoints").fetchone()
    assert row == (None, -1, "input", "2026-01-01T00:00:00Z")
    assert conn.execute("SELECT version, kind FROM blobs").fetchall() == [(cid, "full")]
    saver.close()


def test_sqlite_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "s.db"
    SqliteSaver(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="schema version"):
        SqliteSaver(path)


def test_sqlite_put_is_one_transaction(tmp_path):
    saver = SqliteSaver(tmp_path / "s.db")
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    saver._conn.execute(
        "CREATE TRIGGER fail AFTER INSERT ON checkpoints WHEN NEW.step = 99"
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk on fire"):
        chain.put({"a": Blob("full", 2), "b": Blob("full", 3)}, step=99)
    # Neither the checkpoint nor its blobs were kept.
    assert saver._conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 1
    assert [t.metadata["step"] for t in saver.list(cfg("t1"))] == [-1]
    assert not saver._conn.in_transaction
    saver.close()


def test_sqlite_rewind_is_one_transaction(tmp_path):
    saver = SqliteSaver(tmp_path / "s.db")
    chain = Chain(saver)
    chain.put({"a": Blob("full", 1)})
    mark = new_checkpoint_id()
    chain.put({"a": Blob("full", 2)})
    saver.put_writes(chain.config, [PendingWrite("task", "a", 3)])
    before = _thread_as_read(saver)
    saver._conn.execute(
        "CREATE TRIGGER fail AFTER DELETE ON writes BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk on fire"):
        saver.rewind("t1", mark)
    # The checkpoints deleted before the failing statement are back: all or nothing.
    assert _thread_as_read(saver) == before
    saver.close()


def test_sqlite_from_conn_string_with_and_without_with(tmp_path):
    with SqliteSaver.from_conn_string(":memory:") as saver:
        Chain(saver).put({"a": Blob("full", 1)})
        assert saver.list_threads() == ["t1"]
    with pytest.raises(sqlite3.ProgrammingError):
        saver.list_threads()  # closed on leaving the block

    direct = SqliteSaver.from_conn_string(str(tmp_path / "d.db"))
    Chain(direct).put({"a": Blob("full", 1)})
    assert direct.get_tuple(cfg("t1")).blobs == {"a": [Blob("full", 1)]}
    direct.close()


def test_sqlite_on_a_connection_you_own(tmp_path):
    conn = sqlite3.connect(tmp_path / "own.db", check_same_thread=False)
    saver = SqliteSaver(conn)
    Chain(saver).put({"a": Blob("full", 1)})
    saver.close()  # not ours to close
    assert conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0] == 1
    assert not conn.in_transaction
    conn.close()


def test_sqlite_two_savers_on_one_file(tmp_path):
    path = tmp_path / "shared.db"
    a, b = SqliteSaver(path), SqliteSaver(path)
    chain = Chain(a)
    chain.put({"log": Blob("full", [])})
    chain.put({"log": Blob("delta", [1])})
    assert b.get_tuple(cfg("t1")).blobs["log"] == [
        Blob("full", []),
        Blob("delta", [1], chain.ids[0]),
    ]
    b.delete_thread("t1")
    assert a.get_tuple(cfg("t1")) is None
    a.close()
    b.close()


def test_sqlite_storage_bytes(tmp_path):
    saver = SqliteSaver(tmp_path / "s.db")
    assert saver.storage_bytes("t1") == 0
    chain = Chain(saver)
    cid = chain.put({"a": Blob("full", "x" * 1000)})
    one = saver.storage_bytes("t1")
    assert 1000 < one < 2000
    saver.put_writes(cfg("t1", cid), [PendingWrite("task", "a", "y" * 500)])
    assert saver.storage_bytes("t1") > one + 500
    assert saver.storage_bytes("other") == 0
    saver.close()
