"""ToolNode runs the tool calls of the last AI message; tools_condition routes to it.

Both follow LangGraph's prebuilt ones: the same input shapes (a state with a
messages key, a list of messages, or a list of tool calls), the same outputs, the
same error handling (by default a call whose arguments do not validate answers the
model with the error, while a tool that fails raises), and parallel calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TypeVar

from lockstep.constants import END
from lockstep.graph.message import langchain_messages
from lockstep.types import Command

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "lockstep.prebuilt works on LangChain tools and needs langchain-core: "
        "pip install 'lockstep[langchain]'"
    ) from exc

import pydantic
from langchain_core.runnables.config import get_config_list, get_executor_for_config
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langchain_core.tools import tool as make_tool
from langchain_core.tools.base import InjectedToolArg, ToolOutputMixin, _DirectlyInjectedToolArg

try:  # what calling a tool directly needs (see _direct); without them, always tool.invoke
    from langchain_core.runnables.config import var_child_runnable_config
    from langchain_core.tools.base import _format_output, _get_runnable_config_param
    from langchain_core.tracers.context import _tracing_v2_is_enabled
except ImportError:  # pragma: no cover - another langchain-core
    _format_output = None

ErrorHandler = bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]

FAILED = "Error: {error}\n Please fix your mistakes."
INVALID_ARGS = (
    "Error invoking tool '{name}' with kwargs {args} with error:\n {errors}\n"
    " Please fix the error and try again."
)
UNKNOWN_TOOL = "Error: {name} is not a valid tool, try one of [{names}]."


class ToolInvocationError(ToolException):
    """The model called a tool with arguments its schema refuses."""

    def __init__(self, name: str, args: dict[str, Any], source: pydantic.ValidationError):
        errors = "\n".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in source.errors()
        )
        super().__init__(INVALID_ARGS.format(name=name, args=args, errors=errors))
        self.tool_name = name
        self.tool_kwargs = args
        self.source = source


def _default_handle_tool_errors(error: Exception) -> str:
    """The default: answer the model when its arguments were wrong, raise otherwise."""
    if isinstance(error, ToolInvocationError):
        return error.args[0]
    raise error


class InjectedState(InjectedToolArg):
    """Annotate a tool parameter to be given the graph's state (or one key of it,
    `InjectedState("key")`) by ToolNode instead of by the model, as LangGraph's."""

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """Annotate a tool parameter (`Annotated[BaseStore, InjectedStore()]`) to be given
    the graph's store (`compile(store=...)`) by ToolNode instead of by the model."""


ContextT = TypeVar("ContextT")
StateT = TypeVar("StateT")


@dataclasses.dataclass
class ToolRuntime(_DirectlyInjectedToolArg, Generic[ContextT, StateT]):
    """What ToolNode gives a tool parameter annotated `ToolRuntime` (the model does
    not see it): the graph's state, the run's context, the node's config, the stream
    writer, the call's id, the store, and the node's tools."""

    state: StateT
    context: ContextT
    config: dict[str, Any]
    stream_writer: Callable[[Any], None]
    tool_call_id: str | None
    store: Any
    tools: list[BaseTool] = dataclasses.field(default_factory=list)


def _run_params(tool: BaseTool) -> dict[str, str]:
    """The tool's parameters ToolNode fills from the run: name -> "store" (annotated
    InjectedStore) or "runtime" (annotated ToolRuntime)."""
    schema = tool.args_schema
    if not (isinstance(schema, type) and issubclass(schema, pydantic.BaseModel)):
        return {}
    out: dict[str, str] = {}
    for name, field in schema.model_fields.items():
        hint = typing.get_origin(field.annotation) or field.annotation
        if isinstance(hint, type) and issubclass(hint, ToolRuntime):
            out[name] = "runtime"
        elif any(extra is InjectedStore or isinstance(extra, InjectedStore) for extra in field.metadata):
            out[name] = "store"
    return out


@dataclasses.dataclass(frozen=True)
class ToolCallRequest:
    """One tool call as `wrap_tool_call` sees it: the model's call, its tool (None if
    ToolNode has no tool of that name), the graph's state and the call's ToolRuntime.
    `override(...)` gives a changed copy to pass to `execute`."""

    tool_call: dict[str, Any]
    tool: BaseTool | None
    state: Any
    runtime: ToolRuntime

    def override(self, **changes: Any) -> ToolCallRequest:
        return dataclasses.replace(self, **changes)


