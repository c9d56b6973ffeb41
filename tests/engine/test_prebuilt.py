"""lockstep.prebuilt called directly: input shapes, parallel calls, error handling.

(The scenarios compare ToolNode and tools_condition inside graphs with LangGraph's.)
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Annotated

import pytest

pytest.importorskip("langchain_core")

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402

from lockstep.prebuilt import (  # noqa: E402
    InjectedState,
    ToolInvocationError,
    ToolNode,
    tools_condition,
)
from lockstep.types import Command  # noqa: E402


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def fail(x: str) -> str:
    """Always fails."""
    raise RuntimeError(f"broken {x}")


def ask(*calls: tuple[str, dict]) -> AIMessage:
    return AIMessage(
        "", tool_calls=[{"name": n, "args": a, "id": f"c{i}"} for i, (n, a) in enumerate(calls)]
    )


def test_input_shapes_give_matching_outputs():
    node = ToolNode([add])
    msg = ask(("add", {"a": 1, "b": 2}))
    out = node.invoke({"messages": [HumanMessage("hi"), msg]})
    assert [(m.content, m.tool_call_id, m.name) for m in out["messages"]] == [("3", "c0", "add")]
    assert [m.content for m in node.invoke([msg])] == ["3"]
    direct = [{"name": "add", "args": {"a": 2, "b": 2}, "id": "x", "type": "tool_call"}]
    assert [m.content for m in node.invoke(direct)] == ["4"]
    custom = ToolNode([add], messages_key="chat").invoke({"chat": [msg]})
    assert list(custom) == ["chat"]
    with pytest.raises(ValueError, match="No AIMessage"):
        node.invoke({"messages": [HumanMessage("x")]})
    with pytest.raises(ValueError, match="No message"):
        node.invoke({"messages": []})


def test_plain_functions_become_tools_and_calls_run_in_parallel():
    started = threading.Barrier(3, timeout=5)

    def wait(n: int) -> int:
        """Meets the other calls before answering."""
        started.wait()
        return n

    out = ToolNode([wait]).invoke([ask(("wait", {"n": 1}), ("wait", {"n": 2}), ("wait", {"n": 3}))])
    assert [m.content for m in out] == ["1", "2", "3"]


def test_async_calls_run_concurrently():
    @tool
    async def slow(n: int) -> int:
        """Sleeps a little."""
        await asyncio.sleep(0.5)
        return n

    start = time.perf_counter()
    out = asyncio.run(ToolNode([slow]).ainvoke([ask(*[("slow", {"n": i}) for i in range(5)])]))
    assert [m.content for m in out] == ["0", "1", "2", "3", "4"]
    assert time.perf_counter() - start < 2.0  # one after another: 2.5 s


def test_default_error_handling():
    node = ToolNode([add, fail])
    bad_args = node.invoke([ask(("add", {"a": "x"}))])[0]
    assert bad_args.status == "error" and bad_args.content.startswith("Error invoking tool 'add'")
    assert "b: Field required" in bad_args.content
    unknown = node.invoke([ask(("nope", {}))])[0]
    assert unknown.content == "Error: nope is not a valid tool, try one of [add, fail]."
    with pytest.raises(RuntimeError, match="broken y"):
        node.invoke([ask(("fail", {"x": "y"}))])
    with pytest.raises(ToolInvocationError):
        ToolNode([add], handle_tool_errors=False).invoke([ask(("add", {}))])


def test_configured_error_handling():
    def only_value_errors(error: ValueError) -> str:
        return "value"

    call = [ask(("fail", {"x": "y"}))]
    assert ToolNode([fail], handle_tool_errors="sorry").invoke(call)[0].content == "sorry"
    assert "RuntimeError('broken y')" in ToolNode([fail], handle_tool_errors=True).invoke(call)[0].content
    assert ToolNode([fail], handle_tool_errors=RuntimeError).invoke(call)[0].status == "error"
    handled = ToolNode([fail], handle_tool_errors=lambda e: f"got {e}").invoke(call)[0]
    assert handled.content == "got broken y"
    for handler in (ValueError, (KeyError, ValueError), only_value_errors):
        with pytest.raises(RuntimeError):
            ToolNode([fail], handle_tool_errors=handler).invoke(call)


def test_a_tool_may_return_a_command():
    @tool
    def finish(reason: str) -> Command:
        """Ends with a state update."""
        return Command(update={"done": reason})

    out = ToolNode([finish, add]).invoke(
        {"messages": [ask(("finish", {"reason": "ok"}), ("add", {"a": 1, "b": 1}))]}
    )
    assert out[0] == Command(update={"done": "ok"})
    assert [m.content for m in out[1]["messages"]] == ["2"]


def test_a_command_answering_the_call_with_an_injected_id():
    @tool
    def set_name(name: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
        """Sets the user's name."""
        return Command(update={"name": name, "messages": [ToolMessage("ok", tool_call_id=tool_call_id)]})

    [command] = ToolNode([set_name]).invoke({"messages": [ask(("set_name", {"name": "bo"}))]})
    [answer] = command.update["messages"]
    assert (command.update["name"], answer.tool_call_id, answer.name) == ("bo", "c0", "set_name")


def test_unknown_argument_is_a_type_error():
    with pytest.raises(TypeError, match="wrap_tool_calls"):
        ToolNode([add], wrap_tool_calls=lambda r, h: h(r))


