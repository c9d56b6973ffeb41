"""lockstep.v1.Runs: start, stream, wait for, join, cancel and list runs.

Each method converts its request into the run layer's terms (`RunRequest`),
delegates to the `RunManager`, and converts what comes back; refusals are
raised and become statuses in `service.errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lockstep.runs.errors import InvalidArgument, Reason
from lockstep.runs.manager import RunManager
from lockstep.runs.model import InterruptEvent, Multitask, Run, RunEvent, RunRequest, ValuesEvent
from lockstep.service import messages
from lockstep.service.errors import statuses
from lockstep.types import Command
from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, runs_service_pb2_grpc
from lockstep_api.v1 import runs_service_pb2 as pb

# A request's durability -> the engine's ("": the server's default).
_DURABILITY = {
    enums_pb2.DURABILITY_UNSPECIFIED: "",
    enums_pb2.DURABILITY_SYNC: "sync",
    enums_pb2.DURABILITY_ASYNC: "async",
    enums_pb2.DURABILITY_EXIT: "exit",
}


def run_request(request: Any) -> RunRequest:
    """A StreamRun/WaitRun/CreateRun request in the run layer's terms; a field that
    cannot mean anything (an unknown enum value, a bad config) is INVALID_ARGUMENT."""
    if request.multitask_strategy not in enums_pb2.MultitaskStrategy.values():
        raise InvalidArgument(
            f"unknown multitask_strategy {request.multitask_strategy}; "
            "use REJECT, ENQUEUE, INTERRUPT or ROLLBACK",
            Reason.UNKNOWN_MULTITASK_STRATEGY,
        )
    if request.on_disconnect not in enums_pb2.OnDisconnect.values():
        raise InvalidArgument(
            f"unknown on_disconnect {request.on_disconnect}; use CANCEL or CONTINUE",
            Reason.UNKNOWN_ON_DISCONNECT,
        )
    durability = _DURABILITY.get(request.durability)
    if durability is None:
        raise InvalidArgument(
            f"unknown durability {request.durability}; use SYNC, ASYNC or EXIT", Reason.UNKNOWN_DURABILITY
        )
    return RunRequest(
        graph_id=request.graph_id,
        thread_id=request.thread_id,
        input=_input(request),
        config=_config(request),
        metadata=convert.from_struct(request.metadata) if request.HasField("metadata") else {},
        stream_modes=_modes(request.stream_modes),
        interrupt_before=list(request.interrupt_before),
        interrupt_after=list(request.interrupt_after),
        multitask=messages.MULTITASK_OF.get(request.multitask_strategy, Multitask.REJECT),
        durability=durability,
        checkpoint_id=request.checkpoint_id if request.HasField("checkpoint_id") else "",
        checkpoint_ns=request.checkpoint_ns,
        context=(
            messages.finite(convert.from_struct(request.context), "context")
            if request.HasField("context")
            else None
        ),
        subgraphs=request.subgraphs,
    )


def _modes(values) -> list[str]:
    if not values:
        return ["values"]
    out = []
    for v in values:
        if v not in messages.MODES:
            names = ", ".join(name.upper() for name in messages.MODES.values())
            raise InvalidArgument(
                f"unknown stream mode {v}; use one of {names}", Reason.UNKNOWN_STREAM_MODE
            )
        out.append(messages.MODES[v])
    return out


def _config(request) -> dict[str, Any]:
    """The run config a request gives; a recursion_limit must be a positive whole number
    (the engine would fail on another with a message about its own arithmetic)."""
    config = convert.from_struct(request.config) if request.HasField("config") else {}
    limit = config.get("recursion_limit")
    if limit is not None and (type(limit) is not int or limit < 1):
        raise InvalidArgument(
            f"config.recursion_limit must be a positive whole number, got {limit!r}", Reason.BAD_CONFIG
        )
    if not isinstance(config.get("configurable", {}), dict):
        raise InvalidArgument("config.configurable must be an object", Reason.BAD_CONFIG)
    return config


def _input(request) -> Any:
    if request.HasField("command"):
        cmd = request.command
        if request.HasField("input"):
            raise InvalidArgument("give either input or command, not both")
        resume: Any = None
        if cmd.HasField("resume"):
            resume = messages.finite(convert.from_value(cmd.resume), "command.resume")
        if cmd.resume_by_id:
            if cmd.HasField("resume"):
                raise InvalidArgument("give either command.resume or command.resume_by_id, not both")
            resume = {
                k: messages.finite(convert.from_value(v), f"command.resume_by_id[{k!r}]")
                for k, v in cmd.resume_by_id.items()
            }
        update = (
            messages.finite(convert.from_struct(cmd.update), "command.update")
            if cmd.HasField("update")
            else None
        )
        goto = list(cmd.goto)
        if resume is None and not cmd.HasField("resume") and update is None and not goto:
            raise InvalidArgument("command is empty: set resume, resume_by_id, update or goto")
        return Command(resume=resume, update=update, goto=goto)
    if request.HasField("input"):
        return messages.finite(convert.from_struct(request.input), "input")
    return None


class RunsService(runs_service_pb2_grpc.RunsServicer):
    def __init__(self, manager: RunManager) -> None:
        self.manager = manager

    async def _start(self, request) -> Run:
        return await self.manager.start(run_request(request))

    async def _follow(self, run: Run, on_disconnect: int) -> AsyncIterator[RunEvent]:
        """The run's events for the caller that started it; if that caller leaves
        early, the run follows `on_disconnect` (cancel, LangGraph's default, or continue)."""
        try:
            async for event in run.follow():
                yield event
        finally:
            if on_disconnect != enums_pb2.ON_DISCONNECT_CONTINUE and not run.done:
                await self.manager.cancel(run.run_id, wait=False)

    @statuses
    async def StreamRun(self, request, context):
        run = await self._start(request)
        async for event in self._follow(run, request.on_disconnect):
            yield pb.StreamRunResponse(event=messages.run_event(event))

    @statuses
    async def WaitRun(self, request, context):
        run = await self._start(request)
        values = None
        interrupts = []
        async for event in self._follow(run, request.on_disconnect):
            if isinstance(event, ValuesEvent):
                if not event.namespace:  # the run's own values, not a subgraph's
                    values = event
            elif isinstance(event, InterruptEvent) and not event.namespace:
                interrupts.append(messages.run_event(event).interrupt)
        response = pb.WaitRunResponse(
            run_id=run.run_id,
            thread_id=run.thread_id,
            status=messages.RUN_STATUS[run.status],
            interrupts=interrupts,
        )
        output = self.manager.output(run, values.values) if values is not None else None
        if output is not None:
            response.values.CopyFrom(messages.struct(output))
        if run.error is not None:
            response.error.CopyFrom(messages.run_error(run.error))
        end = run.end()
        if end is not None and end.checkpoint:
            response.checkpoint.CopyFrom(messages.checkpoint_ref(end.checkpoint))
        return response

    @statuses
    async def CreateRun(self, request, context):
        run = await self._start(request)
        return pb.CreateRunResponse(run=messages.run(run))

    @statuses
    async def JoinRun(self, request, context):
        run = self.manager.own(request.run_id)
        async for event in run.follow():
            yield pb.JoinRunResponse(event=messages.run_event(event))

    @statuses
    async def CancelRun(self, request, context):
        self.manager.own(request.run_id)
        run = await self.manager.cancel(request.run_id, request.wait)
        return pb.CancelRunResponse(run=messages.run(run))

    @statuses
    async def ListRuns(self, request, context):
        size = messages.page_size(request.page_size)
        status = None
        if request.status:
            status = messages.RUN_STATUS_OF.get(request.status)
            if status is None:
                raise InvalidArgument(f"unknown run status {request.status}")
        found = self.manager.list(request.thread_id, status)
        limit = self.manager.limits.max_message_bytes
        runs, token = messages.page(found, request.page_token, size, messages.run, limit, "run")
        return pb.ListRunsResponse(runs=runs, next_page_token=token)


__all__ = ["RunsService", "run_request"]
