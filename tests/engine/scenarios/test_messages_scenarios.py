"""Chat graphs: MessagesState and add_messages, messages mode, tools and their review.

Models are langchain-core's fake chat models (no network); each scenario makes its
own, as they hand out their canned replies once.
"""


from typing import Annotated, TypedDict

import pytest
from harness import compared, outcome

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import (  # noqa: E402
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import (  # noqa: E402
    AIMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)


def chatbot(lib, replies):
    """The docs' first chatbot: one node calling a model on the whole history."""
    model = GenericFakeChatModel(messages=iter(replies))

    def chat(state):
        return {"messages": [model.invoke(state["messages"])]}

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("chatbot", chat)
    graph.add_edge(lib.START, "chatbot")
    graph.add_edge("chatbot", lib.END)
    return graph


@compared
def test_chatbot_remembers_the_thread(lib):
    app = chatbot(lib, ["Hello Bob!", "Your name is Bob."]).compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    first = app.invoke({"messages": [("user", "Hi, I am Bob")]}, cfg)
    second = app.invoke({"messages": [{"role": "user", "content": "What is my name?"}]}, cfg)
    state = app.get_state(cfg)
    ids = [m.id for m in state.values["messages"]]
    return [first, second, state, len(set(ids)) == len(ids), all(ids)]


@compared
def test_add_messages_replaces_by_id_and_coerces(lib):
    class State(TypedDict):
        messages: Annotated[list, lib.add_messages]

    def rewrite(state):
        first = state["messages"][0]
        return {"messages": [HumanMessage("edited", id=first.id), ("ai", "appended"), "plain text"]}

    graph = lib.StateGraph(State)
    graph.add_node("rewrite", rewrite)
    graph.add_edge(lib.START, "rewrite")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    updates = list(app.stream({"messages": [("user", "original"), SystemMessage("sys")]}, cfg))
    return [updates, app.get_state(cfg).values, [s.values for s in app.get_state_history(cfg)]]


@compared
def test_delete_messages_with_remove_message(lib):
    """The docs' "delete messages" how-to: RemoveMessage by id keeps the history short."""

    def trim(state):
        return {"messages": [RemoveMessage(id=m.id) for m in state["messages"][:-2]]}

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("trim", trim)
    graph.add_edge(lib.START, "trim")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "t"}}
    turns = [("user", "one"), ("ai", "two"), ("user", "three"), ("ai", "four")]
    out = app.invoke({"messages": turns}, cfg)
    edited = app.update_state(cfg, {"messages": [RemoveMessage(id=out["messages"][0].id)]})
    return [out, app.get_state(cfg).values, edited is not None]


@compared
def test_remove_all_messages_then_summary(lib):
    def summarize(state):
        text = " / ".join(m.content for m in state["messages"])
        return {
            "messages": [
                RemoveMessage(id=lib.REMOVE_ALL_MESSAGES),
                SystemMessage(f"summary: {text}"),
            ]
        }

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("summarize", summarize)
    graph.add_edge(lib.START, "summarize")
    app = graph.compile()
    return list(
        app.stream({"messages": [("user", "a"), ("ai", "b")]}, stream_mode=["updates", "values"])
    )


@compared
def test_add_messages_as_a_function(lib):
    add = lib.add_messages
    base = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    return [
        add(base, [AIMessage("b2", id="2"), ("user", "c")]),
        add(base, RemoveMessage(id="1")),
        add(base, [HumanMessage("z"), RemoveMessage(id=lib.REMOVE_ALL_MESSAGES), ("ai", "y")]),
        add([], [HumanMessage("x", id="9"), HumanMessage("x2", id="9")]),
        add(base, [RemoveMessage(id="2"), AIMessage("back", id="2")]),
        outcome(add, base, [RemoveMessage(id="nope")]),
        outcome(add, base, [("wizard", "hi")]),
        outcome(add, base, [{"text": "no role"}]),
        outcome(add, base, None),
        outcome(add, base, [HumanMessage("x")], format="xml"),
        add(base, [AIMessage([{"type": "text", "text": "p"}, {"type": "text", "text": "q"}])], format="langchain-openai"),
    ]


@compared
def test_bad_message_fails_the_node(lib):
    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("bad", lambda s: {"messages": [42]})
    graph.add_edge(lib.START, "bad")
    app = graph.compile()
    return outcome(app.invoke, {"messages": [("user", "hi")]})


@compared
def test_messages_mode_streams_tokens_with_metadata(lib):
    app = chatbot(lib, ["hello there world"]).compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "7"}, "metadata": {"user": "u1"}, "tags": ["web"]}
    return list(app.stream({"messages": [("user", "hi")]}, cfg, stream_mode="messages"))


