"""Run the inspector from `lockstep inspect`: an AsyncClient to --target, aiohttp on --address."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

__all__ = ["run", "split_address"]


def split_address(address: str) -> tuple[str, int]:
    """'127.0.0.1:8080' -> ('127.0.0.1', 8080); '[::1]:0' -> ('::1', 0)."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--address must be HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


async def _serve(args: Any) -> None:
    from aiohttp import web

    from lockstep.inspector.app import make_app
    from lockstep_client import AsyncClient

    host, port = split_address(args.address)
    client = AsyncClient(
        args.target,
        token=args.token,
        timeout=args.timeout,
        tls=args.tls,
        ca_cert=args.tls_ca,
        client_cert=args.tls_cert,
        client_key=args.tls_key,
    )
    runner = web.AppRunner(make_app(client), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]  # the real port when --address asked for 0
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        print(
            f"lockstep inspector on http://{shown}:{bound[1]}/ (server {args.target})", flush=True
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def run(args: Any) -> int:
    """`lockstep inspect`; 2 when it cannot start (bad address, port taken, aiohttp missing)."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print(
            "lockstep: the inspector needs aiohttp: pip install 'lockstep[inspector]'",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(args))
    except (OSError, ValueError) as exc:
        print(f"lockstep: {exc}", file=sys.stderr)
        return 2
    return 0
