"""Request building shared by Client and AsyncClient: one place that turns arguments into protos.

Everything here is pure (no I/O), so argument mistakes raise before any call is made.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from lockstep_api import names
from lockstep_api.convert import fill_struct, fill_value, from_struct
from lockstep_api.v1 import (
    message_pb2,
    runs_service_pb2,
    store_service_pb2,
    threads_service_pb2,
)
from lockstep_client.errors import RunFailedError, status_code_from_number
from lockstep_client.types import (
    Run,
    RunResult,
    StateSnapshot,
    Thread,
    config_from_ref,
    interrupt_from_proto,
    run_error_from_proto,
    run_from_proto,
    snapshot_from_proto,
    thread_from_proto,
)

#: Interrupt ids are 32 lowercase hex digits (a 128-bit digest), as the engine and LangGraph make them.
INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")

#: The RunnableConfig keys that can travel as JSON; the rest (callbacks, ...) stay behind.
_CONFIG_KEYS = ("recursion_limit", "tags", "metadata", "run_name", "max_concurrency")
_CONFIGURABLE_ON_THE_REQUEST = ("thread_id", "checkpoint_id", "checkpoint_ns")
#: What a parent graph's task puts in the config of a node it runs (a RemoteGraph as a
#: node): the local run's bookkeeping, never sent (as LangGraph's RemoteGraph drops it).
_CONFIGURABLE_LOCAL = ("checkpoint_map", "task_id")

R = TypeVar("R", bound=Message)
T = TypeVar("T")

#: How many items a listing asks for per page unless told otherwise.
DEFAULT_PAGE = 100


def choice(table: names.EnumNames, value: str | None, what: str) -> int:
    """A name from `table` -> its enum number (0 = unspecified for None)."""
    if value is None:
        return 0
    try:
        return table.number(value)
    except KeyError:
        allowed = ", ".join(repr(k) for k in table.numbers)
        raise ValueError(f"unknown {what} {value!r}; expected one of {allowed}") from None


def stream_modes(stream_mode: str | Sequence[str]) -> list[str]:
    """Validate stream_mode (one name or several); ValueError before any call for unknown ones."""
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
    if not modes:
        raise ValueError("stream_mode must name at least one mode")
    for mode in modes:
        if mode not in names.STREAM_MODES.numbers:
            allowed = ", ".join(repr(k) for k in names.STREAM_MODES.numbers)
            raise ValueError(f"unknown stream_mode {mode!r}; expected one of {allowed}")
    return list(dict.fromkeys(modes))


def is_command_like(obj: Any) -> bool:
    """True for lockstep's or LangGraph's Command (duck-typed: neither is imported)."""
    return (
        not isinstance(obj, Mapping)
        and hasattr(obj, "resume")
        and hasattr(obj, "update")
        and hasattr(obj, "goto")
    )


def looks_like_resume_by_id(resume: Any) -> bool:
    """A resume dict whose keys are all interrupt ids answers those interrupts one by one."""
    return (
        isinstance(resume, Mapping)
        and len(resume) > 0
        and all(isinstance(k, str) and INTERRUPT_ID.fullmatch(k) for k in resume)
    )


def command_to_proto(command: Any, path: str = "command") -> message_pb2.Command:
    """A dict ({'resume', 'resume_by_id', 'update', 'goto'}) or Command-like object -> Command.

    `resume=None` means "no resume value", as in LangGraph's Command. A resume dict
    whose keys are all 32-hex interrupt ids goes out as `resume_by_id`; any other
    value (including other dicts) is the single resume value. Pass `resume_by_id`
    explicitly to be unambiguous.
    """
    if isinstance(command, Mapping):
        unknown = set(command) - {"resume", "resume_by_id", "update", "goto"}
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {sorted(unknown)}; expected resume, "
                "resume_by_id, update, goto"
            )
        resume = command.get("resume")
        by_id = command.get("resume_by_id")
        update = command.get("update")
        goto = command.get("goto")
    elif is_command_like(command):
        if getattr(command, "graph", None) is not None:
            raise ValueError(f"{path}: Command(graph=...) cannot be sent to a server")
        resume, update, goto = command.resume, command.update, command.goto
        by_id = getattr(command, "resume_by_id", None)
    else:
        raise TypeError(f"{path}: expected a dict or a Command, got {type(command).__name__}")
    if by_id is None and looks_like_resume_by_id(resume):
        by_id, resume = resume, None
    if by_id is not None and resume is not None:
        raise ValueError(f"{path}: set resume or resume_by_id, not both")
    msg = message_pb2.Command()
    if resume is not None:
        fill_value(msg.resume, resume, f"{path}.resume")
    if by_id is not None:
        if not isinstance(by_id, Mapping):
            raise TypeError(f"{path}.resume_by_id: expected a dict of interrupt id -> value")
        for key, value in by_id.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}.resume_by_id: key {key!r} is not an interrupt id")
            fill_value(msg.resume_by_id[key], value, f"{path}.resume_by_id[{key!r}]")
    if update is not None:
        if isinstance(update, list | tuple):  # LangGraph also takes [(key, value), ...]
            try:
                update = dict(update)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{path}.update: expected a dict or a list of (key, value) pairs"
                ) from None
        fill_struct(msg.update, update, f"{path}.update")
    if goto:
        targets = [goto] if isinstance(goto, str) else list(goto)
        for target in targets:
            if not isinstance(target, str):
                raise TypeError(
                    f"{path}.goto: only node names can be sent to a server, got "
                    f"{type(target).__name__}"
                )
        msg.goto.extend(targets)
    return msg


def run_config(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The JSON-able part of a RunnableConfig, minus what the request carries in its own fields."""
    if not config:
        return None
    out = {k: config[k] for k in _CONFIG_KEYS if config.get(k) is not None}
    configurable = {
        k: v
        for k, v in (config.get("configurable") or {}).items()
        if k not in _CONFIGURABLE_ON_THE_REQUEST
        and k not in _CONFIGURABLE_LOCAL
        and not k.startswith("__")
    }
    if configurable:
        out["configurable"] = configurable
    return out or None


def run_request(
    cls: type[R],
    *,
    thread_id: str | None,
    graph_id: str,
    input: Any = None,
    command: Any = None,
    stream_mode: str | Sequence[str] = "values",
    interrupt_before: Sequence[str] | str | None = None,
    interrupt_after: Sequence[str] | str | None = None,
    checkpoint_id: str | None = None,
    multitask_strategy: str | None = None,
    on_disconnect: str | None = None,
    config: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    durability: str | None = None,
    context: Mapping[str, Any] | None = None,
    subgraphs: bool = False,
    checkpoint_ns: str = "",
) -> R:
    """A StreamRunRequest, WaitRunRequest or CreateRunRequest (they share their fields).
    `context` is the run's Runtime context: a dict, or a dataclass or Pydantic model
    (sent as its fields)."""
    modes = stream_modes(stream_mode)
    req: Any = cls(
        thread_id=thread_id or "",
        graph_id=graph_id,
        stream_modes=[names.STREAM_MODES.number(m) for m in modes],
        multitask_strategy=choice(
            names.MULTITASK_STRATEGIES, multitask_strategy, "multitask_strategy"
        ),
        on_disconnect=choice(names.ON_DISCONNECT, on_disconnect, "on_disconnect"),
        durability=choice(names.DURABILITY, durability, "durability"),
        subgraphs=bool(subgraphs),
        checkpoint_ns=checkpoint_ns or "",
    )
    if input is not None:
        fill_struct(req.input, input, "input")
    if command is not None:
        req.command.CopyFrom(command_to_proto(command))
    if interrupt_before:
        req.interrupt_before.extend(
            [interrupt_before] if isinstance(interrupt_before, str) else interrupt_before
        )
    if interrupt_after:
        req.interrupt_after.extend(
            [interrupt_after] if isinstance(interrupt_after, str) else interrupt_after
        )
    if checkpoint_id:
        req.checkpoint_id = checkpoint_id
    cfg = run_config(config)
    if cfg:
        fill_struct(req.config, cfg, "config")
    if metadata:
        fill_struct(req.metadata, metadata, "metadata")
    if context is not None:
        fill_struct(req.context, context_dict(context), "context")
    return req


def context_dict(context: Any) -> Mapping[str, Any]:
    """A run's context as the JSON object the wire carries: a dict as it is, a
    dataclass or Pydantic model as its fields (the server makes it into the graph's
    context_schema again)."""
    if isinstance(context, Mapping):
        return context
    if dataclasses.is_dataclass(context) and not isinstance(context, type):
        return dataclasses.asdict(context)
    dump = getattr(context, "model_dump", None)
    if callable(dump):
        return dump()
    raise TypeError(
        f"context: expected a dict, a dataclass or a Pydantic model, got {type(context).__name__}"
    )


def thread_and_checkpoint(config: Mapping[str, Any] | None) -> tuple[str, str | None, str]:
    """(thread_id, checkpoint_id, checkpoint_ns) from a LangGraph-style config."""
    configurable = (config or {}).get("configurable") or {}
    return (
        configurable.get("thread_id") or "",
        configurable.get("checkpoint_id") or None,
        configurable.get("checkpoint_ns") or "",
    )


def result_from_wait(resp: runs_service_pb2.WaitRunResponse, raise_error: bool) -> RunResult:
    """WaitRunResponse -> RunResult; an errored run raises RunFailedError if asked to."""
    error = run_error_from_proto(resp.error) if resp.HasField("error") else None
    if error is not None and raise_error:
        raise RunFailedError(
            error.message,
            status_code_from_number(error.code),
            node=error.node,
            error_type=error.error_type,
            run_id=resp.run_id,
            thread_id=resp.thread_id,
        )
    return RunResult(
        run_id=resp.run_id,
        thread_id=resp.thread_id,
        status=names.RUN_STATUSES.name(resp.status),
        values=from_struct(resp.values) if resp.HasField("values") else {},
        interrupts=tuple(interrupt_from_proto(i) for i in resp.interrupts),
        error=error,
        checkpoint=config_from_ref(resp.checkpoint) if resp.HasField("checkpoint") else None,
    )


def history_request(
    thread_id: str,
    page_size: int,
    page_token: str,
    before: str | Mapping[str, Any] | None,
    checkpoint_ns: str,
    filter: Mapping[str, Any] | None,
    graph_id: str | None,
) -> threads_service_pb2.GetStateHistoryRequest:
    req = threads_service_pb2.GetStateHistoryRequest(
        thread_id=thread_id,
        page_size=page_size,
        page_token=page_token,
        checkpoint_ns=checkpoint_ns,
        graph_id=graph_id or "",
    )
    if isinstance(before, Mapping):  # a LangGraph config, as RemoteGraph callers pass it
        before = thread_and_checkpoint(before)[1]
    if before:
        req.before = before
    if filter:
        fill_struct(req.filter, filter, "filter")
    return req


def update_state_request(
    thread_id: str,
    values: Any,
    as_node: str | None,
    checkpoint_id: str | None,
    checkpoint_ns: str = "",
    graph_id: str | None = None,
) -> threads_service_pb2.UpdateStateRequest:
    req = threads_service_pb2.UpdateStateRequest(
        thread_id=thread_id,
        as_node=as_node or "",
        checkpoint_ns=checkpoint_ns,
        graph_id=graph_id or "",
    )
    if values is not None:
        fill_struct(req.values, values, "values")
    if checkpoint_id:
        req.checkpoint_id = checkpoint_id
    return req


def get_state_request(
    thread_id: str,
    checkpoint_id: str | None,
    checkpoint_ns: str = "",
    graph_id: str | None = None,
    subgraphs: bool = False,
) -> threads_service_pb2.GetStateRequest:
    req = threads_service_pb2.GetStateRequest(
        thread_id=thread_id,
        checkpoint_ns=checkpoint_ns,
        graph_id=graph_id or "",
        subgraphs=bool(subgraphs),
    )
    if checkpoint_id:
        req.checkpoint_id = checkpoint_id
    return req


def list_threads_request(
    graph_id: str | None,
    status: str | None,
    metadata: Mapping[str, Any] | None,
    page_size: int,
    page_token: str,
) -> threads_service_pb2.ListThreadsRequest:
    req = threads_service_pb2.ListThreadsRequest(
        graph_id=graph_id or "",
        status=choice(names.THREAD_STATUSES, status, "thread status"),
        page_size=page_size,
        page_token=page_token,
    )
    if metadata:
        fill_struct(req.metadata, metadata, "metadata")
    return req


def create_thread_request(
    thread_id: str | None,
    graph_id: str | None,
    metadata: Mapping[str, Any] | None,
    if_exists: str | None,
) -> threads_service_pb2.CreateThreadRequest:
    req = threads_service_pb2.CreateThreadRequest(
        thread_id=thread_id or "",
        graph_id=graph_id or "",
        if_exists=choice(names.IF_EXISTS, if_exists, "if_exists"),
    )
    if metadata:
        fill_struct(req.metadata, metadata, "metadata")
    return req


def list_runs_request(
    thread_id: str | None, status: str | None, page_size: int, page_token: str
) -> runs_service_pb2.ListRunsRequest:
    return runs_service_pb2.ListRunsRequest(
        thread_id=thread_id or "",
        status=choice(names.RUN_STATUSES, status, "run status"),
        page_size=page_size,
        page_token=page_token,
    )


def page_size_for(limit: int | None, page_size: int) -> int:
    return min(limit, page_size) if limit else page_size


class Pager(Generic[T]):
    """Paging with no I/O, shared by Client and AsyncClient: they differ only in how they fetch.

    Ask `next_request()` for the next page's request (None once done), make the call,
    and hand the response to `take()` for that page's items (converted as consumed),
    cut at `limit`. The request is built only when asked for, so a listing that is
    never consumed makes no call, and argument errors raise when it is.
    """

    def __init__(
        self,
        make_request: Callable[[int, str], Any],
        items: Callable[[Any], Sequence[Any]],
        convert: Callable[[Any], T],
        limit: int | None,
        page_size: int,
    ) -> None:
        self._make_request = make_request
        self._items = items
        self._convert = convert
        self.limit = limit
        self.page_size = page_size
        self.seen = 0
        self.token = ""
        self.done = False

    def next_request(self) -> Any:
        if self.done:
            return None
        size = page_size_for(self.limit and self.limit - self.seen, self.page_size)
        return self._make_request(size, self.token)

    def take(self, resp: Any) -> Iterator[T]:
        raw = list(self._items(resp))
        if self.limit:
            raw = raw[: self.limit - self.seen]
        self.seen += len(raw)
        self.token = resp.next_page_token
        self.done = not self.token or bool(self.limit and self.seen >= self.limit)
        return map(self._convert, raw)


def threads_pager(
    graph_id: str | None,
    status: str | None,
    metadata: Mapping[str, Any] | None,
    limit: int | None,
    page_size: int,
) -> Pager[Thread]:
    """The pages of a ListThreads, as Threads."""
    return Pager(
        lambda size, token: list_threads_request(graph_id, status, metadata, size, token),
        lambda resp: resp.threads,
        thread_from_proto,
        limit,
        page_size,
    )


