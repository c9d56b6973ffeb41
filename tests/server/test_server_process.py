"""The test helper that starts real servers never leaves one behind, whatever fails."""

from __future__ import annotations

import pytest
import server_process
from server_process import ServerProcess

pytestmark = pytest.mark.timeout(60)


class Boom(Exception):
    """What a test's own failure (or a timeout's interrupt) looks like to the helper."""


def test_a_start_up_that_fails_after_the_process_started_stops_it(tmp_path, monkeypatch):
    def failing_health_stub(channel):
        raise Boom("the health check could not be made")

    monkeypatch.setattr(server_process.health_pb2_grpc, "HealthStub", failing_health_stub)
    server = ServerProcess(tmp_path, store="memory://", graphs=())
    with pytest.raises(Boom):
        server.start()
    assert server.proc is not None  # it had started: the address was printed
    assert server.address
    assert server.proc.poll() is not None, "the half-started server is still running"


def test_a_failure_inside_the_with_block_stops_the_server(tmp_path):
    with pytest.raises(Boom), ServerProcess(tmp_path, store="memory://", graphs=()) as server:
        assert server.proc.poll() is None
        raise Boom("the test failed")
    assert server.proc.poll() is not None, "the server outlived the block that failed"
