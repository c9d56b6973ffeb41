"""`python -m lockstep serve ...` and the `lockstep` console script."""

from __future__ import annotations

import argparse
import asyncio
import sys

from lockstep.store.open import DEFAULT_STORE


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lockstep", description="Lockstep workflow server")
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve graphs over gRPC")
    serve.add_argument("--address", default="127.0.0.1:50051", help="host:port to listen on")
    serve.add_argument(
        "--graph",
        action="append",
        default=[],
        metavar="NAME=PATH.py:ATTR",
        help="a graph to host (repeatable); without any, the graphs in examples/",
    )
    serve.add_argument(
        "--store", default=DEFAULT_STORE, help="memory:// or sqlite:///PATH (default %(default)s)"
    )
    serve.add_argument(
        "--grace", type=float, default=30.0, help="seconds active runs get on shutdown"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        from lockstep.service.server import Settings, serve

        settings = Settings(
            address=args.address, graphs=tuple(args.graph), store=args.store, grace=args.grace
        )
        try:
            asyncio.run(serve(settings))
        except (OSError, ValueError, ImportError, AttributeError, TypeError) as exc:
            print(f"lockstep: {exc}", file=sys.stderr)
            return 2
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
