"""The `lockstep` argument parser: `serve`, and the client subcommands that talk to a server.

Client subcommands share --address/--token/--timeout/--json (taken after the
subcommand). Their usage mistakes exit 3 (INVALID_ARGUMENT), like every other
argument error of the CLI; `serve` and the top level keep argparse's exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from lockstep.service import eventloop
from lockstep.stores import DEFAULT_STORE
from lockstep.stores.coordination import DEFAULT_LEASE_SECONDS
from lockstep_api import names

DEFAULT_ADDRESS = "127.0.0.1:50051"
# What a server streams and how threads stand: the contract's names (lockstep_api.names).
STREAM_MODES = tuple(names.STREAM_MODES.numbers)
THREAD_STATUSES = tuple(names.THREAD_STATUSES.numbers)
INVALID_ARGUMENT = 3


class _SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser; `usage_exit` is the exit code of its usage errors (argparse: 2)."""

    def __init__(self, *args, usage_exit: int = 2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.usage_exit = usage_exit

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")


def _whole(text: str, least: int) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {number}")
    return number


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _count(text: str) -> int:
    return _whole(text, 0)


def _positive_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return number


_UNITS = {"": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2, "MIB": 1024**2}


def _bytes(text: str) -> int:
    """A size in bytes: 4194304, 512K, 4M or 4MiB (K and M are powers of 1024)."""
    digits = text.strip().rstrip("bBiIkKmM")
    unit = text.strip()[len(digits) :].upper()
    if unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 4194304, 512K, 4MiB)")
    return _positive_int(digits) * _UNITS[unit]


def _add_serve_limits(serve: argparse.ArgumentParser) -> None:
    from lockstep.runs.limits import Limits

    d = Limits()
    group = serve.add_argument_group("limits (past one, a call fails with a clear status)")
    group.add_argument(
        "--max-message-bytes", type=_bytes, default=d.max_message_bytes, metavar="SIZE",
        help="largest request or reply message (default 16MiB; RESOURCE_EXHAUSTED)",
    )  # fmt: skip
    group.add_argument(
        "--max-state-bytes", type=_bytes, default=d.max_state_bytes, metavar="SIZE",
        help="largest thread state, serialised; a bigger one is not saved "
        "(default 4MiB; RESOURCE_EXHAUSTED)",
    )  # fmt: skip
    group.add_argument(
        "--max-run-events", type=_positive_int, default=d.max_run_events, metavar="N",
        help="events one run may stream (default %(default)s; the run ends with an error)",
    )  # fmt: skip
    group.add_argument(
        "--max-run-seconds", type=_positive_float, default=d.max_run_seconds, metavar="S",
        help="time one run may take; then it stops at a step boundary with status TIMEOUT "
        "(default %(default)g)",
    )  # fmt: skip
    group.add_argument(
        "--max-struct-depth", type=_positive_int, default=d.max_struct_depth, metavar="N",
        help="how deeply JSON values in a request may nest (default %(default)s; INVALID_ARGUMENT)",
    )  # fmt: skip


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    group.add_argument(
        "--address",
        default=os.environ.get("LOCKSTEP_ADDRESS") or DEFAULT_ADDRESS,
        help="server host:port (env LOCKSTEP_ADDRESS; default %(default)s)",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("LOCKSTEP_TOKEN") or None,
        help="bearer token sent with every call (env LOCKSTEP_TOKEN)",
    )
    group.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="deadline of every call"
    )
    _add_client_tls(group)
    group.add_argument(
        "--json", action="store_true", help="JSON for scripts (streams: one document per line)"
    )
    return common


def _add_client_tls(group: argparse._ArgumentGroup) -> None:
    env = os.environ.get
    group.add_argument(
        "--tls",
        action="store_true",
        default=env("LOCKSTEP_TLS", "").lower() in ("1", "true", "yes"),
        help="connect with TLS, trusting the system's CAs (env LOCKSTEP_TLS=1); "
        "implied by the options below",
    )
    group.add_argument(
        "--tls-ca", default=env("LOCKSTEP_TLS_CA") or None, metavar="PEM",
        help="trust the server certificate these CAs signed (env LOCKSTEP_TLS_CA)",
    )  # fmt: skip
    group.add_argument(
        "--tls-cert", default=env("LOCKSTEP_TLS_CERT") or None, metavar="PEM",
        help="client certificate, for mutual TLS (env LOCKSTEP_TLS_CERT)",
    )  # fmt: skip
    group.add_argument(
        "--tls-key", default=env("LOCKSTEP_TLS_KEY") or None, metavar="PEM",
        help="the private key of --tls-cert (env LOCKSTEP_TLS_KEY)",
    )  # fmt: skip


