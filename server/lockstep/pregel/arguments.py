"""A run method's keyword arguments, checked once and handed to the loop as one dict."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from lockstep.options import unsupported


def run_options(
    context: Any,
    print_mode: str | Sequence[str],
    output_keys: str | Sequence[str] | None,
    interrupt_before: str | Sequence[str] | None,
    interrupt_after: str | Sequence[str] | None,
    durability: str | None,
    control: Any,
    subgraphs: bool,
    debug: bool | None,
    version: str,
) -> dict[str, Any]:
    """The options stream/astream/invoke/ainvoke act on; the rest are refused when set.
    (`subgraphs` is the stream's shape: the caller passes it on itself.)"""
    unsupported(
        "stream",
        print_mode=(print_mode or None, "print the chunks you read"),
        output_keys=(output_keys, "pick the keys you need from each chunk"),
        control=(control, "stop a run by leaving its stream, or cancel it on a server"),
        debug=(debug or None, 'use stream_mode="debug"'),
        version=(None if version == "v1" else version, 'leave version at "v1"'),
    )
    return {
        "context": context,
        "interrupt_before": _names(interrupt_before),
        "interrupt_after": _names(interrupt_after),
        "durability": durability,
    }


def astream_options(
    *,
    context: Any = None,
    print_mode: str | Sequence[str] = (),
    output_keys: str | Sequence[str] | None = None,
    interrupt_before: str | Sequence[str] | None = None,
    interrupt_after: str | Sequence[str] | None = None,
    durability: str | None = None,
    control: Any = None,
    subgraphs: bool = False,
    debug: bool | None = None,
    version: str = "v1",
) -> tuple[dict[str, Any], bool]:
    """astream's keywords given as a dict (astream_events forwards them), checked as
    astream checks its own: (run_options' dict, subgraphs)."""
    options = run_options(
        context, print_mode, output_keys, interrupt_before, interrupt_after,
        durability, control, subgraphs, debug, version,
    )
    return options, subgraphs


# What the run itself takes from its config: LangGraph gives its nodes neither.
_RUN_ONLY = frozenset({"run_name", "run_id"})


def node_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The config a run's nodes are given (made once per run; pregel/streaming.py's
    task_config adds each task's part), as LangGraph gives it: the caller's keys but
    the run's name and id (`recursion_limit` only if the caller gave one), with
    `configurable`, `metadata` and `callbacks` always there and `tags` when there
    are some."""
    config = config or {}
    out = {"metadata": {}, "callbacks": None}
    out.update((k, v) for k, v in config.items() if k not in _RUN_ONLY)
    if not out.get("tags"):
        out.pop("tags", None)
    out["configurable"] = dict(config.get("configurable") or {})
    return out


def coerce_context(schema: type | None, context: Any) -> Any:
    """As LangGraph: a dict given for a dataclass or Pydantic context_schema is made
    into one; anything else is passed as given."""
    if schema is None or not isinstance(context, dict):
        return context
    if dataclasses.is_dataclass(schema) or hasattr(schema, "model_validate"):
        return schema(**context)
    return context


def _names(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)
