"""A do-nothing grpc.aio Runs server: the floor lockstep's server is measured against.

StreamRun answers every call with the events a seed-graph run sends (metadata,
four values events, end) and does no other work.
"""

from __future__ import annotations

import grpc

from lockstep_api import convert
from lockstep_api.v1 import enums_pb2, message_pb2, runs_service_pb2_grpc
from lockstep_api.v1 import runs_service_pb2 as pb


class NoopRuns(runs_service_pb2_grpc.RunsServicer):
    async def StreamRun(self, request, context):
        yield pb.StreamRunResponse(
            event=message_pb2.RunEvent(
                metadata=message_pb2.RunMetadata(
                    run_id="noop", thread_id=request.thread_id, graph_id=request.graph_id
                )
            )
        )
        values = convert.from_struct(request.input)
        for _ in range(4):
            yield pb.StreamRunResponse(event=message_pb2.RunEvent(values=convert.to_struct(values)))
        yield pb.StreamRunResponse(
            event=message_pb2.RunEvent(end=message_pb2.RunEnd(status=enums_pb2.RUN_STATUS_SUCCESS))
        )


async def start(address: str = "127.0.0.1:0") -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server()
    runs_service_pb2_grpc.add_RunsServicer_to_server(NoopRuns(), server)
    port = server.add_insecure_port(address)
    await server.start()
    return server, port


if __name__ == "__main__":
    import sys

    async def main() -> None:
        server, port = await start(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50052")
        print(f"noop server on 127.0.0.1:{port}", flush=True)
        await server.wait_for_termination()

    # The same event loop as `lockstep serve` picks (uvloop when installed): a fair peer.
    from lockstep.service import eventloop

    eventloop.run(main())
