"""SqliteSaver.write_later: records the server keeps beside the checkpoints are
written without the caller waiting, in order with the checkpoints, and never lost
by a clean close."""

from __future__ import annotations

import sqlite3
import threading

from lockstep.checkpoint import SqliteSaver
from lockstep.checkpoint.base import Checkpoint, checkpoint_config


def _insert(value: str):
    return lambda conn: conn.execute("INSERT INTO notes (value) VALUES (?)", (value,))


def _notes(path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT value FROM notes ORDER BY rowid")]


def _saver(path) -> SqliteSaver:
    saver = SqliteSaver(path)
    saver.write_later(lambda conn: conn.execute("CREATE TABLE notes (value TEXT)"))
    saver.flush()
    return saver


def test_queued_writes_commit_in_order_and_report_back(tmp_path):
    path = tmp_path / "s.db"
    saver = _saver(path)
    outcomes: list[BaseException | None] = []
    done = threading.Event()
    for i in range(50):
        saver.write_later(_insert(f"n{i}"), outcomes.append)
    saver.write_later(lambda conn: None, lambda _error: done.set())
    assert done.wait(10)
    assert _notes(path) == [f"n{i}" for i in range(50)]
    assert outcomes == [None] * 50
    saver.close()


def test_a_checkpoint_put_after_a_queued_write_is_never_durable_before_it(tmp_path):
    path = tmp_path / "s.db"
    saver = _saver(path)
    saver.write_later(_insert("run started"))
    config = saver.put(
        {"configurable": {"thread_id": "t"}}, Checkpoint("c1", "ts", {}, {}), {"step": -1}, {}
    )
    # put returns once its commit is done; the note queued before it went in first.
    assert _notes(path) == ["run started"]
    assert saver.get_tuple(config).checkpoint.id == "c1"
    assert config == checkpoint_config("t", "c1")
    saver.close()


def test_a_failing_write_fails_alone(tmp_path):
    path = tmp_path / "s.db"
    saver = _saver(path)
    outcomes: dict[str, BaseException | None] = {}
    saver.write_later(_insert("before"), lambda e: outcomes.__setitem__("before", e))
    saver.write_later(
        lambda conn: conn.execute("INSERT INTO missing_table VALUES (1)"),
        lambda e: outcomes.__setitem__("bad", e),
    )
    saver.write_later(_insert("after"), lambda e: outcomes.__setitem__("after", e))
    saver.flush()
    assert _notes(path) == ["before", "after"]
    assert outcomes["before"] is None and outcomes["after"] is None
    assert isinstance(outcomes["bad"], sqlite3.OperationalError)
    assert "missing_table" in str(outcomes["bad"])
    saver.close()


def test_close_commits_what_is_queued(tmp_path):
    path = tmp_path / "s.db"
    saver = _saver(path)
    for i in range(20):
        saver.write_later(_insert(f"n{i}"))
    saver.close()
    assert _notes(path) == [f"n{i}" for i in range(20)]


def test_a_write_that_need_not_hurry_is_written_soon_all_the_same(tmp_path):
    """A run's start records wait a moment for its first checkpoint; alone, they
    are still written within milliseconds."""
    path = tmp_path / "s.db"
    saver = _saver(path)
    done = threading.Event()
    saver.write_later(_insert("alone"), lambda _error: done.set(), hurry=False)
    assert done.wait(1)
    assert _notes(path) == ["alone"]
    saver.close()
