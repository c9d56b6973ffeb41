"""RemoteGraph rebuilds LangGraph 1.x chunks from the server's events, and both clients send
what they are given (against a fake server; every test runs on Client and AsyncClient)."""

from __future__ import annotations

import dataclasses
from typing import Any

import grpc
import pytest
from sdk_fake import THREAD, ev, ref, snapshot

from lockstep_api.convert import from_struct, from_value, to_value
from lockstep_api.v1 import enums_pb2, message_pb2
from lockstep_client import (
    Interrupt,
    InvalidArgumentError,
    NotFoundError,
    PregelTask,
    RunFailedError,
    StreamPart,
)

DURING, BEFORE = enums_pb2.INTERRUPT_WHEN_DURING, enums_pb2.INTERRUPT_WHEN_BEFORE
INTERRUPTED, SUCCESS = enums_pb2.RUN_STATUS_INTERRUPTED, enums_pb2.RUN_STATUS_SUCCESS
IID = "0123456789abcdef0123456789abcdef"
MSG = "Received input that is longer than 5 characters: hello world"
CONFIG = {"configurable": {"thread_id": THREAD}}
HW = {"input": "hello world"}


@pytest.fixture
def client(connect, target):
    """Client or AsyncClient (see both.py): each test here runs on both."""
    return connect(target, token="s3cret", timeout=10)


@pytest.fixture
def graph(client):
    return client.graph("dynamic_breakpoints")


def dynamic_interrupt_run(fake):
    fake.events = [
        ev(values=HW),
        ev(updates=("step_1", HW)),
        ev(values=HW),
        ev(interrupt=(MSG, IID, "step_2", DURING)),
        ev(end=INTERRUPTED),
    ]


def test_values_mode_folds_a_dynamic_interrupt_into_a_last_chunk(fake, graph):
    dynamic_interrupt_run(fake)
    chunks = list(graph.stream(HW, CONFIG, stream_mode="values"))
    assert chunks == [HW, HW, {**HW, "__interrupt__": (Interrupt(value=MSG, id=IID),)}]
    intr = chunks[-1]["__interrupt__"][0]
    assert (intr.node, intr.when) == ("step_2", "during")
    assert repr(intr) == f"Interrupt(value={MSG!r}, id={IID!r})"


def test_updates_mode_yields_node_updates_then_the_interrupt(fake, graph):
    dynamic_interrupt_run(fake)
    chunks = list(graph.stream(HW, CONFIG, stream_mode="updates"))
    assert chunks == [{"step_1": HW}, {"__interrupt__": (Interrupt(value=MSG, id=IID),)}]


def test_several_modes_yield_tuples_updates_interrupt_first(fake, graph):
    dynamic_interrupt_run(fake)
    chunks = list(graph.stream(HW, CONFIG, stream_mode=["values", "updates"]))
    intr = (Interrupt(value=MSG, id=IID),)
    assert chunks == [
        ("values", HW),
        ("updates", {"step_1": HW}),
        ("values", HW),
        ("updates", {"__interrupt__": intr}),
        ("values", {**HW, "__interrupt__": intr}),
    ]
    req = fake.requests[-1]
    assert list(req.stream_modes) == [enums_pb2.STREAM_MODE_VALUES, enums_pb2.STREAM_MODE_UPDATES]


def test_a_list_of_one_mode_still_yields_tuples(fake, graph):
    fake.events = [ev(values={"a": 1}), ev(end=SUCCESS)]
    assert list(graph.stream({"a": 1}, CONFIG, stream_mode=["values"])) == [("values", {"a": 1})]


def test_static_breakpoint(fake, graph):
    fake.events = [
        ev(values={"input": "hi"}),
        ev(updates=("step_1", {"input": "hi"})),
        ev(values={"input": "hi"}),
        ev(interrupt=(None, "", "step_2", BEFORE)),
        ev(end=INTERRUPTED),
    ]
    assert list(graph.stream({"input": "hi"}, CONFIG)) == [{"input": "hi"}] * 2
    assert list(graph.stream({"input": "hi"}, CONFIG, "updates")) == [
        {"step_1": {"input": "hi"}},
        {"__interrupt__": ()},
    ]
    assert graph.invoke({"input": "hi"}, CONFIG) == {"input": "hi"}


def test_node_returning_none_is_a_none_update(fake, graph):
    fake.events = [ev(updates=("step_3", None)), ev(end=SUCCESS)]
    assert list(graph.stream(None, CONFIG, stream_mode="updates")) == [{"step_3": None}]
    assert not fake.requests[-1].HasField("input")  # None input = continue from the checkpoint


