"""Chat history as state: the `add_messages` reducer and `MessagesState`.

Messages are LangChain's (langchain-core, the `lockstep[langchain]` extra). This
module imports without it, so a schema naming `add_messages` can be defined
anywhere; the first merge raises a clear ImportError when it is missing.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypedDict

from lockstep.graph.channels import MISSING, ReducerFold

__all__ = ["REMOVE_ALL_MESSAGES", "MessagesState", "add_messages"]

#: The id of a `RemoveMessage` that clears the history before the messages after it.
REMOVE_ALL_MESSAGES = "__remove_all__"

FORMATS = ("langchain-openai", None)

Messages = Sequence[Any] | Any


_lc: Any = None


def langchain_messages() -> Any:
    """langchain_core.messages, or an ImportError saying how to get it."""
    global _lc
    if _lc is None:
        try:
            import langchain_core.messages as messages
        except ImportError as exc:
            raise ImportError(
                "messages need langchain-core: pip install 'lockstep[langchain]'"
            ) from exc
        _lc = messages
    return _lc


def add_messages(
    left: Messages | None = None,
    right: Messages | None = None,
    *,
    format: str | None = None,
) -> Messages | Callable[[Messages, Messages], Messages]:
    """Merge `right` into the history `left`: new messages are appended, one with
    the id of a message already there replaces it in place, a `RemoveMessage`
    deletes by id (REMOVE_ALL_MESSAGES: everything before it). Tuples, dicts and
    strings become messages and every message gets an id, as LangGraph's reducer
    does. Called with neither list (`add_messages(format=...)`) it returns the
    reducer with that format fixed, for `Annotated[list, add_messages(format=...)]`."""
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format!r}. Expected one of 'langchain-openai', None.")
    if left is None and right is None:
        return functools.partial(add_messages, format=format)
    if left is None or right is None:
        missing = "left" if left is None else "right"
        raise ValueError(
            f"add_messages needs both 'left' and 'right'; {missing!r} is None"
        )
    lc = langchain_messages()
    merged = _merged(lc, _coerce(lc, left), _coerce(lc, right))
    if format == "langchain-openai":
        merged = _openai_format(lc, merged)
    return merged


def _merged(lc: Any, old: list[Any], new: list[Any]) -> list[Any]:
    cut = _last_remove_all(lc, new)
    if cut is not None:
        return new[cut + 1 :]
    return _merge(lc, old, new)


# The last list _fold made and its ids: the next step's fold starts from that list
# (the channel's value), so appending to it need not index it again. A list changed
# in place since (its length tells) is indexed anew.
_last_fold: tuple[list[Any], set[str]] | None = None


def _fold(value: Any, writes: list[Any]) -> tuple[list[Any], list[Any]]:
    """A step's writes merged in order; each stored as the messages it became, with
    their ids, so that merging them again (_replay) gives the same messages."""
    global _last_fold
    lc = langchain_messages()
    last = _last_fold
    if last is not None and last[0] is value and len(value) == len(last[1]):
        merged, ids = value, last[1]
    else:
        merged, ids = _coerce(lc, value), None
    stored = []
    for write in writes:
        new = _coerce(lc, write)
        stored.append(new)
        added = {m.id for m in new} if ids is not None else None
        if (
            added is not None
            and len(added) == len(new)
            and ids.isdisjoint(added)
            and not any(isinstance(m, lc.RemoveMessage) for m in new)
        ):
            merged, ids = merged + new, ids | added  # only new messages: appended
        else:
            merged, ids = _merged(lc, merged, new), None
    if ids is None:
        ids = {m.id for m in merged}
    if len(ids) == len(merged):
        _last_fold = (merged, ids)
    return merged, stored


def _replay(value: Any, stored: list[Any]) -> list[Any]:
    """Stored writes merged again onto a checkpoint's value. Most only add messages
    with new ids: they are appended without rebuilding the index of the rest."""
    lc = langchain_messages()
    merged = [] if value is MISSING else list(value)
    ids = {m.id for m in merged}
    for new in stored:
        added = {m.id for m in new}
        if len(added) == len(new) and ids.isdisjoint(added) and not any(
            isinstance(m, lc.RemoveMessage) for m in new
        ):
            merged += new
            ids |= added
        else:
            merged = _merged(lc, merged, new)
            ids = {m.id for m in merged}
    return merged


# Checkpointed by its own fold and replay: merging a step's writes again as they
# came would give new ids to the messages that came without one.
add_messages.lockstep_fold = ReducerFold(_fold, _replay)  # type: ignore[attr-defined]


def _coerce(lc: Any, value: Messages) -> list[Any]:
    items = value if isinstance(value, list | tuple) and not _is_tuple_message(value) else [value]
    message, chunk = lc.BaseMessage, lc.BaseMessageChunk
    if all(issubclass(k, message) and not issubclass(k, chunk) for k in set(map(type, items))):
        out = list(items)  # the usual case: messages already (what converting would keep)
    else:
        out = [lc.message_chunk_to_message(m) for m in lc.convert_to_messages(items)]
    for message in out:
        if message.id is None:
            message.id = str(uuid.uuid4())
    return out


def _is_tuple_message(value: Any) -> bool:
    """("user", "hi") is one message, not a list of two strings."""
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)


def _last_remove_all(lc: Any, new: list[Any]) -> int | None:
    for index in range(len(new) - 1, -1, -1):
        message = new[index]
        if isinstance(message, lc.RemoveMessage) and message.id == REMOVE_ALL_MESSAGES:
            return index
    return None


def _merge(lc: Any, old: list[Any], new: list[Any]) -> list[Any]:
    merged = list(old)
    at = {m.id: i for i, m in enumerate(merged)}
    removed: set[str] = set()
    for message in new:
        index = at.get(message.id)
        if isinstance(message, lc.RemoveMessage):
            if index is None:
                raise ValueError(
                    f"Attempting to delete a message with an ID that doesn't exist ({message.id!r})"
                )
            removed.add(message.id)
        elif index is None:
            at[message.id] = len(merged)
            merged.append(message)
        else:
            merged[index] = message
            removed.discard(message.id)
    if removed:
        merged = [m for m in merged if m.id not in removed]
    return merged


def _openai_format(lc: Any, messages: list[Any]) -> list[Any]:
    """Contents as OpenAI's API takes them (strings, text and image_url blocks), each
    tool result its own ToolMessage: made by a round trip through OpenAI's dicts."""
    return lc.convert_to_messages(lc.convert_to_openai_messages(messages))


class MessagesState(TypedDict):
    """A state of one key, `messages`, merged with `add_messages`. (A list of
    LangChain messages; typed `list` so that importing Lockstep loads no LangChain.)"""

    messages: Annotated[list, add_messages]
