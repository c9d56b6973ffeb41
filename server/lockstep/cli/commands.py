"""The client subcommands: one function each, talking to a server through the SDK.

Each returns the process exit code, which follows the gRPC status: 0 OK, else the
status code's number (NOT_FOUND 5, INVALID_ARGUMENT 3, ...). A run that ends with
an error event exits with that error's code (2 UNKNOWN for an exception in a node).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from lockstep.cli import output as out
from lockstep_client import Client, LockstepError, StreamPart

OK = 0
CANCELLED = grpc.StatusCode.CANCELLED.value[0]
UNKNOWN = grpc.StatusCode.UNKNOWN.value[0]
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]
NOT_FOUND = grpc.StatusCode.NOT_FOUND.value[0]
DEADLINE_EXCEEDED = grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION.value[0]

#: How a run's final status maps to an exit code (an error event decides 'error' itself).
_END_STATUS_CODE = {"cancelled": CANCELLED, "timeout": DEADLINE_EXCEEDED}


class CliError(Exception):
    """A mistake caught before (or instead of) a call: message for stderr, gRPC code for exit."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def status_number(code: grpc.StatusCode) -> int:
    return code.value[0]


def parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CliError(INVALID_ARGUMENT, f"{what} is not valid JSON ({err}): {text!r}") from None


def parse_object(text: str, what: str, *, allow_null: bool = False) -> dict[str, Any] | None:
    value = parse_json(text, what)
    if value is None and allow_null:
        return None
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        need = "a JSON object (or null)" if allow_null else "a JSON object"
        raise CliError(INVALID_ARGUMENT, f"{what} must be {need}, got {kind}: {text!r}")
    return value