def test_custom_and_debug_modes(fake, graph):
    fake.events = [
        ev(values={"a": 1}),
        ev(custom={"progress": 1}),
        ev(debug={"type": "checkpoint", "step": 0}),
        ev(end=SUCCESS),
    ]
    assert list(graph.stream({"a": 1}, CONFIG, stream_mode="custom")) == [{"progress": 1}]
    assert list(graph.stream({"a": 1}, CONFIG, stream_mode=["debug", "custom"])) == [
        ("custom", {"progress": 1}),
        ("debug", {"type": "checkpoint", "step": 0}),
    ]


def test_error_event_raises_after_the_stream_naming_the_node(fake, graph):
    fake.events = [
        ev(values={"a": 1}),
        ev(error=("boom", "step_2")),
        ev(end=enums_pb2.RUN_STATUS_ERROR),
    ]
    seen = []
    with pytest.raises(RunFailedError) as info:
        for chunk in graph.stream({"a": 1}, CONFIG):
            seen.append(chunk)
    assert seen == [{"a": 1}]
    assert info.value.node == "step_2" and "step_2" in str(info.value)
    assert info.value.error_type == "ValueError" and info.value.run_id == "run-1"
    with pytest.raises(RunFailedError, match="step_2"):
        graph.invoke({"a": 1}, CONFIG)


def test_invoke_returns_the_last_values_with_interrupts_as_a_list(fake, graph):
    dynamic_interrupt_run(fake)
    assert graph.invoke(HW, CONFIG) == {**HW, "__interrupt__": [Interrupt(value=MSG, id=IID)]}


def test_unknown_stream_mode_fails_before_any_call(fake, graph):
    with pytest.raises(ValueError, match="unknown stream_mode 'events'"):
        graph.stream(HW, CONFIG, stream_mode="events")
    with pytest.raises(ValueError, match="unknown stream_mode"):
        graph.stream(HW, CONFIG, stream_mode=["values", "nope"])
    assert fake.requests == []


def test_request_carries_config_command_and_token(fake, graph):
    @dataclasses.dataclass
    class Command:  # shaped like lockstep.types.Command / langgraph.types.Command
        update: Any = None
        goto: Any = ()
        resume: Any = None
        graph: str | None = None

    fake.events = [ev(end=SUCCESS)]
    config = {
        "configurable": {"thread_id": "7", "checkpoint_id": "cp-3", "user": "ann"},
        "recursion_limit": 5,
        "callbacks": [object()],  # not JSON, not sent
    }
    list(graph.stream(Command(resume="yes"), config, interrupt_before=["step_3"]))
    req = fake.requests[-1]
    assert (req.thread_id, req.graph_id, req.checkpoint_id) == ("7", "dynamic_breakpoints", "cp-3")
    assert not req.HasField("input")
    assert from_value(req.command.resume) == "yes"
    assert list(req.interrupt_before) == ["step_3"]
    assert from_struct(req.config) == {"recursion_limit": 5, "configurable": {"user": "ann"}}
    assert fake.metadata[-1]["authorization"] == "Bearer s3cret"


def test_get_state_mirrors_the_engine_snapshot(fake, graph):
    snap = snapshot(HW, ("step_2",), "cp-2", 1, enums_pb2.CHECKPOINT_SOURCE_LOOP)
    snap.parent_checkpoint.CopyFrom(ref("cp-1"))
    intr = message_pb2.Interrupt(id=IID, value=to_value(MSG), node="step_2", when=DURING)
    snap.tasks.add(id="task-1", name="step_2", interrupts=[intr])
    snap.interrupts.append(intr)
    fake.state = snap
    state = graph.get_state(CONFIG)
    assert state.values == HW and state.next == ("step_2",)
    assert state.config == {
        "configurable": {"thread_id": THREAD, "checkpoint_ns": "", "checkpoint_id": "cp-2"}
    }
    assert state.parent_config["configurable"]["checkpoint_id"] == "cp-1"
    assert state.metadata == {"source": "loop", "step": 1, "parents": {}}
    assert state.created_at == "2024-05-06T07:08:09.123456+00:00"
    assert state.tasks == (
        PregelTask(id="task-1", name="step_2", interrupts=(Interrupt(value=MSG, id=IID),)),
    )
    assert state.tasks[0].error is None and state.tasks[0].interrupts[0].when == "during"
    assert state.interrupts == (Interrupt(value=MSG, id=IID),)
    assert not fake.requests[-1].HasField("checkpoint_id")