@compared
def test_messages_mode_with_other_modes_and_returned_messages(lib):
    """Tokens of a streamed model; a model that cannot stream sends its whole reply;
    a node's own new messages follow; messages it only passes on do not."""
    streamed = GenericFakeChatModel(messages=iter(["a b"]))
    whole = FakeMessagesListChatModel(responses=[AIMessage("whole reply")])

    def first(state):
        return {"messages": [streamed.invoke(state["messages"])]}

    def second(state, config):
        return {"messages": [whole.invoke(state["messages"], config)]}

    def third(state):
        return {"messages": [state["messages"][0], AIMessage("written by hand", name="bot")]}

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_sequence([("first", first), ("second", second), ("third", third)])
    graph.add_edge(lib.START, "first")
    app = graph.compile()
    return list(app.stream({"messages": [("user", "go")]}, stream_mode=["messages", "updates"]))


@compared
def test_nostream_model_is_left_out_of_tokens(lib):
    quiet = GenericFakeChatModel(messages=iter(["hidden tokens"])).with_config(tags=["nostream"])

    def node(state):
        return {"messages": [quiet.invoke(state["messages"])]}

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("node", node)
    graph.add_edge(lib.START, "node")
    return list(graph.compile().stream({"messages": [("user", "x")]}, stream_mode="messages"))


@compared
async def test_messages_mode_async_node(lib):
    model = GenericFakeChatModel(messages=iter(["async tokens here"]))

    async def chat(state):
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("chat", chat)
    graph.add_edge(lib.START, "chat")
    app = graph.compile()
    return [
        item async for item in app.astream({"messages": [("user", "hi")]}, stream_mode="messages")
    ]


@compared
def test_tool_messages_in_state(lib):
    """A hand-written tool step: tool calls and ToolMessages kept in order by add_messages."""
    call = {"name": "lookup", "args": {"q": "sky"}, "id": "call_1"}

    def agent(state):
        if isinstance(state["messages"][-1], ToolMessage):
            return {"messages": [AIMessage("The sky is blue.")]}
        return {"messages": [AIMessage("", tool_calls=[call])]}

    def tools(state):
        asked = state["messages"][-1].tool_calls[0]
        return {"messages": [ToolMessage("blue", tool_call_id=asked["id"], name=asked["name"])]}

    def route(state):
        return "tools" if state["messages"][-1].tool_calls else lib.END

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", tools)
    graph.add_edge(lib.START, "agent")
    graph.add_conditional_edges("agent", route, ["tools", lib.END])
    graph.add_edge("tools", "agent")
    app = graph.compile()
    return [list(app.stream({"messages": [("user", "sky?")]})), app.invoke({"messages": "sky?"})]



@compared
def test_messages_mode_from_sent_tasks(lib):
    """Map-reduce with Send: each sent task's model streams with its own path. The
    sent tasks run in parallel, so only each task's own tokens have an order
    (LangGraph interleaves them as its threads run): compared task by task."""
    import operator

    class Topics(TypedDict):
        topics: list
        jokes: Annotated[list, operator.add]

    def fan_out(state):
        return [lib.Send("joke", {"topic": t}) for t in state["topics"]]

    def joke(state):
        model = GenericFakeChatModel(messages=iter([f"{state['topic']} joke"]))
        return {"jokes": [model.invoke([HumanMessage(state["topic"])])]}

    graph = lib.StateGraph(Topics)
    graph.add_node("joke", joke)
    graph.add_conditional_edges(lib.START, fan_out, ["joke"])
    app = graph.compile()
    by_task: dict = {}
    for chunk, metadata in app.stream({"topics": ["cats", "dogs"]}, stream_mode="messages"):
        by_task.setdefault(metadata["langgraph_path"], []).append((chunk, metadata))
    return sorted(by_task.items())


@compared
def test_messages_mode_across_an_interrupt_and_a_command(lib):
    """A node drafts with a model, asks a human (interrupt), and on resume drafts
    again and routes with a Command carrying its messages."""
    model = GenericFakeChatModel(messages=iter(["draft one", "draft two"]))

    def write(state):
        draft = model.invoke(state["messages"])
        verdict = lib.interrupt({"draft": draft.content})
        note = AIMessage(f"reviewer said {verdict}", name="reviewer")
        return lib.Command(update={"messages": [draft, note]}, goto="publish")

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("write", write, destinations=("publish",))
    graph.add_node("publish", lambda s: {"messages": [AIMessage("published")]})
    graph.add_edge(lib.START, "write")
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "hitl"}}
    first = list(app.stream({"messages": [("user", "write")]}, cfg, stream_mode=["messages", "updates"]))
    second = list(app.stream(lib.Command(resume="ok"), cfg, stream_mode="messages"))
    return [first, second, app.get_state(cfg).values]


