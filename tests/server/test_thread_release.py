"""A run's end means its thread is free: the documented human-in-the-loop sequence (stream
to the interrupt, update the state, resume) never finds the thread busy.

The `late_release` graph's engine says it has stopped 0.3 s after its last event, which
holds the window between a run's last event and its thread's release open: before, the
end was announced first and an UpdateState sent on it was refused THREAD_BUSY.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from wire import end_status, get_state, stream, update_state

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2

pytestmark = pytest.mark.timeout(60)
SPEC = f"late={Path(__file__).parent / 'graphs' / 'late_release.py'}:graph"


def test_update_and_resume_right_after_the_end_never_find_the_thread_busy(spawn_server, tid):
    server = spawn_server(graphs=(SPEC,))
    for round_ in range(3):
        thread = tid(str(round_))
        events = stream(server, thread, "late", {"input": "hello"})
        assert end_status(events) == enums_pb2.RUN_STATUS_INTERRUPTED
        # Sent the moment the end arrived, inside the engine's late release.
        update_state(server, thread, {"input": "foo"})
        resume = runs_service_pb2.StreamRunRequest(
            thread_id=thread, graph_id="late", stream_modes=[enums_pb2.STREAM_MODE_VALUES]
        )
        resume.command.resume.CopyFrom(convert.to_value("yes"))
        ended = [r.event for r in server.runs.StreamRun(resume, timeout=30)]
        assert end_status(ended) == enums_pb2.RUN_STATUS_SUCCESS
        state = get_state(server, thread)
        assert convert.from_struct(state.values) == {"input": "foo", "answer": "yes"}
