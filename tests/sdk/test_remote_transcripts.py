"""The same graph run in process and through RemoteGraph against a live server:
what a user sees must be the same, event for event, in every stream mode the wire
carries (messages, tasks, checkpoints, values, updates), with the run's context and
with subgraphs=True namespaces; and a RemoteGraph works as a node of a local graph.

Generated ids (checkpoints, tasks, message ids a model makes) differ between two
runs, so `norm` replaces them; messages are compared as their fields.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from transcripts import norm

pytest.importorskip("langchain_core")

from langchain_core.messages import AIMessageChunk, ToolMessage  # noqa: E402

from lockstep import END, START, StateGraph  # noqa: E402
from lockstep.checkpoint import MemorySaver  # noqa: E402
from lockstep.graph import MessagesState  # noqa: E402
from lockstep_client import Client  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server" / "graphs"))
import chat  # noqa: E402

pytestmark = pytest.mark.timeout(120)

def local_chat():
    return chat.build().compile(checkpointer=MemorySaver())


@pytest.fixture
def remote(server):
    with Client(server.address) as client:
        yield client.graph("chat")


ALL_MODES = ["values", "updates", "messages", "tasks", "checkpoints"]


@pytest.mark.parametrize("subgraphs", [False, True])
def test_every_mode_with_context_matches_in_process(remote, tid, subgraphs):
    thread = {"configurable": {"thread_id": tid()}}
    run = dict(stream_mode=ALL_MODES, context={"user": "Ann"}, subgraphs=subgraphs)
    inputs = {"messages": [{"role": "user", "content": "hi", "id": "m1"}]}
    here = list(local_chat().stream(inputs, thread, **run))
    there = list(remote.stream(inputs, thread, **run))
    assert norm(there) == norm(here)
    modes = [chunk[-2] for chunk in there]
    assert set(modes) == set(ALL_MODES)
    if subgraphs:  # a flat graph's events all come from the root namespace
        assert {chunk[0] for chunk in there} == {()}
    # the context reached the node, and the reply streamed token by token
    tokens = [c[-1][0] for c in there if c[-2] == "messages" and c[-1][1]["langgraph_node"] == "reply"]
    assert len(tokens) > 3 and all(isinstance(t, AIMessageChunk) for t in tokens)
    assert "".join(t.content for t in tokens) == "Hello Ann, how are you"


def test_messages_mode_yields_langchain_messages_with_their_metadata(remote, tid):
    thread = {"configurable": {"thread_id": tid()}}
    inputs = {"messages": [{"role": "user", "content": "hi", "id": "m1"}]}
    there = list(remote.stream(inputs, thread, stream_mode="messages", context={"user": "Bo"}))
    here = list(local_chat().stream(inputs, thread, stream_mode="messages", context={"user": "Bo"}))
    assert norm(there) == norm(here)
    call = next(m for m, _ in there if getattr(m, "tool_calls", None))
    assert call.tool_calls == [
        {"name": "lookup", "args": {"q": "weather", "days": 2}, "id": "call_1", "type": "tool_call"}
    ]
    result, meta = there[-1]
    assert isinstance(result, ToolMessage) and result.tool_call_id == "call_1"
    assert meta["langgraph_node"] == "tool" and meta["langgraph_step"] == 3


def test_a_run_without_context_has_none_and_one_with_it_has_the_schema(remote, tid):
    thread = {"configurable": {"thread_id": tid()}}
    out = remote.invoke({"messages": [("user", "hi")]}, thread)
    assert out["messages"][1]["content"] == "Hello nobody, how are you"
    # a dataclass context travels as its fields and is made the context_schema again
    again = {"configurable": {"thread_id": tid("2")}}
    out = remote.invoke({"messages": [("user", "hi")]}, again, context=chat.Who("Cy"))
    assert out["messages"][1]["content"] == "Hello Cy, how are you"


def test_exit_durability_keeps_the_same_history_as_in_process(remote, tid):
    thread = {"configurable": {"thread_id": tid()}}
    inputs = {"messages": [{"role": "user", "content": "hi", "id": "m1"}]}
    graph = local_chat()
    here = list(graph.stream(inputs, thread, durability="exit"))
    there = list(remote.stream(inputs, thread, stream_mode="updates", durability="exit"))
    assert norm(there) == norm(here)
    local = [(s.metadata["step"], s.next) for s in graph.get_state_history(thread)]
    served = [(s.metadata["step"], s.next) for s in remote.get_state_history(thread)]
    assert served == local
    assert len(served) < 5  # not one checkpoint per step


def test_remote_graph_as_a_node_of_a_local_graph(server, tid):
    """As LangGraph allows: the remote graph is the node; it runs on the server's
    thread of the parent's thread id, and its result is the node's update."""
    thread_id = tid()
    with Client(server.address) as client:
        builder = StateGraph(MessagesState)
        builder.add_node(client.graph("chat"))
        builder.add_node("done", lambda state: {"messages": [("ai", "that was remote")]})
        builder.add_edge(START, "chat")
        builder.add_edge("chat", "done")
        builder.add_edge("done", END)
        parent = builder.compile(checkpointer=MemorySaver())
        config = {"configurable": {"thread_id": thread_id}}
        out = parent.invoke({"messages": [("user", "hi")]}, config)
        assert [m.content for m in out["messages"]] == [
            "hi",
            "Hello nobody, how are you",
            "",
            "sunny",
            "that was remote",
        ]
        assert isinstance(out["messages"][3], ToolMessage)
        served = client.threads.get_state(thread_id)
        assert served.config["configurable"]["checkpoint_ns"] == ""
        assert [m["content"] for m in served.values["messages"]] == [
            "hi",
            "Hello nobody, how are you",
            "",
            "sunny",
        ]
        assert parent.get_state(config).next == ()