def _add_serve(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve graphs over gRPC")
    serve.add_argument("--address", default="127.0.0.1:50051", help="host:port to listen on")
    serve.add_argument(
        "--graph",
        action="append",
        default=[],
        metavar="NAME=PATH.py:ATTR",
        help="a graph to host (repeatable); without any, the examples (lockstep/examples/)",
    )
    serve.add_argument(
        "--store", default=DEFAULT_STORE,
        help="memory://, sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB (also "
        "postgres://; needs pip install 'lockstep[postgres]') (default %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--store-password-file", metavar="FILE",
        help="the store's password, the first line of FILE, when the URL has none "
        "(PGPASSWORD works too)",
    )  # fmt: skip
    serve.add_argument(
        "--grace", type=float, default=30.0, help="seconds active runs get on shutdown"
    )
    serve.add_argument(
        "--replica", action="store_true",
        help="serve as one of several servers on the store (a SQLite file): which thread "
        "is busy, queued runs, run events and cancels live in the store, so any server "
        "answers for any thread and takes over the runs of one that died",
    )  # fmt: skip
    serve.add_argument(
        "--workers", default="1", metavar="N",
        help="serve with N processes on one port (SO_REUSEPORT), replicas on one store "
        "file; auto: one per core (default %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--lease-seconds", type=float, default=DEFAULT_LEASE_SECONDS, metavar="S",
        help="with --replica: how long a server's hold on a thread lasts unless renewed; "
        "a run of a server that died is taken over after it (default %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--durability", choices=("async", "sync"), default="async",
        help="when runs that do not say write each step's checkpoint: async (LangGraph's "
        "default) while the next step runs, sync before it starts; events wait for "
        "their checkpoint either way (default %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--loop", choices=eventloop.CHOICES, default="auto",
        help="the event loop: uvloop is faster (pip install 'lockstep[uvloop]'); auto uses "
        "it when installed (default %(default)s)",
    )  # fmt: skip
    _add_serve_security(serve)
    _add_serve_limits(serve)


def _add_serve_security(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("authentication and TLS")
    group.add_argument(
        "--auth-tokens",
        metavar="FILE",
        help="require 'authorization: Bearer TOKEN' on every call but health; FILE has one "
        "'TOKEN TENANT' pair a line, read again on SIGHUP (env LOCKSTEP_AUTH_TOKEN: one "
        "token of tenant default)",
    )
    group.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --address without authentication",
    )
    group.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate chain")
    group.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    group.add_argument(
        "--tls-client-ca",
        metavar="PEM",
        help="mutual TLS: require client certificates signed by these CAs",
    )


def _add_inspect(commands: argparse._SubParsersAction) -> None:
    inspect = commands.add_parser(
        "inspect",
        help="serve a web page to look at and act on a server's graphs and threads",
        description="Serve the web inspector on --address; it talks to the Lockstep "
        "server at --target through the SDK.",
    )
    inspect.add_argument(
        "--address", default="127.0.0.1:8080",
        help="host:port the page is served on (default %(default)s; port 0 picks a free one)",
    )  # fmt: skip
    group = inspect.add_argument_group("the Lockstep server")
    group.add_argument(
        "--target",
        default=os.environ.get("LOCKSTEP_ADDRESS") or DEFAULT_ADDRESS,
        help="server host:port (env LOCKSTEP_ADDRESS; default %(default)s)",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("LOCKSTEP_TOKEN") or None,
        help="bearer token sent with every call (env LOCKSTEP_TOKEN)",
    )
    group.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="deadline of every call"
    )
    _add_client_tls(group)


