"""Engine and run objects -> protobuf messages."""

from __future__ import annotations

import base64
import datetime
import enum
import math
from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2
from google.protobuf.message import Message

from lockstep.jsonable import jsonable
from lockstep.runs import model as runs
from lockstep.runs.errors import Code, Reason, RequestError
from lockstep.runs.model import ThreadStatus
from lockstep.runs.threads import IfExists, Thread
from lockstep.types import Interrupt, PregelTask, StateSnapshot
from lockstep_api import convert, names
from lockstep_api.v1 import enums_pb2, message_pb2

# The contract's short names (lockstep_api.names), in the directions this module needs.
SOURCES = names.CHECKPOINT_SOURCES.numbers
MODES = names.STREAM_MODES.names
INTERRUPT_WHEN = names.INTERRUPT_WHEN.numbers


def _numbered(members: type[enum.Enum], wire: names.EnumNames) -> dict[Any, int]:
    """A run-layer enum's members -> the wire's numbers for the same names."""
    return {m: wire.number(m.name.lower()) for m in members}


#: The run layer's enums as the wire numbers them, and back.
THREAD_STATUS = _numbered(ThreadStatus, names.THREAD_STATUSES)
THREAD_STATUS_OF = {v: k for k, v in THREAD_STATUS.items()}
RUN_STATUS = _numbered(runs.RunStatus, names.RUN_STATUSES)
RUN_STATUS_OF = {v: k for k, v in RUN_STATUS.items()}
MULTITASK = _numbered(runs.Multitask, names.MULTITASK_STRATEGIES)
MULTITASK_OF = {v: k for k, v in MULTITASK.items()}
IF_EXISTS_OF = {v: k for k, v in _numbered(IfExists, names.IF_EXISTS).items()}


def finite(data: Any, path: str = "value") -> Any:
    """`data` itself, after checking a request's numbers: NaN and the infinities are not JSON."""
    if isinstance(data, float) and not math.isfinite(data):
        raise ValueError(f"{path}: {'NaN' if math.isnan(data) else data} is not a JSON value")
    if isinstance(data, dict):
        for k, v in data.items():
            finite(v, f"{path}[{k!r}]")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            finite(v, f"{path}[{i}]")
    return data


def struct(value: Any) -> struct_pb2.Struct:
    data = jsonable(value)
    if not isinstance(data, dict):
        data = {"value": data}
    return convert.to_struct(data)


def value(v: Any) -> struct_pb2.Value:
    return convert.to_value(jsonable(v))


def timestamp(iso: str | datetime.datetime | None) -> timestamp_pb2.Timestamp | None:
    if iso is None:
        return None
    ts = timestamp_pb2.Timestamp()
    moment = iso if isinstance(iso, datetime.datetime) else datetime.datetime.fromisoformat(iso)
    ts.FromDatetime(moment)
    return ts


def checkpoint_ref(config: dict | None) -> message_pb2.CheckpointRef | None:
    if not config:
        return None
    conf = config.get("configurable", {})
    return message_pb2.CheckpointRef(
        thread_id=str(conf.get("thread_id", "")),
        checkpoint_id=conf.get("checkpoint_id") or "",
        checkpoint_ns=conf.get("checkpoint_ns") or "",
    )


def interrupt(item: Interrupt, node: str = "", task_id: str = "", when: str = "during"):
    return message_pb2.Interrupt(
        id=item.id,
        value=value(item.value),
        node=node,
        task_id=task_id,
        when=INTERRUPT_WHEN[when],
    )


def snapshot_interrupts(snap: StateSnapshot) -> list[message_pb2.Interrupt]:
    return [interrupt(i, t.name, t.id) for t in snap.tasks for i in t.interrupts]


