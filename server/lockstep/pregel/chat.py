"""LangChain chat models called inside nodes: `stream_mode="messages"`, and the
chat-model events of `astream_events`.

A run that wants either gives each task a LangChain config (callbacks, metadata
naming the node and step) and makes it the ambient one, through the context
variable LangChain reads when a model is called without a config. One callback
handler then turns the model's tokens into `(chunk, metadata)` messages events
and/or `on_chat_model_start/stream/end` events; for messages, a node's returned
messages that were not streamed follow when it finishes, as LangGraph's messages
mode does. Runs that want neither never build any of this; langchain-core is
imported only by those that do.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from lockstep.pregel.arguments import node_config
from lockstep.pregel.streaming import task_metadata
from lockstep.types import Command

NOSTREAM = "nostream"  # a model tagged so is left out of messages mode, as in LangGraph


class ChatStream:
    """One run's LangChain side: its handler, and each task's LangChain config.

    `emit_message(message, metadata)` receives messages mode's pairs; `emit_event(event)`
    the chat model events (a dict as astream_events gives it, without `parent_ids`,
    which the events side knows). Either may be None."""

    def __init__(
        self,
        config: dict[str, Any],
        *,
        emit_message: Callable[[Any, dict[str, Any]], None] | None = None,
        emit_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        from langchain_core.runnables.config import var_child_runnable_config

        self._var = var_child_runnable_config
        self.handler = _handler_class()(self)
        self.emit_message = emit_message
        self.emit_event = emit_event
        # Called after each event, to wake a driver waiting on the task (pregel/live.py).
        self.wake: Callable[[], None] | None = None
        self.woken: Any = None  # the async driver's asyncio.Event, once made
        self.seen: set[str] = set()  # message ids streamed already, or the node's input
        self.config = node_config(config)  # the run's own keys are not its nodes'
        conf = config.get("configurable") or {}
        base = dict(config.get("metadata") or {})
        if conf.get("thread_id") is not None:
            base["thread_id"] = conf["thread_id"]
        base["ls_integration"] = "langgraph"
        self.base_metadata = base
        self.callbacks = _with_handler(config.get("callbacks"), self.handler)

    # -- around each task ----------------------------------------------------

    def enter(self, task: Any, loop: Any) -> tuple[dict[str, Any], Any]:
        """The task's config (also given to its node) and the token that undoes
        making it the ambient LangChain config."""
        metadata = {**self.base_metadata, **task_metadata(task, loop)}
        ns = metadata["langgraph_checkpoint_ns"]
        config = {
            **self.config,
            "callbacks": self.callbacks,
            "metadata": metadata,
            "configurable": {**(self.config.get("configurable") or {}), "checkpoint_ns": ns},
        }
        self._mark_seen(task.input)
        return config, self._var.set(config)

    def leave(self, token: Any) -> None:
        self._var.reset(token)

    def finished(self, config: dict[str, Any], output: Any) -> None:
        """A node's returned messages that no model streamed, as LangGraph emits them."""
        if self.emit_message is None:
            return
        metadata = config["metadata"]
        if isinstance(output, Command):
            self._emit_found(metadata, output.update)
        elif isinstance(output, list | tuple) and any(isinstance(o, Command) for o in output):
            for item in output:
                self._emit_found(metadata, item.update if isinstance(item, Command) else item)
        else:
            self._emit_found(metadata, output)

    # -- what the handler and the node's return give --------------------------

    def emit(self, metadata: dict[str, Any], message: Any, dedupe: bool = False) -> None:
        if self.emit_message is None or (dedupe and message.id in self.seen):
            return
        if message.id is None:
            message.id = str(uuid.uuid4())
        self.seen.add(message.id)
        self.emit_message(message, metadata)

    def _emit_found(self, metadata: dict[str, Any], value: Any) -> None:
        from langchain_core.messages import BaseMessage

        if isinstance(value, BaseMessage):
            self.emit(metadata, value, dedupe=True)
            return
        values = value if isinstance(value, Sequence) and not isinstance(value, str) else _fields(value)
        for item in values:
            if isinstance(item, BaseMessage):
                self.emit(metadata, item, dedupe=True)
            elif value is not values and isinstance(item, Sequence) and not isinstance(item, str):
                for inner in item:
                    if isinstance(inner, BaseMessage):
                        self.emit(metadata, inner, dedupe=True)

    def _mark_seen(self, state: Any) -> None:
        from langchain_core.messages import BaseMessage

        for value in _fields(state):
            if isinstance(value, BaseMessage):
                if value.id is not None:
                    self.seen.add(value.id)
            elif isinstance(value, Sequence) and not isinstance(value, str):
                for item in value:
                    if isinstance(item, BaseMessage) and item.id is not None:
                        self.seen.add(item.id)


def _fields(state: Any) -> list[Any]:
    """A state's top-level values: a dict's, a dataclass's or a Pydantic model's."""
    if isinstance(state, dict):
        return list(state.values())
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        return [getattr(state, f.name) for f in dataclasses.fields(state)]
    fields = getattr(type(state), "model_fields", None)
    if isinstance(fields, dict):
        return [getattr(state, name) for name in fields]
    return []