def _add_stream_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stream-mode",
        action="extend",
        nargs="+",
        choices=STREAM_MODES,
        default=None,
        metavar="MODE",
        help=f"what to stream: {', '.join(STREAM_MODES)} (several allowed; default values)",
    )
    p.add_argument(
        "--subgraphs",
        action="store_true",
        help="stream subgraphs' events too, each line prefixed with its namespace",
    )
    p.add_argument(
        "--context", metavar="JSON", help="the run's context (runtime.context), a JSON object"
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lockstep", description="Lockstep workflow server")
    commands = top.add_subparsers(dest="command", required=True, parser_class=_SubcommandParser)
    _add_serve(commands)
    _add_inspect(commands)

    common = [_common()]

    def client_command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=description,
            parents=common,
            usage_exit=INVALID_ARGUMENT,
        )

    p = client_command(
        "graphs", "list the hosted graphs, or show one", "List graphs, or show GRAPH in full."
    )
    p.add_argument("graph", nargs="?", metavar="GRAPH", help="the graph to show")
    p.add_argument("--mermaid", action="store_true", help="print GRAPH as a Mermaid flowchart")

    p = client_command(
        "run",
        "start a run and print its events as they arrive",
        "Run GRAPH on a thread; events are printed as they arrive, an interrupt with what to do next.",
    )
    p.add_argument("graph", metavar="GRAPH")
    p.add_argument("--thread", metavar="ID", help="thread id (created if new; default: a new one)")
    p.add_argument("--input", metavar="JSON", help="the input, a JSON object")
    _add_stream_options(p)
    p.add_argument(
        "--interrupt-before", action="extend", nargs="+", default=[], metavar="NODE",
        help="pause before these nodes",
    )  # fmt: skip
    p.add_argument(
        "--interrupt-after", action="extend", nargs="+", default=[], metavar="NODE",
        help="pause after these nodes",
    )  # fmt: skip

    p = client_command(
        "resume",
        "continue an interrupted thread",
        "Continue thread ID from its last checkpoint; --value answers its interrupt "
        "(Command(resume=VALUE)).",
    )
    p.add_argument("thread", metavar="ID")
    p.add_argument("--value", metavar="JSON", help="the resume value, any JSON")
    p.add_argument("--graph", metavar="GRAPH", help="the graph (default: the thread's)")
    _add_stream_options(p)

    p = client_command("state", "show a thread's current state", "Show thread ID's state.")
    p.add_argument("thread", metavar="ID")
    p.add_argument("--checkpoint", metavar="CHECKPOINT_ID", help="an older checkpoint")
    p.add_argument(
        "--subgraphs",
        action="store_true",
        help="show each subgraph task's own state, nested under it",
    )

    p = client_command(
        "update",
        "edit a thread's state",
        "Write VALUES (a JSON object, or null) into thread ID as if node N returned them.",
    )
    p.add_argument("thread", metavar="ID")
    p.add_argument("values", metavar="JSON")
    p.add_argument("--as-node", metavar="N", help="the node the update is written as")

    p = client_command(
        "history", "list a thread's checkpoints", "Thread ID's checkpoints, newest first."
    )
    p.add_argument("thread", metavar="ID")
    p.add_argument(
        "--limit", type=_positive_int, default=None, metavar="N", help="at most N checkpoints"
    )

    p = client_command("threads", "list threads", "Threads, most recently updated first.")
    p.add_argument("--graph", metavar="G", help="only threads of graph G")
    p.add_argument(
        "--status", choices=THREAD_STATUSES, metavar="S", help="idle, busy, interrupted or error"
    )
    p.add_argument(
        "--limit", type=_positive_int, default=None, metavar="N", help="at most N threads"
    )

    p = client_command("cancel", "cancel a run", "Cancel run RUN.")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--wait", action="store_true", help="return once the run has stopped")

    _add_store(commands, common)
    return top


def _namespace(text: str) -> list[str]:
    """A namespace typed as its labels joined by '.' ("users.42"), as LangGraph writes one
    (a label holds no '.'); the server judges the labels."""
    return text.split(".")


def _add_store(commands: argparse._SubParsersAction, common: list[argparse.ArgumentParser]) -> None:
    """`lockstep store put|get|delete|search|namespaces`: the server's long-term memory."""
    store = commands.add_parser(
        "store",
        help="long-term memory: put, get, delete and search items, list namespaces",
        description="The server's long-term memory (the store its graphs' nodes get), the "
        "caller's tenant's only. A NAMESPACE is its labels joined by '.': users.42",
        usage_exit=INVALID_ARGUMENT,
    )
    actions = store.add_subparsers(
        dest="store_command", required=True, parser_class=_SubcommandParser
    )

    def action(name: str, help: str) -> argparse.ArgumentParser:
        return actions.add_parser(
            name, help=help, description=help, parents=common, usage_exit=INVALID_ARGUMENT
        )

    p = action("put", "write an item (a JSON object), replacing any at NAMESPACE and KEY")
    p.add_argument("namespace", type=_namespace, metavar="NAMESPACE")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="JSON", help="the value, a JSON object")
    p.add_argument(
        "--ttl", type=_positive_float, metavar="MINUTES", help="expire it after MINUTES"
    )

    p = action("get", "show the item at NAMESPACE and KEY")
    p.add_argument("namespace", type=_namespace, metavar="NAMESPACE")
    p.add_argument("key", metavar="KEY")

    p = action("delete", "delete the item at NAMESPACE and KEY (if there is one)")
    p.add_argument("namespace", type=_namespace, metavar="NAMESPACE")
    p.add_argument("key", metavar="KEY")

    p = action("search", "list items under a namespace prefix whose values match a filter")
    p.add_argument(
        "prefix", type=_namespace, nargs="?", default=[], metavar="PREFIX",
        help="only items in this namespace or below it (default: every namespace)",
    )  # fmt: skip
    p.add_argument(
        "--filter", metavar="JSON",
        help='a JSON object: {"key": value} or {"key": {"$gt": 1}} ($eq $ne $gt $gte $lt $lte)',
    )  # fmt: skip
    p.add_argument("--limit", type=_positive_int, default=10, metavar="N", help="at most N (10)")
    p.add_argument("--offset", type=_count, default=0, metavar="N", help="skip the first N")
    p.add_argument("--query", metavar="TEXT", help="ranks nothing: the store has no embeddings")

    p = action("namespaces", "list the namespaces that hold items")
    p.add_argument(
        "--prefix", type=_namespace, metavar="NAMESPACE", help="only these ('*': any label)"
    )
    p.add_argument(
        "--suffix", type=_namespace, metavar="NAMESPACE", help="only those ending so ('*': any)"
    )
    p.add_argument(
        "--max-depth", type=_positive_int, metavar="N", help="cut each to N labels"
    )
    p.add_argument("--limit", type=_positive_int, default=100, metavar="N", help="at most N (100)")
    p.add_argument("--offset", type=_count, default=0, metavar="N", help="skip the first N")