def task(t: PregelTask) -> message_pb2.Task:
    """A task of a snapshot; one that runs a subgraph carries the subgraph's address
    and, when the snapshot was asked for with subgraphs, its state (nested)."""
    msg = message_pb2.Task(
        id=t.id,
        name=t.name,
        error="" if t.error is None else str(t.error),
        interrupts=[interrupt(i, t.name, t.id) for i in t.interrupts],
        result=value(t.result) if t.result is not None else None,
    )
    state = t.state
    if isinstance(state, StateSnapshot):
        msg.state.CopyFrom(snapshot(state))
        state = state.config
    ref = checkpoint_ref(state) if isinstance(state, dict) else None
    if ref is not None:
        ref.checkpoint_id = ""  # the subgraph's address: its latest checkpoint
        msg.subgraph.CopyFrom(ref)
    return msg


def snapshot(snap: StateSnapshot) -> message_pb2.StateSnapshot:
    meta = snap.metadata or {}
    extra = {k: v for k, v in meta.items() if k not in ("source", "step", "parents")}
    msg = message_pb2.StateSnapshot(
        values=struct(snap.values),
        next=list(snap.next),
        tasks=[task(t) for t in snap.tasks],
        interrupts=snapshot_interrupts(snap),
    )
    ref = checkpoint_ref(snap.config)
    if ref is not None:
        msg.checkpoint.CopyFrom(ref)
    parent = checkpoint_ref(snap.parent_config)
    if parent is not None:
        msg.parent_checkpoint.CopyFrom(parent)
    if snap.metadata is not None:
        msg.metadata.CopyFrom(
            message_pb2.CheckpointMetadata(
                source=SOURCES.get(meta.get("source", ""), enums_pb2.CHECKPOINT_SOURCE_UNSPECIFIED),
                step=int(meta.get("step", 0)),
                extra=struct(extra) if extra else None,
            )
        )
    created = timestamp(snap.created_at)
    if created is not None:
        msg.created_at.CopyFrom(created)
    return msg


def _json_struct(data: Any) -> struct_pb2.Struct:
    """A Struct of data already JSON-shaped (a run's events are, as they happen)."""
    return convert.to_struct(data if isinstance(data, dict) else {"value": data})


def run_error(error: runs.RunError) -> message_pb2.RunError:
    return message_pb2.RunError(
        message=error.message, node=error.node, code=int(error.code), error_type=error.error_type
    )


def run(item: runs.Run) -> message_pb2.Run:
    return message_pb2.Run(
        run_id=item.run_id,
        thread_id=item.thread_id,
        graph_id=item.graph_id,
        status=RUN_STATUS[item.status],
        created_at=timestamp(item.created_at),
        updated_at=timestamp(item.updated_at),
        metadata=struct(item.metadata),
        multitask_strategy=MULTITASK[item.multitask],
        error=run_error(item.error) if item.error is not None else None,
    )


def run_event(event: runs.RunEvent) -> message_pb2.RunEvent:
    """One event of a run's stream as the wire carries it, with its namespace."""
    msg = _run_event(event)
    namespace = getattr(event, "namespace", ())
    if namespace:
        msg.namespace.extend(namespace)
    return msg


def _run_event(event: runs.RunEvent) -> message_pb2.RunEvent:
    match event:
        case runs.ValuesEvent(values=values):
            return message_pb2.RunEvent(values=_json_struct(values))
        case runs.UpdateEvent(node=node, values=values):
            update = message_pb2.NodeUpdate(node=node)
            if values is not None:
                update.values.CopyFrom(_json_struct(values))
            return message_pb2.RunEvent(updates=update)
        case runs.CustomEvent(value=custom):
            return message_pb2.RunEvent(custom=convert.to_value(custom))
        case runs.DebugEvent(values=values):
            return message_pb2.RunEvent(debug=_json_struct(values))
        case runs.MessageEvent(message=message, metadata=metadata):
            return message_pb2.RunEvent(
                messages=message_pb2.MessageChunk(
                    message=_json_struct(message), metadata=_json_struct(metadata)
                )
            )
        case runs.CheckpointEvent(values=values):
            return message_pb2.RunEvent(checkpoints=_json_struct(values))
        case runs.TaskEvent(values=values):
            return message_pb2.RunEvent(tasks=_json_struct(values))
        case runs.InterruptEvent():
            return message_pb2.RunEvent(
                interrupt=message_pb2.Interrupt(
                    id=event.id,
                    value=convert.to_value(event.value),
                    node=event.node,
                    task_id=event.task_id,
                    when=INTERRUPT_WHEN[event.when],
                )
            )
        case runs.MetadataEvent():
            return message_pb2.RunEvent(
                metadata=message_pb2.RunMetadata(
                    run_id=event.run_id, thread_id=event.thread_id, graph_id=event.graph_id
                )
            )
        case runs.ErrorEvent(error=error):
            return message_pb2.RunEvent(error=run_error(error))
        case runs.EndEvent(status=status, checkpoint=config):
            return message_pb2.RunEvent(
                end=message_pb2.RunEnd(status=RUN_STATUS[status], checkpoint=checkpoint_ref(config))
            )
    raise TypeError(f"not a run event: {event!r}")