# wrap_tool_call(request, execute) -> ToolMessage | Command; execute may be called
# any number of times (retries), with the request or a changed one.
ToolCallWrapper = Callable[[ToolCallRequest, Callable[[ToolCallRequest], Any]], Any]


def _noop_writer(chunk: Any) -> None:
    """A stream writer outside a running graph: nothing reads it."""


def _state_params(tool: BaseTool) -> dict[str, str | None]:
    """The tool's parameters annotated InjectedState -> the state key each wants
    (None: the whole state)."""
    schema = tool.args_schema
    if not (isinstance(schema, type) and issubclass(schema, pydantic.BaseModel)):
        return {}
    out: dict[str, str | None] = {}
    for name, field in schema.model_fields.items():
        for extra in field.metadata:
            if extra is InjectedState:
                out[name] = None
            elif isinstance(extra, InjectedState):
                out[name] = extra.field
    return out


class _CommandResult(ToolOutputMixin):
    """A tool's Command, carried through langchain-core's output formatting untouched."""

    def __init__(self, command: Command) -> None:
        self.command = command


class ToolNode:
    """A node that runs the tool calls of the last AIMessage, in parallel, and
    returns one ToolMessage per call (or the Commands tools return)."""

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: ErrorHandler = _default_handle_tool_errors,
        messages_key: str = "messages",
        wrap_tool_call: ToolCallWrapper | None = None,
        awrap_tool_call: Callable[..., Any] | None = None,
    ) -> None:
        self.name = name
        self.wrap_tool_call = wrap_tool_call  # see _invoke_wrapped
        self.awrap_tool_call = awrap_tool_call
        self.tags = list(tags or ())
        self.handle_tool_errors = handle_tool_errors
        self.messages_key = messages_key
        self.tools_by_name: dict[str, BaseTool] = {}
        self._direct: dict[str, tuple[bool, bool]] = {}
        self._state_params: dict[str, dict[str, str | None]] = {}
        self._run_params: dict[str, dict[str, str]] = {}  # InjectedStore, ToolRuntime
        for item in tools:
            tool = item if isinstance(item, BaseTool) else make_tool(item)
            self._direct[tool.name] = _may_call_directly(tool)
            self._state_params[tool.name] = _state_params(tool)
            if wants := _run_params(tool):
                self._run_params[tool.name] = wants
            self.tools_by_name[tool.name] = _passing_commands(tool)

    def get_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"ToolNode(tools={list(self.tools_by_name)!r}, name={self.name!r})"

    # -- running -------------------------------------------------------------

    def invoke(self, input: Any, config: dict[str, Any] | None = None) -> Any:
        if self.wrap_tool_call is not None:
            return self._invoke_wrapped(input, config)
        calls, kind = self._calls(input, config)
        if len(calls) == 1:  # no thread pool for one call: most steps of an agent ask one
            # (tool.invoke completes the config itself, as get_config_list would)
            return self._output([self._run_one(calls[0], self._config(config))], kind)
        configs = get_config_list(self._config(config), len(calls))
        with get_executor_for_config(configs[0] if configs else None) as executor:
            results = list(executor.map(self._run_one, calls, configs))
        return self._output(results, kind)

    async def ainvoke(self, input: Any, config: dict[str, Any] | None = None) -> Any:
        if self.awrap_tool_call is not None:
            return await self._ainvoke_wrapped(input, config)
        if self.wrap_tool_call is not None:  # a sync wrapper only: the sync calls, off the loop
            return await asyncio.to_thread(self._invoke_wrapped, input, config)
        calls, kind = self._calls(input, config)
        configs = get_config_list(self._config(config), len(calls))
        results = await asyncio.gather(*(self._arun_one(c, cfg) for c, cfg in zip(calls, configs, strict=True)))
        return self._output(list(results), kind)

    def _config(self, config: dict[str, Any] | None) -> dict[str, Any]:
        config = dict(config or {})
        if self.tags:
            config["tags"] = [*(config.get("tags") or ()), *self.tags]
        return config

    def _run_one(self, call: dict[str, Any], config: dict[str, Any]) -> Any:
        tool = self._tool(call)
        if not isinstance(tool, BaseTool):
            return tool  # the unknown-tool answer
        try:
            if self._direct[tool.name][0] and _unobserved(config):
                return self._result(call, _direct(tool, call))
            _validate(tool, call)
            return self._result(call, tool.invoke(_tool_call(call), config))
        except Exception as error:  # noqa: BLE001 - handle_tool_errors decides
            return self._on_error(call, error)

    async def _arun_one(self, call: dict[str, Any], config: dict[str, Any]) -> Any:
        tool = self._tool(call)
        if not isinstance(tool, BaseTool):
            return tool
        try:
            if self._direct[tool.name][1] and _unobserved(config):
                return self._result(call, await _adirect(tool, call))
            _validate(tool, call)
            return self._result(call, await tool.ainvoke(_tool_call(call), config))
        except Exception as error:  # noqa: BLE001
            return self._on_error(call, error)

    def _tool(self, call: dict[str, Any]) -> Any:
        tool = self.tools_by_name.get(call["name"])
        if tool is not None:
            return tool
        lc = langchain_messages()
        return lc.ToolMessage(
            UNKNOWN_TOOL.format(name=call["name"], names=", ".join(self.tools_by_name)),
            name=call["name"],
            tool_call_id=call["id"],
            status="error",
        )

    def _result(self, call: dict[str, Any], value: Any) -> Any:
        """The call's ToolMessage, or the Command its tool returned; the Command's
        ToolMessage answering this call is given the tool's name, as LangGraph does."""
        if not isinstance(value, _CommandResult):
            return value
        command = value.command
        update = command.update
        if isinstance(update, dict):
            for message in update.get(self.messages_key) or ():
                if getattr(message, "tool_call_id", None) == call["id"] and message.name is None:
                    message.name = call["name"]
        return command

    def _on_error(self, call: dict[str, Any], error: Exception) -> Any:
        content = _handled(self.handle_tool_errors, error)
        lc = langchain_messages()
        return lc.ToolMessage(content, name=call["name"], tool_call_id=call["id"], status="error")

    # -- input and output ----------------------------------------------------

    def _calls(self, input: Any, config: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], str]:
        """The tool calls to run (with the state, store or runtime their tools want
        injected), and the input's shape ("list" or "dict")."""
        calls, kind = self._asked(input)
        run_params = self._run_params
        if not any(self._state_params.get(c["name"]) for c in calls) and not (
            run_params and any(c["name"] in run_params for c in calls)
        ):
            return calls, kind
        out = []
        for call in calls:
            wanted = self._state_params.get(call["name"])
            given = {p: _state_value(input, key) for p, key in wanted.items()} if wanted else {}
            if call["name"] in run_params:
                given.update(self._run_values(call, input, config))
            if given:
                call = {**call, "args": {**call["args"], **given}, "asked": call["args"]}
            out.append(call)
        return out, kind

    # -- wrap_tool_call ------------------------------------------------------

    def _requests(self, input: Any, config: dict[str, Any] | None) -> tuple[list[ToolCallRequest], str]:
        asked, kind = self._asked(input)
        requests = [
            ToolCallRequest(
                tool_call=call,
                tool=self.tools_by_name.get(call["name"]),
                state=input,
                runtime=self._tool_runtime(call, input, config),
            )
            for call in asked
        ]
        return requests, kind

    def _prepared(self, request: ToolCallRequest) -> dict[str, Any]:
        """The request's call with what its tool asks ToolNode for injected (from
        the request: a wrapper may have changed its state or runtime)."""
        call = request.tool_call
        name = call["name"]
        wanted = self._state_params.get(name)
        given = {p: _state_value(request.state, key) for p, key in wanted.items()} if wanted else {}
        for param, kind in self._run_params.get(name, {}).items():
            given[param] = request.runtime.store if kind == "store" else request.runtime
        if not given:
            return call
        return {**call, "args": {**call["args"], **given}, "asked": call["args"]}

    def _invoke_wrapped(self, input: Any, config: dict[str, Any] | None) -> Any:
        """Each call through `wrap_tool_call(request, execute)`, as LangGraph's."""
        requests, kind = self._requests(input, config)
        config = self._config(config)

        def execute(request: ToolCallRequest) -> Any:
            return self._run_one(self._prepared(request), config)

        def one(request: ToolCallRequest) -> Any:
            return self.wrap_tool_call(request, execute)

        if len(requests) == 1:
            return self._output([one(requests[0])], kind)
        with get_executor_for_config(config) as executor:
            results = list(executor.map(one, requests))
        return self._output(results, kind)

    async def _ainvoke_wrapped(self, input: Any, config: dict[str, Any] | None) -> Any:
        requests, kind = self._requests(input, config)
        config = self._config(config)

        async def execute(request: ToolCallRequest) -> Any:
            return await self._arun_one(self._prepared(request), config)

        results = await asyncio.gather(*(self.awrap_tool_call(r, execute) for r in requests))
        return self._output(list(results), kind)

    def _tool_runtime(self, call: dict[str, Any], state: Any, config: dict[str, Any] | None) -> ToolRuntime:
        """The call's ToolRuntime, from the running graph (outside one: no store, no
        context, a writer nobody reads)."""
        from lockstep.runtime import get_runtime

        try:
            runtime = get_runtime()
        except RuntimeError:
            runtime = None
        return ToolRuntime(
            state=state,
            context=runtime.context if runtime is not None else None,
            config=dict(config or {}),
            stream_writer=runtime.stream_writer if runtime is not None else _noop_writer,
            tool_call_id=call["id"],
            store=runtime.store if runtime is not None else None,
            tools=list(self.tools_by_name.values()),
        )

    def _run_values(self, call: dict[str, Any], state: Any, config: dict[str, Any] | None) -> dict[str, Any]:
        """The store and ToolRuntime a call's tool asks for."""
        runtime = self._tool_runtime(call, state, config)
        return {
            param: runtime.store if kind == "store" else runtime
            for param, kind in self._run_params[call["name"]].items()
        }

    def _asked(self, input: Any) -> tuple[list[dict[str, Any]], str]:
        """The tool calls of the input's last AIMessage (or the input's own list)."""
        lc = langchain_messages()
        if isinstance(input, list) and input and isinstance(input[-1], dict) and input[-1].get(
            "type"
        ) == "tool_call":
            return list(input), "list"
        if isinstance(input, list):
            messages, kind = input, "list"
        elif isinstance(input, dict):
            messages = input.get(self.messages_key)
            kind = "dict"
        else:
            messages = getattr(input, self.messages_key, None)
            kind = "dict"
        if not messages:
            raise ValueError("No message found in input")
        for message in reversed(messages):
            if isinstance(message, lc.AIMessage):
                return list(message.tool_calls), kind
        raise ValueError("No AIMessage found in input")

    def _output(self, results: list[Any], kind: str) -> Any:
        if not any(isinstance(r, Command) for r in results):
            return {self.messages_key: results} if kind == "dict" else results
        out: list[Any] = []
        for result in results:
            if isinstance(result, Command):
                out.append(result)
            else:
                out.append({self.messages_key: [result]} if kind == "dict" else [result])
        return out


