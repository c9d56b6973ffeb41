"""`lockstep serve --store postgresql://...`: the seed scenario through the SDK on a
server whose store is PostgreSQL, a restart that keeps every thread, and a store
that cannot be reached said in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lockstep_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packaging"))
from seed_scenario import LONG, run_scenario  # noqa: E402

pytestmark = pytest.mark.timeout(180)


def test_the_seed_scenario_on_postgres_and_a_restart_keeps_the_threads(
    spawn_server, postgres_url
):
    first = spawn_server(store=postgres_url)
    with Client(first.address, timeout=30) as client:
        run_scenario(client, "pg")
        graph = client.graph("dynamic_breakpoints")
        config = {"configurable": {"thread_id": "pg-4"}}
        before = graph.get_state(config)
        history = list(graph.get_state_history({"configurable": {"thread_id": "pg-2"}}))
        listed = [t.thread_id for t in client.threads.list()]
    assert before.next == ("step_2",)
    first.stop()

    second = spawn_server(store=postgres_url, name="restarted")
    with Client(second.address, timeout=30) as client:
        graph = client.graph("dynamic_breakpoints")
        assert graph.get_state(config) == before
        assert before.tasks[0].interrupts[0].value == LONG
        assert list(graph.get_state_history({"configurable": {"thread_id": "pg-2"}})) == history
        assert [t.thread_id for t in client.threads.list()] == listed
        # The interrupted thread goes on where it stopped.
        graph.update_state(config, {"input": "foo"})
        events = list(graph.stream(None, config, stream_mode="values"))
        assert events == [{"input": "foo"}] * 3
        assert graph.get_state(config).next == ()


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lockstep", "serve", "--address", "127.0.0.1:0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreachable_database_is_one_line_without_the_password():
    done = _serve("--store", "postgresql://ann:s3cret@127.0.0.1:1/lockstep")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "lockstep: cannot connect to PostgreSQL at postgresql://ann:***@127.0.0.1:1/lockstep: "
    ), done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert "s3cret" not in done.stderr + done.stdout


def test_a_missing_password_file_is_one_line(tmp_path):
    missing = tmp_path / "no-such-file"
    done = _serve("--store", "postgresql://ann@127.0.0.1:1/x", "--store-password-file", str(missing))
    assert done.returncode == 2
    assert done.stderr.startswith("lockstep: ") and str(missing) in done.stderr
    assert "Traceback" not in done.stderr