@compared
def test_summarize_and_trim_a_long_conversation(lib):
    """The docs' "add a summary of the conversation": a state extending MessagesState,
    a conditional edge to a summarizer that deletes all but the last two messages."""

    class State(lib.MessagesState):
        summary: str

    model = GenericFakeChatModel(messages=iter([f"answer {i}" for i in range(4)]))

    def chat(state):
        summary = state.get("summary", "")
        history = ([SystemMessage(f"Summary: {summary}")] if summary else []) + state["messages"]
        return {"messages": [model.invoke(history)]}

    def summarize(state):
        text = "; ".join(m.content for m in state["messages"])
        return {
            "summary": f"{state.get('summary', '')}[{text}]",
            "messages": [RemoveMessage(id=m.id) for m in state["messages"][:-2]],
        }

    def should_summarize(state):
        return "summarize" if len(state["messages"]) > 4 else lib.END

    graph = lib.StateGraph(State)
    graph.add_node("chat", chat)
    graph.add_node("summarize", summarize)
    graph.add_edge(lib.START, "chat")
    graph.add_conditional_edges("chat", should_summarize, ["summarize", lib.END])
    app = graph.compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "long"}}
    turns = [app.invoke({"messages": [("user", f"q{i}")]}, cfg) for i in range(4)]
    return [turns, app.get_state(cfg)]


# -- agents with ToolNode and tools_condition ------------------------------------


def weather_tools():
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny" if city == "sf" else "foggy"

    @tool
    def get_time(city: str) -> str:
        """The local time in a city."""
        return f"noon in {city}"

    return [get_weather, get_time]


def agent_graph(lib, replies, *, tools=None, state=None, key="messages", context_schema=None):
    """The docs' tool-calling agent: a model node, a ToolNode, tools_condition between."""
    model = GenericFakeChatModel(messages=iter(replies))

    def agent(state):
        return {key: [model.invoke(state[key])]}

    graph = lib.StateGraph(state or lib.MessagesState, context_schema=context_schema)
    graph.add_node("agent", agent)
    graph.add_node("tools", lib.ToolNode(tools or weather_tools(), messages_key=key))
    graph.add_edge(lib.START, "agent")
    if key == "messages":
        graph.add_conditional_edges("agent", lib.tools_condition)
    else:
        graph.add_conditional_edges("agent", lambda s: lib.tools_condition(s, messages_key=key))
    graph.add_edge("tools", "agent")
    return graph


def calls(*pairs):
    return [{"name": n, "args": a, "id": f"call_{i}"} for i, (n, a) in enumerate(pairs)]