def _passing_commands(tool: BaseTool) -> BaseTool:
    """The tool, changed so that a Command it returns reaches the node as such
    (langchain-core would make any other return value a ToolMessage's text)."""
    if not isinstance(tool, StructuredTool):
        return tool
    update: dict[str, Any] = {}
    if tool.func is not None:
        func = tool.func

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            return _wrap_command(func(*args, **kwargs))

        update["func"] = run
    if tool.coroutine is not None:
        coroutine = tool.coroutine

        @functools.wraps(coroutine)
        async def arun(*args: Any, **kwargs: Any) -> Any:
            return _wrap_command(await coroutine(*args, **kwargs))

        update["coroutine"] = arun
    return tool.model_copy(update=update)


def _may_call_directly(tool: BaseTool) -> tuple[bool, bool]:
    """(sync, async): whether a plain function tool (no injected arguments, error
    handlers, callbacks or artifacts) may be called directly, langchain-core having
    nothing to add to its call but callbacks."""
    plain = (
        _format_output is not None
        and isinstance(tool, StructuredTool)
        and tool.response_format == "content"
        and not tool.callbacks
        and not tool.handle_tool_error
        and not tool.handle_validation_error
        and isinstance(tool.args_schema, type)
        and issubclass(tool.args_schema, pydantic.BaseModel)
        and tool.tool_call_schema.model_fields.keys() == tool.args_schema.model_fields.keys()
        and tool.args_schema.model_config.get("extra") != "allow"  # see _direct_arguments
    )
    return plain and _takes_no_run_args(tool.func), plain and _takes_no_run_args(tool.coroutine)


