"""Test graph: a chat turn for the messages, tasks and checkpoints modes and a run's
context. The model streams its reply token by token; the next node returns a tool
call and the tool its result, messages no model streamed. Served, and built in
process by the wire tests (`build`) to compare the two transcripts."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolMessage

from lockstep import END, START, StateGraph
from lockstep.graph import MessagesState
from lockstep.runtime import Runtime


@dataclass
class Who:
    user: str = "nobody"


def reply(state: MessagesState, runtime: Runtime[Who]):
    user = runtime.context.user if runtime.context is not None else "nobody"  # None: none given
    model = GenericFakeChatModel(messages=iter([f"Hello {user}, how are you"]))
    return {"messages": [model.invoke(state["messages"])]}


def call_tool(state: MessagesState):
    call = {"name": "lookup", "args": {"q": "weather", "days": 2}, "id": "call_1"}
    return {"messages": [AIMessage("", id="ai-call", tool_calls=[call])]}


def tool(state: MessagesState):
    return {"messages": [ToolMessage("sunny", tool_call_id="call_1", name="lookup", id="tool-1")]}


def build() -> StateGraph:
    builder = StateGraph(MessagesState, context_schema=Who)
    builder.add_node("reply", reply)
    builder.add_node("call_tool", call_tool)
    builder.add_node("tool", tool)
    builder.add_edge(START, "reply")
    builder.add_edge("reply", "call_tool")
    builder.add_edge("call_tool", "tool")
    builder.add_edge("tool", END)
    return builder


graph = build().compile()