def history_pager(
    thread_id: str,
    limit: int | None,
    before: str | Mapping[str, Any] | None,
    checkpoint_ns: str,
    filter: Mapping[str, Any] | None,
    graph_id: str | None,
    page_size: int,
) -> Pager[StateSnapshot]:
    """The pages of a GetStateHistory, as StateSnapshots."""
    return Pager(
        lambda size, token: history_request(
            thread_id, size, token, before, checkpoint_ns, filter, graph_id
        ),
        lambda resp: resp.states,
        snapshot_from_proto,
        limit,
        page_size,
    )


def runs_pager(
    thread_id: str | None, status: str | None, limit: int | None, page_size: int
) -> Pager[Run]:
    """The pages of a ListRuns, as Runs."""
    return Pager(
        lambda size, token: list_runs_request(thread_id, status, size, token),
        lambda resp: resp.runs,
        run_from_proto,
        limit,
        page_size,
    )


# -- the Store service (long-term memory) -------------------------------------------


def namespace(labels: Sequence[str], what: str = "namespace") -> list[str]:
    """A namespace's labels, checked to be a sequence of str (a bare str is refused:
    it would be sent as one label per character). The server checks the rest."""
    if isinstance(labels, str | bytes) or not isinstance(labels, Sequence):
        raise TypeError(f"{what} is a list of str labels, e.g. ['users', '42'], got {labels!r}")
    for label in labels:
        if not isinstance(label, str):
            raise TypeError(
                f"{what}: label {label!r} is a {type(label).__name__}; labels must be str"
            )
    return list(labels)


def _count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return value


def put_item_request(
    labels: Sequence[str],
    key: str,
    value: Mapping[str, Any],
    index: Any,
    ttl: float | None,
) -> store_service_pb2.PutItemRequest:
    """`index` is checked as LangGraph's store checks it and not sent: the server's
    stores have no embeddings index, so (as LangGraph's stores without one) it indexes
    nothing. `ttl` is in minutes, None for no expiry."""
    if not isinstance(value, Mapping):
        raise TypeError(f"value must be a dict, got {type(value).__name__}")
    if not (index is None or index is False or isinstance(index, list)):
        raise TypeError(f"index must be False, None or a list of field paths, got {index!r}")
    req = store_service_pb2.PutItemRequest(namespace=namespace(labels), key=key)
    fill_struct(req.value, value, "value")
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0:
            raise ValueError(f"ttl is a positive number of minutes (or None), got {ttl!r}")
        req.ttl.FromTimedelta(datetime.timedelta(minutes=ttl))
    return req


def get_item_request(
    labels: Sequence[str], key: str, refresh_ttl: bool | None
) -> store_service_pb2.GetItemRequest:
    req = store_service_pb2.GetItemRequest(namespace=namespace(labels), key=key)
    if refresh_ttl is not None:
        req.refresh_ttl = refresh_ttl
    return req


def search_items_request(
    prefix: Sequence[str],
    filter: Mapping[str, Any] | None,  # noqa: A002 - langgraph_sdk's name
    limit: int,
    offset: int,
    query: str | None,
    refresh_ttl: bool | None,
) -> store_service_pb2.SearchItemsRequest:
    req = store_service_pb2.SearchItemsRequest(
        namespace_prefix=namespace(prefix, "namespace_prefix"),
        limit=_count(limit, "limit"),
        offset=_count(offset, "offset"),
        query=query or "",
    )
    if filter is not None:
        fill_struct(req.filter, filter, "filter")
    if refresh_ttl is not None:
        req.refresh_ttl = refresh_ttl
    return req


def list_namespaces_request(
    prefix: Sequence[str] | None,
    suffix: Sequence[str] | None,
    max_depth: int | None,
    limit: int,
    offset: int,
) -> store_service_pb2.ListNamespacesRequest:
    req = store_service_pb2.ListNamespacesRequest(
        prefix=namespace(prefix or [], "prefix"),
        suffix=namespace(suffix or [], "suffix"),
        limit=_count(limit, "limit"),
        offset=_count(offset, "offset"),
    )
    if max_depth is not None:
        req.max_depth = _count(max_depth, "max_depth")
    return req