def _takes_no_run_args(fn: Callable[..., Any] | None) -> bool:
    """A function langchain-core would call with its arguments alone."""
    if fn is None or _get_runnable_config_param(fn) is not None:
        return False
    return "callbacks" not in inspect.signature(fn).parameters


def _unobserved(config: dict[str, Any]) -> bool:
    """No callback handler and no tracing would see the tool's run."""
    if config.get("callbacks"):
        return False
    ambient = var_child_runnable_config.get()
    return not (ambient and ambient.get("callbacks")) and not _tracing_v2_is_enabled()


def _direct(tool: StructuredTool, call: dict[str, Any]) -> Any:
    """What tool.invoke(call) returns, without the callback machinery nobody listens
    to (a twentieth of the cost): the same argument parsing and output formatting."""
    args, kwargs = _direct_arguments(tool, call)
    return _format_output(tool.func(*args, **kwargs), None, call["id"], tool.name, "success")


async def _adirect(tool: StructuredTool, call: dict[str, Any]) -> Any:
    """_direct for tool.ainvoke(call), awaiting the tool's coroutine."""
    args, kwargs = _direct_arguments(tool, call)
    content = await tool.coroutine(*args, **kwargs)
    return _format_output(content, None, call["id"], tool.name, "success")


def _direct_arguments(tool: StructuredTool, call: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """The call's arguments, parsed as tool.invoke parses them. A tool called directly
    has the same schema for the model's call as for its function (_may_call_directly),
    so this one validation also tells the model's mistakes apart (see _validate)."""
    args, schema = call["args"], tool.args_schema
    fields = schema.model_fields
    if not fields:
        return (), {}
    try:
        parsed = schema.model_validate(args)
    except pydantic.ValidationError as error:
        raise ToolInvocationError(call["name"], _asked_args(call), error) from error
    # What the function is called with: the arguments given (validated), those given
    # by alias, and the schema's defaults; not the `args`/`kwargs` a *args or
    # **kwargs parameter puts in the schema.
    given = parsed.model_fields_set
    return (), {
        name: getattr(parsed, name)
        for name, info in fields.items()
        if name in args
        or name in given
        or (name not in ("args", "kwargs") and not info.is_required())
    }


def _wrap_command(value: Any) -> Any:
    if isinstance(value, Command):
        return _CommandResult(value)
    return value


def _asked_args(call: dict[str, Any]) -> dict[str, Any]:
    """The arguments the model gave (without the state ToolNode injected)."""
    return call.get("asked", call["args"])


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    return {"name": call["name"], "args": call["args"], "id": call["id"], "type": "tool_call"}


def _state_value(state: Any, key: str | None) -> Any:
    if key is None:
        return state
    return state[key] if isinstance(state, dict) else getattr(state, key)


def _validate(tool: BaseTool, call: dict[str, Any]) -> None:
    """Arguments the model got wrong are a ToolInvocationError, told apart from a
    failure inside the tool (handled differently by default)."""
    schema = tool.tool_call_schema
    if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
        try:
            schema.model_validate(_asked_args(call))
        except pydantic.ValidationError as error:
            raise ToolInvocationError(call["name"], _asked_args(call), error) from error


def _handled(handler: ErrorHandler, error: Exception) -> str:
    """The message for a failed call, or the error raised again if not handled."""
    if handler is False:
        raise error
    if handler is True:
        return FAILED.format(error=repr(error))
    if isinstance(handler, str):
        return handler
    if isinstance(handler, type) and issubclass(handler, Exception):
        handler = (handler,)
    if isinstance(handler, tuple):
        if isinstance(error, handler):
            return FAILED.format(error=repr(error))
        raise error
    if callable(handler):
        caught = _handler_types(handler)
        if caught and not isinstance(error, caught):
            raise error
        return str(handler(error))
    raise TypeError(f"handle_tool_errors={handler!r}: give a bool, str, exception type(s) or callable")


def _handler_types(handler: Callable[..., str]) -> tuple[type[BaseException], ...]:
    """The exception types a handler's first parameter is annotated with (none: all)."""
    try:
        params = list(inspect.signature(handler).parameters.values())
        hints = typing.get_type_hints(handler)
    except (TypeError, ValueError, NameError):
        return ()
    if not params or params[0].name not in hints:
        return ()
    hint = hints[params[0].name]
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return tuple(o for o in options if isinstance(o, type) and issubclass(o, BaseException))


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """"tools" when the last message asks for tool calls, else "__end__"."""
    if isinstance(state, list):
        messages = state
    elif isinstance(state, dict):
        messages = state.get(messages_key, [])
    else:
        messages = getattr(state, messages_key, [])
    if not messages:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    if getattr(messages[-1], "tool_calls", None):
        return "tools"
    return END
