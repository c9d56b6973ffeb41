"""Lockstep's own side of chat state: without langchain-core, stored ids, messages mode."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest
from support import run

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402

from lockstep import START, StateGraph  # noqa: E402
from lockstep.graph import MessagesState, add_messages  # noqa: E402

# langchain-core made unimportable: None in sys.modules makes `import` raise ImportError.
WITHOUT_LANGCHAIN = """
import sys
sys.modules["langchain_core"] = None
from typing import Annotated, TypedDict
from lockstep import START, StateGraph
from lockstep.graph import MessagesState, add_messages

class Chat(TypedDict):
    messages: Annotated[list, add_messages]

for schema in (Chat, MessagesState):
    b = StateGraph(schema)
    b.add_node("a", lambda s: {"messages": [("ai", "hi")]})
    b.add_edge(START, "a")
    app = b.compile()
    try:
        app.invoke({"messages": []})
    except ImportError as exc:
        print("ImportError:", exc)
try:
    import lockstep.prebuilt
except ImportError as exc:
    print("ImportError:", exc)
try:
    list(app.stream({"messages": []}, stream_mode="messages"))
except ImportError as exc:
    print("ImportError:", exc)
"""


def test_without_langchain_core_schemas_build_and_use_says_what_to_install():
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_LANGCHAIN], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(out) == 4
    for line in out:
        assert line.startswith("ImportError:") and "pip install 'lockstep[langchain]'" in line


def test_engine_imports_no_langchain():
    code = (
        "import sys, lockstep, lockstep.graph, lockstep.checkpoint\n"
        "print(any(m.startswith('langchain') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_stored_message_ids_do_not_change_on_reads(saver):
    """add_messages gives ids to messages that come without one; a checkpoint keeps
    the merged list, so every read of the thread (and its history) sees the same ids."""
    b = StateGraph(MessagesState)
    b.add_node("echo", lambda s: {"messages": [("ai", f"echo {len(s['messages'])}")]})
    b.add_edge(START, "echo")
    app = b.compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "t"}}
    for turn in range(12):
        app.invoke({"messages": [("user", f"turn {turn}")]}, cfg)
    first = [m.id for m in app.get_state(cfg).values["messages"]]
    again = [m.id for m in app.get_state(cfg).values["messages"]]
    assert len(first) == 24 and len(set(first)) == 24 and first == again
    history = [[m.id for m in s.values.get("messages", [])] for s in app.get_state_history(cfg)]
    for older in history:
        assert older == first[: len(older)]


def test_add_messages_with_a_format_is_a_reducer():
    reducer = add_messages(format="langchain-openai")
    assert [m.content for m in reducer([("user", "a")], [("ai", "b")])] == ["a", "b"]
    with pytest.raises(ValueError, match="format='html'"):
        add_messages(format="html")
    with pytest.raises(TypeError, match="fmt"):
        add_messages([], [], fmt=None)


def test_messages_mode_through_both_drivers(driver):
    model = GenericFakeChatModel(messages=iter(["one two", "three"]))

    def chat(state):
        return {"messages": [model.invoke(state["messages"])]}

    b = StateGraph(MessagesState)
    b.add_node("chat", chat)
    b.add_node("done", lambda s: {"messages": [AIMessage("bye")]})
    b.add_edge(START, "chat")
    b.add_edge("chat", "done")
    app = b.compile()
    out = run(app, {"messages": [("user", "hi")]}, None, driver=driver, stream_mode="messages")
    assert [(m.content, meta["langgraph_node"]) for m, meta in out] == [
        ("one", "chat"),
        (" ", "chat"),
        ("two", "chat"),
        ("bye", "done"),
    ]
    assert out[0][0].id == out[2][0].id  # the chunks of one reply share its id
    # Nothing of messages mode is left behind for the next run that does not ask for it.
    assert run(app, {"messages": [("user", "hi")]}, None, driver=driver)[0]["chat"]


def test_history_read_back_is_what_the_run_saw(saver):
    """Each checkpoint of a chat read back (kept as the writes of its steps, merged
    again) holds the very messages, ids included, the run streamed at that step:
    through appends, replacements, removals, a remove-all and an id used again."""
    from langchain_core.messages import HumanMessage, RemoveMessage

    from lockstep.graph.message import REMOVE_ALL_MESSAGES

    script = [
        [("user", "a"), ("ai", "b")],
        [HumanMessage("c", id="c")],
        [HumanMessage("c2", id="c"), ("ai", "d")],  # replaces c in place
        [RemoveMessage(id="c")],
        [HumanMessage("c3", id="c")],  # the removed id, used again
        [RemoveMessage(id=REMOVE_ALL_MESSAGES), ("system", "fresh")],
        [("ai", "e"), ("ai", "f"), ("ai", "g")],
    ]

    def node(state):
        return {"messages": script[len(seen) - 1]}

    b = StateGraph(MessagesState)
    b.add_node("step", node)
    b.add_edge(START, "step")
    app = b.compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "h"}}
    seen: list[list[tuple[str, str]]] = []
    for _ in script:
        seen.append(None)  # the node picks its script line by the turn's number
        values = run(app, {"messages": []}, cfg, stream_mode="values")
        seen[-1] = [(m.id, m.content) for m in values[-1]["messages"]]
    history = [
        [(m.id, m.content) for m in s.values["messages"]]
        for s in app.get_state_history(cfg)
        if s.metadata["source"] == "loop" and not s.next
    ]
    assert history[::-1] == seen
    assert seen[-1][0][1] == "fresh" and [c for _, c in seen[-1]] == ["fresh", "e", "f", "g"]


def test_chat_model_events_from_the_same_handler():
    """The handler messages mode uses also gives astream_events' chat model events,
    shaped as LangChain's (parent ids are the events side's to add)."""
    from types import SimpleNamespace

    from langchain_core.messages import HumanMessage

    from lockstep.pregel.chat import ChatStream

    events: list[dict] = []
    pairs: list[tuple] = []
    stream = ChatStream(
        {"configurable": {"thread_id": "t"}},
        emit_event=events.append,
        emit_message=lambda m, meta: pairs.append((m.content, meta["langgraph_node"])),
    )
    task = SimpleNamespace(
        name="chat", id="task-1", triggers=("branch:to:chat",), path=("__pregel_pull", "chat"),
        input={"messages": []},
    )
    model = GenericFakeChatModel(messages=iter(["hi there"]))
    # A run's loop as the chat stream reads it: step 2 done, so the task runs in 3.
    loop = SimpleNamespace(step=2, checkpoint_ns="", graph=SimpleNamespace(nodes={}))
    config, token = stream.enter(task, loop)
    try:
        reply = model.invoke([HumanMessage("yo")])
    finally:
        stream.leave(token)
    assert [e["event"] for e in events] == ["on_chat_model_start"] + ["on_chat_model_stream"] * 3 + [
        "on_chat_model_end"
    ]
    assert {e["name"] for e in events} == {"GenericFakeChatModel"}
    assert len({e["run_id"] for e in events}) == 1
    start, end = events[0], events[-1]
    assert start["data"]["input"]["messages"][0][0].content == "yo"
    assert [e["data"]["chunk"].content for e in events[1:-1]] == ["hi", " ", "there"]
    assert end["data"]["output"].content == "hi there" == reply.content
    meta = start["metadata"]
    assert (meta["langgraph_node"], meta["langgraph_step"], meta["thread_id"]) == ("chat", 3, "t")
    assert meta["checkpoint_ns"] == "chat:task-1" and meta["ls_provider"] == "genericfakechatmodel"
    assert pairs == [("hi", "chat"), (" ", "chat"), ("there", "chat")]
    assert config["metadata"]["langgraph_node"] == "chat"


def _streaming_node(seen_first: threading.Event):
    model = GenericFakeChatModel(messages=iter(["a b c"]))

    def chat(state):
        parts = []
        for chunk in model.stream(state["messages"]):
            parts.append(chunk.content)
            if len(parts) == 1 and not seen_first.wait(10):
                raise AssertionError("the first token was not yielded while the node ran")
        return {"messages": [AIMessage("".join(parts))]}

    return chat


def test_tokens_are_yielded_while_the_node_runs(driver):
    """A caller gets each token as the model makes it, not when the node returns."""
    seen_first = threading.Event()
    b = StateGraph(MessagesState)
    b.add_node("chat", _streaming_node(seen_first))
    b.add_edge(START, "chat")
    app = b.compile()
    got = []

    def take(item):
        got.append(item[0].content)
        seen_first.set()

    if driver == "stream":
        for item in app.stream({"messages": [("user", "hi")]}, stream_mode="messages"):
            take(item)
    else:

        async def consume():
            async for item in app.astream({"messages": [("user", "hi")]}, stream_mode="messages"):
                take(item)

        asyncio.run(consume())
    assert got == ["a", " ", "b", " ", "c", "a b c"]


def test_async_node_tokens_are_yielded_while_it_runs():
    seen_first = asyncio.Event()
    model = GenericFakeChatModel(messages=iter(["x y"]))

    async def chat(state):
        parts = []
        async for chunk in model.astream(state["messages"]):
            parts.append(chunk.content)
            if len(parts) == 1:
                await asyncio.wait_for(seen_first.wait(), 10)
        return {"messages": [AIMessage("".join(parts))]}

    b = StateGraph(MessagesState)
    b.add_node("chat", chat)
    b.add_edge(START, "chat")
    app = b.compile()

    async def consume():
        got = []
        async for message, _ in app.astream({"messages": [("user", "hi")]}, stream_mode="messages"):
            got.append(message.content)
            seen_first.set()
        return got

    assert asyncio.run(consume()) == ["x", " ", "y", "x y"]