def test_tools_condition():
    assert tools_condition({"messages": [ask(("add", {}))]}) == "tools"
    assert tools_condition({"messages": [AIMessage("done")]}) == "__end__"
    assert tools_condition([ToolMessage("r", tool_call_id="1")]) == "__end__"
    assert tools_condition({"chat": [ask(("add", {}))]}, messages_key="chat") == "tools"
    with pytest.raises(ValueError, match="No messages found"):
        tools_condition({"messages": []})


def test_a_tool_nobody_watches_gives_what_invoke_gives():
    """Without callbacks or tracing a plain tool is called directly; with a handler
    listening it goes through tool.invoke, and the handler sees the tool run."""
    from langchain_core.callbacks import BaseCallbackHandler

    @tool
    def describe(name: str, times: int = 2) -> dict:
        """Returns a dict (made JSON text in the message)."""
        return {"name": name * times}

    class Seen(BaseCallbackHandler):
        def __init__(self):
            self.tools = []

        def on_tool_start(self, serialized, input_str, **kwargs):
            self.tools.append(serialized["name"])

    call = ask(("describe", {"name": "ab"}))
    direct = ToolNode([describe]).invoke([call])[0]
    seen = Seen()
    watched = ToolNode([describe]).invoke([call], {"callbacks": [seen]})[0]
    by_hand = describe.invoke({**call.tool_calls[0], "type": "tool_call"})
    for message in (direct, watched):
        assert (message.content, message.name, message.tool_call_id, message.status) == (
            by_hand.content,
            by_hand.name,
            by_hand.tool_call_id,
            by_hand.status,
        )
    assert seen.tools == ["describe"]


def test_async_tools_called_directly_give_what_ainvoke_gives():
    @tool
    async def shout(text: str) -> list:
        """Async tool returning a list (made JSON text)."""
        return [text.upper()]

    call = ask(("shout", {"text": "hey"}))
    direct = asyncio.run(ToolNode([shout]).ainvoke([call]))[0]
    by_hand = asyncio.run(shout.ainvoke({**call.tool_calls[0], "type": "tool_call"}))
    assert (direct.content, direct.name, direct.tool_call_id) == (
        by_hand.content,
        by_hand.name,
        by_hand.tool_call_id,
    )
    # A sync tool under ainvoke goes through langchain-core (which runs it in a thread).
    assert asyncio.run(ToolNode([add]).ainvoke([ask(("add", {"a": 1, "b": 5}))]))[0].content == "6"


def test_injected_state_is_given_by_the_node_not_the_model():
    @tool
    def whoami(q: str, state: Annotated[dict, InjectedState]) -> str:
        """Reads the whole state."""
        return f"{q}:{state['user']}:{len(state['messages'])}"

    @tool
    def user_only(user: Annotated[str, InjectedState("user")]) -> str:
        """Reads one key."""
        return f"u={user}"

    assert list(whoami.tool_call_schema.model_fields) == ["q"]  # the model is not asked
    state = {"user": "bob", "messages": [ask(("whoami", {"q": "x"}), ("user_only", {}))]}
    out = ToolNode([whoami, user_only]).invoke(state)
    assert [m.content for m in out["messages"]] == ["x:bob:1", "u=bob"]
    bad = ToolNode([whoami]).invoke({"user": "b", "messages": [ask(("whoami", {}))]})
    assert bad["messages"][0].content.startswith("Error invoking tool 'whoami' with kwargs {}")


def test_langgraphs_own_tool_node_runs_as_a_lockstep_node(driver):
    """LangGraph's prebuilt ToolNode (and tools_condition) in a Lockstep graph give
    what Lockstep's own do: it reads the run's Runtime from its config."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langgraph.prebuilt import InjectedState as LGInjectedState
    from langgraph.prebuilt import ToolNode as LGToolNode
    from langgraph.prebuilt import tools_condition as lg_tools_condition
    from support import run

    from lockstep import START
    from lockstep.graph import MessagesState, StateGraph

    def build(tool_node, condition, injected):
        def greet(name, state):
            """Greets, saying how long the chat is."""
            return f"hi {name} ({len(state['messages'])})"

        # (set by hand: this module's annotations are strings, `injected` a local)
        greet.__annotations__ = {"name": str, "state": Annotated[dict, injected], "return": str}
        greet = tool(greet)

        model = GenericFakeChatModel(
            messages=iter(
                [
                    AIMessage("", tool_calls=[{"name": "greet", "args": {"name": "a"}, "id": "1"}]),
                    AIMessage("done"),
                ]
            )
        )
        b = StateGraph(MessagesState)
        b.add_node("agent", lambda s: {"messages": [model.invoke(s["messages"])]})
        b.add_node("tools", tool_node([greet]))
        b.add_edge(START, "agent")
        b.add_conditional_edges("agent", condition)
        b.add_edge("tools", "agent")
        return b.compile()

    def contents(app):
        out = run(app, {"messages": [("user", "go")]}, None, driver=driver, stream_mode="values")
        return [(m.type, m.content) for m in out[-1]["messages"]]

    ours = contents(build(ToolNode, tools_condition, InjectedState))
    theirs = contents(build(LGToolNode, lg_tools_condition, LGInjectedState))
    assert ours == theirs == [("human", "go"), ("ai", ""), ("tool", "hi a (2)"), ("ai", "done")]
