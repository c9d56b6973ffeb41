"""Building and running the gRPC server: services, reflection, health, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from lockstep import registry
from lockstep.runs.hosting import Hosting
from lockstep.runs.limits import Limits
from lockstep.runs.manager import RunManager
from lockstep.runs.threads import Threads
from lockstep.service.graphs import GraphsService
from lockstep.service.runs import RunsService
from lockstep.service.screening import RequestScreen
from lockstep.service.security import Security
from lockstep.service.store import StoreService
from lockstep.service.threads import ThreadsService
from lockstep.stores import open_store, redacted
from lockstep.stores.coordination import DEFAULT_LEASE_SECONDS
from lockstep_api.v1 import (
    graphs_service_pb2,
    graphs_service_pb2_grpc,
    runs_service_pb2,
    runs_service_pb2_grpc,
    store_service_pb2,
    store_service_pb2_grpc,
    threads_service_pb2,
    threads_service_pb2_grpc,
)

log = logging.getLogger("lockstep")

SERVICES = (
    graphs_service_pb2.DESCRIPTOR.services_by_name["Graphs"].full_name,
    threads_service_pb2.DESCRIPTOR.services_by_name["Threads"].full_name,
    runs_service_pb2.DESCRIPTOR.services_by_name["Runs"].full_name,
    store_service_pb2.DESCRIPTOR.services_by_name["Store"].full_name,
)


@dataclass
class Settings:
    address: str = "127.0.0.1:50051"
    graphs: tuple[str, ...] = ()
    store: str = "sqlite:///.lockstep/lockstep.db"
    # The store's password when not in its URL (--store-password-file).
    store_password: str | None = None
    grace: float = 30.0
    replica: bool = False  # one of several servers on the store
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    durability: str = "async"  # for runs that do not say: see `lockstep serve --help`
    limits: Limits = field(default_factory=Limits)
    security: Security = field(default_factory=Security)


class Server:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.security.check_bind(settings.address)
        if settings.lease_seconds <= 0:
            raise ValueError(f"--lease-seconds must be positive, got {settings.lease_seconds}")
        self.store = open_store(
            settings.store,
            password=settings.store_password,
            replica=settings.replica,
            lease_seconds=settings.lease_seconds,
        )
        self.hosting = Hosting(registry.load(list(settings.graphs), self.store.saver), self.store)
        self.runs = RunManager(self.hosting, limits=settings.limits, durability=settings.durability)
        self.health = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
        options = [
            ("grpc.max_receive_message_length", settings.limits.max_message_bytes),
            ("grpc.max_send_message_length", settings.limits.max_message_bytes),
        ]
        # Authentication first: an unauthenticated caller learns nothing about its request.
        interceptors = [*settings.security.interceptors(), RequestScreen(settings.limits)]
        self.grpc = grpc.aio.server(options=options, interceptors=interceptors)
        graphs_service_pb2_grpc.add_GraphsServicer_to_server(
            GraphsService(self.hosting.graphs), self.grpc
        )
        threads_service_pb2_grpc.add_ThreadsServicer_to_server(
            ThreadsService(Threads(self.hosting, self.runs)), self.grpc
        )
        runs_service_pb2_grpc.add_RunsServicer_to_server(RunsService(self.runs), self.grpc)
        store_service_pb2_grpc.add_StoreServicer_to_server(StoreService(self.hosting), self.grpc)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc)
        reflection.enable_server_reflection(
            (*SERVICES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
            self.grpc,
        )
        self.port = settings.security.add_port(self.grpc, settings.address)
        if self.port == 0:
            raise OSError(f"cannot listen on {settings.address}")

    async def _set_health(self, status) -> None:
        for name in ("", *SERVICES):
            result = self.health.set(name, status)
            if asyncio.iscoroutine(result):
                await result

    def report(self) -> str:
        """One line of counts (SIGUSR1 prints it), to watch a live server for leaks:
        asyncio tasks, OS threads, runs holding a thread, live runs kept for JoinRun."""
        runs = self.runs
        queued = sum(len(q) for q in runs.queued.values())
        line = (
            f"lockstep: stats tasks={len(asyncio.all_tasks())} threads={threading.active_count()} "
            f"runs_active={len(runs.active)} runs_queued={queued} runs_kept={len(runs.runs)} "
            f"pid={os.getpid()}"
        )
        print(line, flush=True)
        return line

    def reload_tokens(self) -> str:
        """SIGHUP: read --auth-tokens again; one line says what came of it."""
        tokens = self.settings.security.tokens
        if tokens is None:
            line = "lockstep: SIGHUP: this server has no --auth-tokens to read again"
        else:
            try:
                tokens.reload()
                n = len(tokens.tenants)
                line = (
                    f"lockstep: auth tokens read again: {len(tokens)} token"
                    f"{'s' if len(tokens) != 1 else ''} for {n} tenant{'s' if n != 1 else ''}"
                )
            except ValueError as exc:
                line = f"lockstep: auth tokens not read again, the old ones stay: {exc}"
        print(line, flush=True)
        return line

    async def start(self) -> None:
        await self.grpc.start()
        self.runs.serve()
        await self._set_health(health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        """Refuse new runs, let active ones reach a checkpoint, then close."""
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.runs.drain(self.settings.grace)
        await self.grpc.stop(5)
        await self.runs.stop_serving()
        await asyncio.to_thread(self.store.flush)  # the last runs' records


async def serve(settings: Settings) -> None:
    server = Server(settings)
    await server.start()
    host = settings.address.rsplit(":", 1)[0]
    loop = asyncio.get_running_loop()
    print(
        f"lockstep serving {', '.join(server.hosting.graphs) or 'no graphs'} "
        f"on {host}:{server.port} (store {redacted(settings.store)}"
        f"{', a replica' if settings.replica else ''}, event loop "
        f"{type(loop).__module__.split('.')[0]}): {settings.security.describe()}",
        flush=True,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, server.report)
    loop.add_signal_handler(signal.SIGHUP, server.reload_tokens)
    await stop.wait()
    print("lockstep: shutting down, letting active runs reach a checkpoint", flush=True)
    await server.stop()
    print("lockstep: stopped", flush=True)