def _with_handler(callbacks: Any, handler: Any) -> Any:
    """The run's own callbacks (a list or a manager) with the handler added."""
    if callbacks is None:
        return [handler]
    if isinstance(callbacks, list):
        return [*callbacks, handler]
    manager = callbacks.copy()
    manager.add_handler(handler, inherit=True)
    return manager


_HANDLER: type | None = None


def _handler_class() -> type:
    """The callback handler class, made on first use (it subclasses langchain-core's)."""
    global _HANDLER
    if _HANDLER is None:
        _HANDLER = _make_handler_class()
    return _HANDLER


def _make_handler_class() -> type:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk

    try:  # chat models stream through invoke() when a handler of this kind listens
        from langchain_core.tracers._streaming import _StreamingCallbackHandler
    except ImportError:  # pragma: no cover - older langchain-core
        _StreamingCallbackHandler = object  # type: ignore[assignment,misc]

    class MessagesHandler(BaseCallbackHandler, _StreamingCallbackHandler):
        """Chat model callbacks -> the run's messages events."""

        run_inline = True  # on the calling thread: tokens keep their order

        def __init__(self, stream: ChatStream) -> None:
            self.stream = stream
            # model run -> (event base: name, run id, tags, metadata; its input;
            # messages metadata, or None when the model is not streamed as messages)
            self.runs: dict[uuid.UUID, tuple[dict[str, Any], Any, dict[str, Any] | None]] = {}

        def tap_output_iter(self, run_id: uuid.UUID, output: Any) -> Any:
            return output

        def tap_output_aiter(self, run_id: uuid.UUID, output: Any) -> Any:
            return output

        def on_chat_model_start(
            self,
            serialized: dict[str, Any],
            messages: list[list[Any]],
            *,
            run_id: uuid.UUID,
            tags: list[str] | None = None,
            metadata: dict[str, Any] | None = None,
            name: str | None = None,
            **kwargs: Any,
        ) -> None:
            if not metadata or "langgraph_node" not in metadata:
                return  # not called from a node of this run
            base = {
                "name": name or _serialized_name(serialized),
                "run_id": str(run_id),
                "tags": list(tags or ()),
                "metadata": dict(metadata),
            }
            streamed = None
            if not (tags and NOSTREAM in tags) and _own_call(self.stream):
                user_tags = [t for t in tags or () if not t.startswith("seq:step")]
                streamed = {**metadata, "tags": user_tags} if user_tags else metadata
            inputs = {"messages": messages}
            self.runs[run_id] = (base, inputs, streamed)
            if self.stream.emit_event is not None:
                self.stream.emit_event({"event": "on_chat_model_start", **base, "data": {"input": inputs}})

        def on_llm_new_token(
            self, token: str, *, chunk: Any = None, run_id: uuid.UUID, **kwargs: Any
        ) -> None:
            run = self.runs.get(run_id)
            if run is None or not isinstance(chunk, ChatGenerationChunk):
                return
            base, _, streamed = run
            if self.stream.emit_event is not None:
                self.stream.emit_event(
                    {"event": "on_chat_model_stream", **base, "data": {"chunk": chunk.message}}
                )
            if streamed is not None:
                self.stream.emit(streamed, chunk.message)

        def on_llm_end(self, response: Any, *, run_id: uuid.UUID, **kwargs: Any) -> None:
            run = self.runs.pop(run_id, None)
            if run is None:
                return
            base, inputs, streamed = run
            generation = None
            if response.generations and response.generations[0]:
                generation = response.generations[0][0]
            message = generation.message if isinstance(generation, ChatGeneration) else None
            if self.stream.emit_event is not None:
                self.stream.emit_event(
                    {"event": "on_chat_model_end", **base, "data": {"output": message, "input": inputs}}
                )
            if streamed is not None and message is not None:
                self.stream.emit(streamed, message, dedupe=True)

        def on_llm_error(self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any) -> None:
            self.runs.pop(run_id, None)

    return MessagesHandler


def _own_call(stream: ChatStream) -> bool:
    """Whether a model is called by a task of the run `stream` is for, rather than
    by a subgraph run's (which streams its own messages when the top run streams
    subgraphs, and none otherwise, as in LangGraph)."""
    from lockstep.pregel.context import _current

    current = _current.get(None)
    return current is None or current[1].chat is stream


def _serialized_name(serialized: dict[str, Any] | None) -> str:
    """A model run's name as astream_events gives it when it was given none."""
    if serialized:
        if serialized.get("name"):
            return str(serialized["name"])
        if serialized.get("id"):
            return str(serialized["id"][-1])
    return "Unnamed"


def stream_for(events: Any, config: dict[str, Any]) -> ChatStream:
    """A run's messages mode: its events go to the run's queue as ("messages", pair)."""
    try:
        import langchain_core  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "stream_mode='messages' streams LangChain chat models and needs langchain-core: "
            "pip install 'lockstep[langchain]'"
        ) from exc

    def emit(message: Any, metadata: dict[str, Any]) -> None:
        events.append(("messages", (message, metadata)))
        wake = stream.wake
        if wake is not None:
            wake()

    stream = ChatStream(config, emit_message=emit)
    return stream