def thread(item: Thread) -> message_pb2.Thread:
    msg = message_pb2.Thread(
        thread_id=item.thread_id,
        graph_id=item.graph_id,
        status=THREAD_STATUS[item.status],
        created_at=timestamp(item.created_at),
        updated_at=timestamp(item.updated_at),
        metadata=struct(item.metadata),
    )
    if item.state is not None:
        msg.values.CopyFrom(struct(item.state.values))
        msg.interrupts.extend(snapshot_interrupts(item.state))
    return msg


def _token(kind: str, value: str) -> str:
    """An opaque page token: which kind of position, and the position."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def _untoken(token: str, kind: str) -> str:
    try:
        found, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        found, value = "", ""
    if found != kind or not value:
        raise ValueError(f"page_token {token!r} is not one this server issued")
    return value


def page_token(offset: int) -> str:
    return _token("o", str(offset))


def page_offset(token: str) -> int:
    if not token:
        return 0
    try:
        offset = int(_untoken(token, "o"))
    except ValueError:
        offset = -1
    if offset < 0:
        raise ValueError(f"page_token {token!r} is not one this server issued")
    return offset


def page(
    items: list, token: str, size: int, to_message: Callable[[Any], Message], limit: int, what: str
) -> tuple[list[Message], str]:
    """One page of a listing held in memory, as messages that fit one reply under
    `limit` bytes (see fitting), and the token of the next ("" at the end)."""
    offset = page_offset(token)
    sent = [to_message(item) for item in items[offset : offset + size]]
    del sent[fitting(sent, limit, what) :]
    end = offset + len(sent)
    return sent, page_token(end) if end < len(items) else ""


#: Room kept in a listing reply for its page token and the reply's own framing (a
#: quarter of the limit when that is less: a token is some 100 bytes).
_REPLY_ROOM = 4096


def fitting(items: Sequence[Message], limit: int, what: str) -> int:
    """How many of a listing's items, in order, fit one reply under `limit` bytes
    (the server's message limit). A page may hold fewer than asked (AIP-158): its
    token then resumes after the last one sent, where a reply over the limit would
    fail whole. At least one; an item that alone does not fit is an error saying
    which limit to raise."""
    room = limit - min(_REPLY_ROOM, limit // 4)
    used = 0
    for count, item in enumerate(items):
        size = item.ByteSize()
        used += size + 6  # the field's tag and length prefix
        if used > room:
            if count == 0:
                raise RequestError(
                    f"one {what} is {size} bytes, too big for a reply under the server's "
                    f"message limit of {limit} bytes (lockstep serve --max-message-bytes)",
                    Reason.REPLY_TOO_LARGE,
                    Code.RESOURCE_EXHAUSTED,
                )
            return count
    return len(items)


def checkpoint_token(checkpoint_id: str) -> str:
    """A history page token: the checkpoint the next page starts before."""
    return _token("c", checkpoint_id)


def token_checkpoint(token: str) -> str:
    return _untoken(token, "c")


def page_size(size: int, default: int = 50, most: int = 1000) -> int:
    if size < 0:
        raise ValueError(f"page_size must not be negative, got {size}")
    return min(size or default, most)
