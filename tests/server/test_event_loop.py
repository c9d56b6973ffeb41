"""`lockstep serve --loop`: uvloop when installed (auto), or the standard loop; the
server says which on its first line, and runs the seed graph the same on both."""

from __future__ import annotations

import importlib.util

import pytest
from server_process import ServerProcess
from wire import end_status, stream, values

from lockstep.service import eventloop
from lockstep_api.v1 import enums_pb2

UVLOOP = importlib.util.find_spec("uvloop") is not None


def test_auto_means_uvloop_when_installed():
    assert eventloop.chosen("auto") == ("uvloop" if UVLOOP else "asyncio")
    assert eventloop.chosen("asyncio") == "asyncio"
    with pytest.raises(ValueError, match="unknown event loop 'trio'"):
        eventloop.chosen("trio")


def test_asking_for_uvloop_without_it_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match="uvloop is not installed"):
        eventloop.chosen("uvloop")
    assert eventloop.chosen("auto") == "asyncio"


@pytest.mark.parametrize("loop", ["asyncio", "auto"])
def test_the_server_runs_on_the_loop_it_names(tmp_path, loop):
    server = ServerProcess(tmp_path, extra_args=("--loop", loop), name=loop).start()
    try:
        expected = "uvloop" if loop == "auto" and UVLOOP else "asyncio"
        assert f"event loop {expected}" in server.log()
        events = stream(server, "t", "dynamic_breakpoints", {"input": "hello"})
        assert end_status(events) == enums_pb2.RUN_STATUS_SUCCESS
        assert len(values(events)) == 4
    finally:
        server.stop()
