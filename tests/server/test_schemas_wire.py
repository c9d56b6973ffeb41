"""A graph with a Pydantic state, a private channel and an output schema, served."""

from __future__ import annotations

import pytest
from wire import end_status, get_state, kinds, stream, values

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2

pytestmark = pytest.mark.timeout(60)


def test_pydantic_state_graph_runs_and_reads_over_the_wire(server, tid):
    t = tid()
    events = stream(server, t, "ticket", {"title": "printer", "unknown": 1})
    assert kinds(events)[-1] == "end"
    assert values(events)[-1] == {
        "title": "printer",
        "priority": 2,
        "labels": ["triaged", "queue:desk"],
        "queue": "desk",
    }
    state = convert.from_struct(get_state(server, t).values)
    assert state == values(events)[-1]


def test_pydantic_state_graph_reports_a_bad_input(server, tid):
    events = stream(server, tid(), "ticket", {"priority": 1})
    assert kinds(events)[-2:] == ["error", "end"]
    assert end_status(events) == enums_pb2.RUN_STATUS_ERROR
    assert "title" in events[-2].error.message  # the field Pydantic found missing
