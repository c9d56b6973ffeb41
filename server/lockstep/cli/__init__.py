"""The `lockstep` command line: `serve`, and subcommands that drive a server through the SDK.

`args` builds the parser, `commands` runs a client subcommand, `output` formats
what it prints (text for people, `--json` for scripts).
"""

from __future__ import annotations

import os
import sys

from lockstep.cli.args import parser

__all__ = ["main", "parser"]


def serve(args, argv: list[str]) -> int:
    from lockstep.service import eventloop, workers
    from lockstep.service.server import Settings, serve
    from lockstep.stores import StoreError

    try:
        count = workers.count(args.workers)
        if count > 1:
            return workers.run(_worker_argv(argv), args.address, args.store, count)
        settings = Settings(
            address=args.address,
            graphs=tuple(args.graph),
            store=args.store,
            store_password=_store_password(args),
            grace=args.grace,
            replica=args.replica,
            lease_seconds=args.lease_seconds,
            durability=args.durability,
            security=_security(args),
            limits=_limits(args),
        )
        eventloop.run(serve(settings), args.loop)
    except (OSError, ValueError, ImportError, AttributeError, TypeError, StoreError) as exc:
        print(f"lockstep: {exc}", file=sys.stderr)
        return 2
    return 0


def _store_password(args) -> str | None:
    """--store-password-file's first line (PGPASSWORD works too, read by libpq)."""
    if not args.store_password_file:
        return None
    with open(args.store_password_file, encoding="utf-8") as file:
        return file.readline().rstrip("\r\n")


def _worker_argv(argv: list[str]) -> list[str]:
    """`serve`'s arguments for each worker: the same, but for the ones the parent sets."""
    rest = argv[argv.index("serve") + 1 :]
    out: list[str] = []
    skip = False
    for arg in rest:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--address", "--workers"):
            skip = "=" not in arg
            continue
        if arg != "--replica":
            out.append(arg)
    return out


def _security(args):
    """Authentication and TLS from serve's flags and LOCKSTEP_AUTH_TOKEN."""
    from lockstep.service.auth import ENV_TOKEN, load_tokens
    from lockstep.service.security import Security

    return Security(
        tokens=load_tokens(args.auth_tokens, os.environ.get(ENV_TOKEN)),
        tls_cert=args.tls_cert or "",
        tls_key=args.tls_key or "",
        tls_client_ca=args.tls_client_ca or "",
        insecure=args.insecure,
    )


def _limits(args):
    """The server's limits from serve's --max-* flags."""
    from lockstep.runs.limits import Limits

    return Limits(
        max_message_bytes=args.max_message_bytes,
        max_state_bytes=args.max_state_bytes,
        max_run_events=args.max_run_events,
        max_run_seconds=args.max_run_seconds,
        max_struct_depth=args.max_struct_depth,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args, argv)
    if args.command == "inspect":
        from lockstep.inspector.serve import run

        return run(args)
    from lockstep.cli.commands import run_client_command

    return run_client_command(args)