def test_update_state_returns_the_new_config(fake, graph):
    assert graph.update_state(CONFIG, None, as_node="step_2") == {
        "configurable": {"thread_id": THREAD, "checkpoint_ns": "", "checkpoint_id": "cp-new"}
    }
    req = fake.requests[-1]
    assert req.as_node == "step_2" and not req.HasField("values")
    graph.update_state(CONFIG, {"input": "foo"})
    assert from_struct(fake.requests[-1].values) == {"input": "foo"}


def history(fake, n=6):
    fake.history = [
        snapshot({"i": i}, (), f"cp-{i}", i, enums_pb2.CHECKPOINT_SOURCE_LOOP)
        for i in reversed(range(n))
    ]


def test_history_pages_transparently_newest_first(fake, client, graph):
    history(fake)
    steps = [s.metadata["step"] for s in client.threads.iter_history(THREAD, page_size=4)]
    assert steps == [5, 4, 3, 2, 1, 0]
    assert len(fake.requests) == 2  # two pages
    assert [s.values["i"] for s in graph.get_state_history(CONFIG)] == [5, 4, 3, 2, 1, 0]


def test_history_limit_and_before(fake, client, graph):
    history(fake)
    assert [s.values["i"] for s in graph.get_state_history(CONFIG, limit=2)] == [5, 4]
    assert fake.requests[-1].page_size == 2
    before = {"configurable": {"thread_id": THREAD, "checkpoint_id": "cp-4"}}
    assert [s.values["i"] for s in graph.get_state_history(CONFIG, before=before)] == [3, 2, 1, 0]
    assert [s.values["i"] for s in client.threads.get_history(THREAD, 1, "cp-2")] == [1]


def test_runs_stream_yields_stream_parts(fake, client):
    dynamic_interrupt_run(fake)
    parts = list(client.runs.stream(THREAD, "g", input=HW, stream_mode=["values", "updates"]))
    assert [p.event for p in parts] == [
        "metadata",
        "values",
        "updates",
        "values",
        "interrupt",
        "end",
    ]
    assert parts[0] == StreamPart(
        "metadata", {"run_id": "run-1", "thread_id": THREAD, "graph_id": "g"}
    )
    assert parts[2].data == {"step_1": HW}
    assert parts[4].data == Interrupt(value=MSG, id=IID) and parts[4].data.node == "step_2"
    assert parts[5].data.status == "interrupted"
    assert parts[5].data.checkpoint["configurable"]["checkpoint_id"] == "cp-end"


def test_runs_wait_raises_or_reports_the_error(fake, client):
    with pytest.raises(RunFailedError, match="step_2"):
        client.runs.wait(THREAD, "g", input={"n": 1})
    result = client.runs.wait(THREAD, "g", input={"n": 1}, raise_error=False)
    assert result.status == "error" and result.values == {"n": 1} and result.error.node == "step_2"


def test_runs_list_pages_up_to_limit(fake, client):
    assert [r.run_id for r in client.runs.list(page_size=2)] == ["r0", "r1", "r2", "r3", "r4"]
    assert [r.run_id for r in client.runs.list(page_size=2, limit=3)] == ["r0", "r1", "r2"]
    assert client.runs.list(limit=1)[0].status == "success"


def test_status_codes_surface_as_sdk_errors(fake, client):
    with pytest.raises(NotFoundError, match="thread 'nope' not found") as info:
        client.threads.get("nope")
    assert info.value.code is grpc.StatusCode.NOT_FOUND
    fake.abort = (grpc.StatusCode.INVALID_ARGUMENT, "unknown as_node 'x'")
    with pytest.raises(InvalidArgumentError):
        client.threads.update_state(THREAD, {}, as_node="x")
    with pytest.raises(InvalidArgumentError):  # errors in a stream too
        list(client.graph("g").stream({}, CONFIG))


def test_input_must_be_an_object(fake, client, graph):
    with pytest.raises(TypeError, match="input"):
        list(graph.stream("hello", CONFIG))
    with pytest.raises(TypeError, match="input: expected an object"):
        client.runs.stream(THREAD, "g", input=[1, 2])
    assert fake.requests == []


def test_interrupts_are_folded_in_even_if_the_stream_stops_without_end(fake, graph):
    fake.events = [ev(values=HW), ev(interrupt=(MSG, IID, "step_2", DURING))]
    assert list(graph.stream(HW, CONFIG))[-1] == {**HW, "__interrupt__": (Interrupt(MSG, IID),)}


def test_leaving_a_stream_early_cancels_the_call(fake, client):
    fake.events = [ev(values={"i": i}) for i in range(50)]
    stream = client.runs.stream(THREAD, "g", input={})
    assert next(stream).event == "metadata"
    stream.close()  # must not hang or raise