class Printer:
    """Where output goes: stdout for results and events, stderr for trouble; flushed per line."""

    def __init__(self, as_json: bool) -> None:
        self.json = as_json

    def line(self, text: str) -> None:
        print(text, flush=True)

    def doc(self, obj: Any) -> None:
        self.line(out.to_json(obj))

    def err(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- graphs


def cmd_graphs(client: Client, args: argparse.Namespace, p: Printer) -> int:
    if args.graph is None:
        if args.mermaid:
            raise CliError(INVALID_ARGUMENT, "--mermaid needs a GRAPH to draw")
        graphs = client.graphs.list()
        if p.json:
            p.doc([out.graph_summary_json(g) for g in graphs])
        else:
            p.line(out.graphs_text(graphs))
        return OK
    if args.mermaid and p.json:
        raise CliError(INVALID_ARGUMENT, "use --mermaid or --json, not both")
    graph = client.graphs.get(args.graph)
    if args.mermaid:
        p.line(graph.mermaid.rstrip("\n"))
    elif p.json:
        p.doc(graph)
    else:
        p.line(out.graph_text(graph))
    return OK


# ---------------------------------------------------------------------------- runs


def _follow(parts: Iterator[StreamPart], thread_id: str, p: Printer) -> int:
    """Print a run's events as they arrive; the exit code comes from how the run ended."""
    interrupts = []
    code = OK
    for part in parts:
        event, data = part.kind, part.data
        if event == "metadata":
            thread_id = data.get("thread_id") or thread_id
        if p.json:
            p.line(out.event_json(part.event, data))
        else:
            text = out.event_text(event, data)
            if text is not None:
                p.line(out.namespaced(part.namespace, text))
        if event == "interrupt" and not part.namespace:  # a subgraph's is its parent's too
            interrupts.append(data)
        elif event == "error":
            code = data.code or UNKNOWN
            if not p.json:
                p.err("lockstep: " + out.run_error_text(data))
                p.err(out.run_error_hint(thread_id, data))
        elif event == "end":
            if code == OK:
                code = _END_STATUS_CODE.get(data.status, OK)
            if p.json:
                continue
            if interrupts:
                p.line(out.next_steps_text(thread_id, interrupts))
            elif data.status != "error":
                p.line(out.run_end_text(data.status))
    return code


def cmd_run(client: Client, args: argparse.Namespace, p: Printer) -> int:
    run_input = parse_object(args.input, "--input") if args.input is not None else None
    parts = client.runs.stream(
        args.thread,
        args.graph,
        input=run_input,
        stream_mode=args.stream_mode or "values",
        interrupt_before=args.interrupt_before or None,
        interrupt_after=args.interrupt_after or None,
        **_stream_extras(args),
    )
    return _follow(parts, args.thread or "", p)


def cmd_resume(client: Client, args: argparse.Namespace, p: Printer) -> int:
    command = {"resume": parse_json(args.value, "--value")} if args.value is not None else None
    graph_id = args.graph or client.threads.get(args.thread).graph_id
    if not graph_id:
        raise CliError(
            FAILED_PRECONDITION,
            f"thread {args.thread!r} has no graph yet; name one with --graph",
        )
    parts = client.runs.stream(
        args.thread,
        graph_id,
        command=command,
        stream_mode=args.stream_mode or "values",
        **_stream_extras(args),
    )
    return _follow(parts, args.thread, p)


def _stream_extras(args: argparse.Namespace) -> dict:
    """run's and resume's --subgraphs and --context, as the SDK takes them."""
    extras: dict = {"subgraphs": args.subgraphs}
    if args.context is not None:
        extras["context"] = parse_object(args.context, "--context")
    return extras


def cmd_cancel(client: Client, args: argparse.Namespace, p: Printer) -> int:
    run = client.runs.cancel(args.run, wait=args.wait)
    if p.json:
        p.doc(run)
    else:
        p.line(out.cancel_text(run))
    return OK


# ---------------------------------------------------------------------------- threads


def cmd_state(client: Client, args: argparse.Namespace, p: Printer) -> int:
    snap = client.threads.get_state(args.thread, args.checkpoint, subgraphs=args.subgraphs)
    if p.json:
        p.doc(snap)
    else:
        p.line(out.state_text(args.thread, snap))
    return OK


def cmd_update(client: Client, args: argparse.Namespace, p: Printer) -> int:
    values = parse_object(args.values, "the state update", allow_null=True)
    config = client.threads.update_state(args.thread, values, as_node=args.as_node)
    nxt = client.threads.get_state(args.thread).next
    if p.json:
        p.doc({"config": config, "next": nxt})
    else:
        p.line(out.update_text(args.thread, args.as_node, config, nxt))
    return OK


def cmd_history(client: Client, args: argparse.Namespace, p: Printer) -> int:
    snaps = client.threads.get_history(args.thread, limit=args.limit)
    if p.json:
        p.doc(snaps)
    else:
        p.line(out.history_text(snaps))
    return OK


def cmd_threads(client: Client, args: argparse.Namespace, p: Printer) -> int:
    threads = client.threads.list(graph_id=args.graph, status=args.status, limit=args.limit)
    if p.json:
        p.doc(threads)
    else:
        p.line(out.threads_text(threads))
    return OK


# ---------------------------------------------------------------------------- store


def cmd_store(client: Client, args: argparse.Namespace, p: Printer) -> int:
    return STORE_COMMANDS[args.store_command](client, args, p)


def _store_put(client: Client, args: argparse.Namespace, p: Printer) -> int:
    value = parse_object(args.value, "the value")
    client.store.put_item(args.namespace, args.key, value, ttl=args.ttl)
    if p.json:
        p.doc({"namespace": args.namespace, "key": args.key})
    else:
        p.line(f"put {out.item_name(args.namespace, args.key)}")
    return OK


def _store_get(client: Client, args: argparse.Namespace, p: Printer) -> int:
    item = client.store.get_item(args.namespace, args.key)
    if item is None:
        raise CliError(NOT_FOUND, f"no item {out.item_name(args.namespace, args.key)}")
    if p.json:
        p.doc(item)
    else:
        p.line(out.item_text(item))
    return OK


def _store_delete(client: Client, args: argparse.Namespace, p: Printer) -> int:
    client.store.delete_item(args.namespace, args.key)
    if p.json:
        p.doc({"namespace": args.namespace, "key": args.key})
    else:
        p.line(f"deleted {out.item_name(args.namespace, args.key)}")
    return OK


def _store_search(client: Client, args: argparse.Namespace, p: Printer) -> int:
    filt = parse_object(args.filter, "--filter") if args.filter is not None else None
    found = client.store.search_items(
        args.prefix, filter=filt, limit=args.limit, offset=args.offset, query=args.query
    )
    if p.json:
        p.doc(found)
    else:
        p.line(out.items_text(found["items"]))
    return OK


def _store_namespaces(client: Client, args: argparse.Namespace, p: Printer) -> int:
    found = client.store.list_namespaces(
        prefix=args.prefix,
        suffix=args.suffix,
        max_depth=args.max_depth,
        limit=args.limit,
        offset=args.offset,
    )
    if p.json:
        p.doc(found)
    else:
        p.line(out.namespaces_text(found["namespaces"]))
    return OK


STORE_COMMANDS: dict[str, Callable[[Client, argparse.Namespace, Printer], int]] = {
    "put": _store_put,
    "get": _store_get,
    "delete": _store_delete,
    "search": _store_search,
    "namespaces": _store_namespaces,
}

COMMANDS: dict[str, Callable[[Client, argparse.Namespace, Printer], int]] = {
    "graphs": cmd_graphs,
    "run": cmd_run,
    "resume": cmd_resume,
    "state": cmd_state,
    "update": cmd_update,
    "history": cmd_history,
    "threads": cmd_threads,
    "cancel": cmd_cancel,
    "store": cmd_store,
}


def run_client_command(args: argparse.Namespace) -> int:
    """Run one client subcommand; errors become a line on stderr and the status's exit code."""
    p = Printer(args.json)
    try:
        client = Client(
            args.address,
            token=args.token,
            timeout=args.timeout,
            tls=args.tls,
            ca_cert=args.tls_ca,
            client_cert=args.tls_cert,
            client_key=args.tls_key,
        )
        with client:
            return COMMANDS[args.command](client, args, p)
    except CliError as err:
        p.err(f"lockstep: {err.message}")
        return err.code
    except LockstepError as err:
        p.err(f"lockstep: {err.code.name}: {err.message}")
        return status_number(err.code)
    except (ValueError, TypeError) as err:  # the SDK refuses bad arguments before any call
        p.err(f"lockstep: INVALID_ARGUMENT: {err}")
        return INVALID_ARGUMENT
    except KeyboardInterrupt:
        p.err("lockstep: cancelled")
        return CANCELLED
    except BrokenPipeError:  # `lockstep history T | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK
