"""types: wire messages become the engine-shaped dataclasses; the SDK never imports the engine."""

from __future__ import annotations

import subprocess
import sys

from lockstep_api.convert import to_struct
from lockstep_api.v1 import enums_pb2, message_pb2
from lockstep_client.types import (
    GraphInfo,
    event_from_proto,
    graph_from_proto,
    metadata_from_proto,
    run_from_proto,
    thread_from_proto,
)


def test_sdk_does_not_import_the_engine():
    code = (
        "import sys, lockstep_client; "
        "bad = [m for m in sys.modules if m == 'lockstep' or m.startswith('lockstep.')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_thread_and_run_statuses_are_short_names():
    thread = message_pb2.Thread(
        thread_id="t", status=enums_pb2.THREAD_STATUS_INTERRUPTED, metadata=to_struct({"k": 1})
    )
    out = thread_from_proto(thread)
    assert (out.status, out.metadata, out.values, out.created_at) == (
        "interrupted",
        {"k": 1},
        None,
        None,
    )
    run = message_pb2.Run(
        run_id="r",
        status=enums_pb2.RUN_STATUS_CANCELLED,
        multitask_strategy=enums_pb2.MULTITASK_STRATEGY_ROLLBACK,
        error=message_pb2.RunError(message="m", node="n", code=2, error_type="E"),
    )
    got = run_from_proto(run)
    assert (got.status, got.multitask_strategy, got.error.node) == ("cancelled", "rollback", "n")
    assert run_from_proto(message_pb2.Run()).status == ""


def test_metadata_keeps_extra_keys_but_the_fixed_ones_win():
    md = message_pb2.CheckpointMetadata(
        source=enums_pb2.CHECKPOINT_SOURCE_INPUT,
        step=-1,
        extra=to_struct({"run_id": "r", "step": 9}),
    )
    md.parents["sub"] = "cp-0"
    assert metadata_from_proto(md) == {
        "run_id": "r",
        "source": "input",
        "step": -1,
        "parents": {"sub": "cp-0"},
    }


def test_graph_conversion():
    g = message_pb2.Graph(graph_id="g", interrupt_before=["a"], mermaid="graph TD")
    g.nodes.add(name="a")
    g.edges.add(source="__start__", target="a")
    g.state_keys.add(name="items", reducer="operator.add", type="list[str]")
    info = graph_from_proto(g)
    assert isinstance(info, GraphInfo) and info.nodes[0].name == "a"
    assert info.edges[0].conditional is False and info.state_keys[0].reducer == "operator.add"
    assert info.interrupt_before == ("a",) and info.state_schema is None


def test_unknown_event_kind_does_not_crash():
    assert event_from_proto(message_pb2.RunEvent()).event == "unknown"


def test_messages_become_langchain_objects_or_stay_dicts(monkeypatch):
    from lockstep_client import messages

    chunk = {"type": "AIMessageChunk", "content": "Hel", "id": "m1", "tool_call_chunks": []}
    made = messages.message_from_dict(chunk)
    assert type(made).__name__ == "AIMessageChunk" and (made.content, made.id) == ("Hel", "m1")
    assert messages.message_from_dict({"type": "nope", "content": "x"}) == {"type": "nope", "content": "x"}
    assert messages.message_from_dict("text") == "text"
    # without langchain-core (an optional dependency of the SDK) every message stays a dict
    monkeypatch.setitem(sys.modules, "langchain_core", None)
    messages._classes.cache_clear()
    try:
        assert messages.message_from_dict(chunk) == chunk
    finally:
        messages._classes.cache_clear()