@compared
def test_agent_with_tool_node_and_tools_condition(lib):
    replies = [
        AIMessage("", tool_calls=calls(("get_weather", {"city": "sf"}))),
        AIMessage("It is sunny in SF."),
    ]
    app = agent_graph(lib, replies).compile(checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    updates = list(app.stream({"messages": [("user", "weather in sf?")]}, cfg))
    return [updates, app.get_state(cfg), len(list(app.get_state_history(cfg)))]


@compared
def test_parallel_tool_calls_and_a_bad_call_answered_with_its_error(lib):
    replies = [
        AIMessage(
            "",
            tool_calls=calls(
                ("get_weather", {"city": "sf"}),
                ("get_time", {"town": "nyc"}),
                ("get_stock", {"ticker": "X"}),
            ),
        ),
        AIMessage("Done."),
    ]
    app = agent_graph(lib, replies).compile()
    return app.invoke({"messages": [("user", "all of it")]})


@compared
def test_tool_failure_raises_by_default_and_is_handled_when_asked(lib):
    from langchain_core.tools import tool

    @tool
    def flaky(x: int) -> int:
        """Fails."""
        raise RuntimeError("service down")

    def build(**kw):
        model = GenericFakeChatModel(
            messages=iter([AIMessage("", tool_calls=calls(("flaky", {"x": 1}))), AIMessage("ok")])
        )
        graph = lib.StateGraph(lib.MessagesState)
        graph.add_node("agent", lambda s: {"messages": [model.invoke(s["messages"])]})
        graph.add_node("tools", lib.ToolNode([flaky], **kw))
        graph.add_edge(lib.START, "agent")
        graph.add_conditional_edges("agent", lib.tools_condition, ["tools", lib.END])
        graph.add_edge("tools", "agent")
        return graph.compile()

    start = {"messages": [("user", "go")]}
    return [
        outcome(build().invoke, start),
        build(handle_tool_errors=True).invoke(start),
        build(handle_tool_errors="Try again later.").invoke(start),
    ]


@compared
def test_review_a_tool_call_before_it_runs(lib):
    """Human in the loop: stop before the tools, fix the call's arguments by
    replacing the AIMessage by id, resume."""
    replies = [
        AIMessage("", tool_calls=calls(("get_weather", {"city": "la"}))),
        AIMessage("It is sunny in SF."),
    ]
    app = agent_graph(lib, replies).compile(
        checkpointer=lib.MemorySaver(), interrupt_before=["tools"]
    )
    cfg = {"configurable": {"thread_id": "review"}}
    paused = list(app.stream({"messages": [("user", "weather?")]}, cfg, stream_mode="values"))
    state = app.get_state(cfg)
    asked = state.values["messages"][-1]
    fixed = AIMessage("", id=asked.id, tool_calls=calls(("get_weather", {"city": "sf"})))
    app.update_state(cfg, {"messages": [fixed]})
    edited = app.get_state(cfg)
    resumed = list(app.stream(None, cfg, stream_mode="updates"))
    return [paused, state.next, edited, resumed, app.get_state(cfg).values]


@compared
async def test_async_agent_with_async_tools(lib):
    from langchain_core.tools import tool

    @tool
    async def lookup(q: str) -> str:
        """Looks something up."""
        return f"found {q}"

    model = GenericFakeChatModel(
        messages=iter(
            [AIMessage("", tool_calls=calls(("lookup", {"q": "a"}), ("lookup", {"q": "b"}))), AIMessage("both")]
        )
    )

    async def agent(state):
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", lib.ToolNode([lookup]))
    graph.add_edge(lib.START, "agent")
    graph.add_conditional_edges("agent", lib.tools_condition)
    graph.add_edge("tools", "agent")
    app = graph.compile()
    return [chunk async for chunk in app.astream({"messages": [("user", "find")]})]


@compared
def test_messages_mode_through_an_agent(lib):
    replies = [
        AIMessage("let me check", tool_calls=calls(("get_time", {"city": "paris"}))),
        AIMessage("It is noon."),
    ]
    app = agent_graph(lib, replies).compile()
    return list(app.stream({"messages": [("user", "time?")]}, stream_mode="messages"))


@compared
def test_custom_messages_key(lib):
    class Chat(TypedDict):
        history: Annotated[list, lib.add_messages]

    replies = [AIMessage("", tool_calls=calls(("get_weather", {"city": "x"}))), AIMessage("foggy")]
    app = agent_graph(lib, replies, state=Chat, key="history").compile()
    return app.invoke({"history": [("user", "weather in x?")]})


@compared
def test_tool_reads_the_state_it_is_given(lib):
    """The docs' "pass graph state to tools": InjectedState, not seen by the model."""
    from langchain_core.tools import tool

    class State(lib.MessagesState):
        user_id: str

    @tool
    def lookup_orders(status: str, state: Annotated[dict, lib.InjectedState]) -> str:
        """Orders of the current user with a status."""
        return f"{state['user_id']} has 2 {status} orders"

    @tool
    def whoami(user_id: Annotated[str, lib.InjectedState("user_id")]) -> str:
        """The current user."""
        return user_id

    replies = [
        AIMessage("", tool_calls=calls(("lookup_orders", {"status": "open"}), ("whoami", {}))),
        AIMessage("You have 2 open orders."),
    ]
    app = agent_graph(lib, replies, tools=[lookup_orders, whoami], state=State).compile()
    schema = lookup_orders.tool_call_schema.model_json_schema()
    return [schema, app.invoke({"messages": [("user", "my orders?")], "user_id": "u7"})]


@compared
def test_tool_arguments_coerced_defaulted_and_given_by_alias(lib):
    """What a tool's function is called with: the model's arguments as its schema
    validates them (coerced), the defaults it left out, fields given by alias."""
    from langchain_core.tools import tool
    from pydantic import BaseModel, Field

    @tool
    def repeat(word: str, times: int = 2, sep: str = "-") -> str:
        """Repeats a word."""
        return sep.join([word] * times)

    class Query(BaseModel):
        text: str = Field(alias="q")
        limit: int = 3

    @tool(args_schema=Query)
    def search(text: str, limit: int) -> str:
        """Searches."""
        return f"{text}:{limit}"

    @tool
    def no_args() -> str:
        """Takes nothing."""
        return "nothing"

    replies = [
        AIMessage(
            "",
            tool_calls=calls(
                ("repeat", {"word": "ha", "times": "3"}),
                ("repeat", {"word": "ho"}),
                ("search", {"q": "cats"}),
                ("no_args", {}),
                ("repeat", {"times": 1}),
            ),
        ),
        AIMessage("Done."),
    ]
    app = agent_graph(lib, replies, tools=[repeat, search, no_args]).compile()
    out = app.invoke({"messages": [("user", "go")]})
    return [(m.type, m.content, getattr(m, "status", None)) for m in out["messages"]]


@compared
def test_tools_given_the_store_and_their_runtime(lib):
    """The docs' tools reading long-term memory (InjectedStore) and their runtime
    (ToolRuntime: state, context, config, the call's id, the store, the stream
    writer), none of it seen by the model."""
    from dataclasses import dataclass

    from langchain_core.tools import tool

    @dataclass
    class Context:
        user_id: str

    @tool
    def recall(topic: str, store: Annotated[object, lib.InjectedStore()]) -> str:
        """What the user said about a topic."""
        item = store.get(("notes",), topic)
        return item.value["text"] if item else "nothing"

    @tool
    def remember(topic: str, text: str, runtime: lib.ToolRuntime) -> str:
        """Keep a note for the current user."""
        runtime.store.put(("notes",), topic, {"text": text, "by": runtime.context.user_id})
        runtime.stream_writer({"saved": topic, "call": runtime.tool_call_id})
        seen = len(runtime.state["messages"])
        thread = runtime.config["configurable"]["thread_id"]
        names = sorted(t.name for t in runtime.tools)
        return f"kept {topic} (call {runtime.tool_call_id}, {seen} messages, thread {thread}, {names})"

    replies = [
        AIMessage("", tool_calls=calls(("remember", {"topic": "tea", "text": "green"}))),
        AIMessage("", tool_calls=calls(("recall", {"topic": "tea"}), ("recall", {"topic": "cake"}))),
        AIMessage("Green tea, noted."),
    ]
    store = lib.InMemoryStore()
    graph = agent_graph(lib, replies, tools=[recall, remember], context_schema=Context)
    app = graph.compile(store=store, checkpointer=lib.MemorySaver())
    cfg = {"configurable": {"thread_id": "notes"}}
    chunks = list(
        app.stream(
            {"messages": [("user", "remember: green tea")]},
            cfg,
            context=Context(user_id="u9"),
            stream_mode=["custom", "updates"],
        )
    )
    schemas = [t.tool_call_schema.model_json_schema() for t in (recall, remember)]
    return [schemas, chunks, store.get(("notes",), "tea").value]


@compared
def test_wrap_tool_call_retries_and_rewrites_calls(lib):
    """ToolNode(wrap_tool_call=...): a wrapper sees each call as a request (call, tool,
    state, runtime) and runs it with execute(), here retrying a flaky tool and
    rewriting another call's arguments; an unknown tool reaches it with no tool."""
    from langchain_core.tools import tool

    attempts = []

    @tool
    def flaky(city: str) -> str:
        """Weather that fails on its first try."""
        attempts.append(city)
        if len(attempts) < 2:
            raise ConnectionError("try again")
        return f"sunny in {city}"

    def wrapper(request, execute):
        seen.append((request.tool_call["name"], request.tool is not None, len(request.state["messages"])))
        if request.tool_call["name"] == "flaky" and request.tool_call["args"]["city"] == "sf":
            request = request.override(tool_call={**request.tool_call, "args": {"city": "SF"}})
        for _ in range(3):
            try:
                return execute(request)
            except ConnectionError:
                continue
        return None

    seen = []
    replies = [
        AIMessage("", tool_calls=calls(("flaky", {"city": "sf"}), ("nope", {}))),
        AIMessage("Sunny."),
    ]
    model = GenericFakeChatModel(messages=iter(replies))
    graph = lib.StateGraph(lib.MessagesState)
    graph.add_node("agent", lambda s: {"messages": [model.invoke(s["messages"])]})
    graph.add_node("tools", lib.ToolNode([flaky], wrap_tool_call=wrapper))
    graph.add_edge(lib.START, "agent")
    graph.add_conditional_edges("agent", lib.tools_condition)
    graph.add_edge("tools", "agent")
    out = graph.compile().invoke({"messages": [("user", "weather?")]})
    return [out, sorted(seen), attempts]
