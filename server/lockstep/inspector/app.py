"""The inspector's web server: the page's addresses, its assets, and a JSON API over the SDK.

Every address a person can share (/graphs/ID, /threads/ID, /threads/ID/checkpoints/CID)
serves the same page, which reads the address and asks /api/... for what to show.
The API talks to the Lockstep server only through `lockstep_client.AsyncClient`;
a refused call comes back as HTTP 4xx/5xx with {"error": {"code", "message"}}, the
gRPC status name and the server's own sentence, for the page to show.

aiohttp serves it: one asyncio library for the HTTP server and the streamed
responses, on the same loop as the SDK's grpc.aio channel.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import grpc
from aiohttp import web

from lockstep.inspector import views
from lockstep_client import AsyncClient, LockstepError
from lockstep_client.types import StreamPart

__all__ = ["HISTORY_PAGE", "THREADS_PAGE", "make_app"]

THREADS_PAGE = 20
HISTORY_PAGE = 50
MAX_PAGE = 500
CLIENT_KEY = web.AppKey("client", AsyncClient)
ASSETS = resources.files("lockstep.inspector") / "assets"
PAGE_ROUTES = (
    "/",
    "/graphs",
    "/graphs/{graph_id}",
    "/threads",
    "/threads/{thread_id}",
    "/threads/{thread_id}/checkpoints/{checkpoint_id}",
)
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """The page sent something the API cannot use (not JSON, a bad page number)."""


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refused SDK call or a bad request becomes a JSON error the page shows as is."""
    try:
        return await handler(request)
    except LockstepError as err:
        return _error(_HTTP_STATUS.get(err.code, 502), err.code.name, err.message)
    except BadRequest as err:
        return _error(400, "INVALID_ARGUMENT", str(err))
    except (ValueError, TypeError) as err:  # the SDK refuses bad arguments before calling
        return _error(400, "INVALID_ARGUMENT", str(err))


def _client(request: web.Request) -> AsyncClient:
    return request.app[CLIENT_KEY]


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        number = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {text!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {number}")
    return number


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except json.JSONDecodeError as err:
        raise BadRequest(f"the request body is not JSON: {err}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


# -- pages and assets ----------------------------------------------------------------


async def page(request: web.Request) -> web.Response:
    html = (ASSETS / "index.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html")


async def asset(request: web.Request) -> web.Response:
    parts = request.match_info["path"].split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise web.HTTPNotFound()
    node = ASSETS.joinpath(*parts)
    if not node.is_file():
        raise web.HTTPNotFound()
    suffix = "." + parts[-1].rsplit(".", 1)[-1]
    return web.Response(
        body=node.read_bytes(),
        content_type=_CONTENT_TYPES.get(suffix, "text/plain"),
        headers={"Cache-Control": "max-age=3600"},
    )


async def no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


# -- graphs --------------------------------------------------------------------------


async def list_graphs(request: web.Request) -> web.Response:
    graphs = await _client(request).graphs.list()
    return web.json_response({"graphs": [views.graph_json(g) for g in graphs]})


async def get_graph(request: web.Request) -> web.Response:
    """A graph drawn with `xray` levels of subgraphs expanded (-1: all); `expandable`
    says whether it has any subgraph to expand."""
    client, graph_id = _client(request), request.match_info["graph_id"]
    xray = _int(request, "xray", 0, -(2**31), 2**31 - 1)  # the server judges the value
    flat = await client.graphs.get(graph_id)
    full = await client.graphs.get(graph_id, xray=True)
    graph = {0: flat, -1: full}.get(xray) or await client.graphs.get(graph_id, xray=xray)
    expandable = full.mermaid != flat.mermaid
    return web.json_response({"graph": views.graph_json(graph), "expandable": expandable})


# -- threads -------------------------------------------------------------------------


async def list_threads(request: web.Request) -> web.Response:
    """One page of threads, paged by the server's own tokens: `page_token` asks for the
    page a previous answer's `next_page_token` named ("" when there is none)."""
    size = _int(request, "page_size", THREADS_PAGE, 1, MAX_PAGE)
    metadata = None
    if request.query.get("metadata"):
        try:
            metadata = json.loads(request.query["metadata"])
        except json.JSONDecodeError as err:
            raise BadRequest(f"metadata must be a JSON object: {err}") from None
        if not isinstance(metadata, dict):
            raise BadRequest("metadata must be a JSON object")
    page = await _client(request).threads.list_page(
        graph_id=request.query.get("graph") or None,
        status=request.query.get("status") or None,
        metadata=metadata,
        page_size=size,
        page_token=request.query.get("page_token", ""),
    )
    return web.json_response(
        {
            "threads": [views.thread_json(t) for t in page.threads],
            "page_size": size,
            "next_page_token": page.next_page_token,
        }
    )


async def _thread_view(client: AsyncClient, thread_id: str, at: str | None) -> dict[str, Any]:
    """A thread at its head (or at checkpoint `at`): summary, state, graph drawn with the
    nodes that made this checkpoint ('current') and the next ones ('pending') marked."""
    thread = await client.threads.get(thread_id)
    state = await client.threads.get_state(thread_id, at, subgraphs=True)
    out: dict[str, Any] = {
        "thread": views.thread_json(thread),
        "state": views.snapshot_json(state),
        "graph": None,
        "mermaid": "",
        "current": [],
    }
    parent_id = views.checkpoint_id(state.parent_config)
    if parent_id:
        parent = await client.threads.get_state(thread_id, parent_id)
        out["current"] = [t.name for t in parent.tasks if t.result is not None]
    if thread.graph_id:
        graph = await client.graphs.get(thread.graph_id)
        names = {n.name for n in graph.nodes}
        out["graph"] = views.graph_json(graph)
        out["mermaid"] = views.highlighted_mermaid(
            graph.mermaid,
            [n for n in out["current"] if n in names],
            [n for n in state.next if n in names],
        )
    return out


async def get_thread(request: web.Request) -> web.Response:
    view = await _thread_view(_client(request), request.match_info["thread_id"], None)
    return web.json_response(view)


async def get_checkpoint(request: web.Request) -> web.Response:
    info = request.match_info
    view = await _thread_view(_client(request), info["thread_id"], info["checkpoint_id"])
    return web.json_response(view)


async def get_history(request: web.Request) -> web.Response:
    """A page of the thread's history, newest first; `before` pages on to older ones."""
    client = _client(request)
    thread_id = request.match_info["thread_id"]
    limit = _int(request, "limit", HISTORY_PAGE, 1, MAX_PAGE)
    before = request.query.get("before") or None
    snaps = await client.threads.get_history(thread_id, limit=limit + 1, before=before)
    has_more = len(snaps) > limit
    entries = views.timeline(snaps, has_more)
    older = entries[-1]["checkpoint_id"] if has_more and entries else None
    return web.json_response({"history": entries, "older": older})


async def list_runs(request: web.Request) -> web.Response:
    runs = await _client(request).runs.list(thread_id=request.match_info["thread_id"], limit=20)
    return web.json_response({"runs": [views.run_json(r) for r in runs]})


async def update_state(request: web.Request) -> web.Response:
    """Save values as node `as_node` (default: as update_state picks), at the head or, to
    fork, at `checkpoint_id`."""
    body = await _body(request)
    if "values" not in body:
        raise BadRequest("values is required (a JSON object, or null)")
    config = await _client(request).threads.update_state(
        request.match_info["thread_id"],
        body["values"],
        as_node=body.get("as_node") or None,
        checkpoint_id=body.get("checkpoint_id") or None,
    )
    return web.json_response({"checkpoint_id": views.checkpoint_id(config)})


# -- runs ----------------------------------------------------------------------------


async def _relay(request: web.Request, parts: AsyncIterator[StreamPart]) -> web.StreamResponse:
    """Relay run events as server-sent events. A refusal before the first event is a JSON
    error (nothing ran); one after it is a last `error` event with the status."""
    first = await anext(parts, None)
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)

    async def send(doc: dict[str, Any]) -> None:
        await resp.write(f"event: {doc['event']}\ndata: {json.dumps(doc['data'])}\n\n".encode())

    try:
        if first is not None:
            await send(views.event_json(first))
        async for part in parts:
            await send(views.event_json(part))
    except LockstepError as err:
        await send({"event": "failed", "data": {"code": err.code.name, "message": err.message}})
    await resp.write_eof()
    return resp


async def start_run(request: web.Request) -> web.StreamResponse:
    """Start a run on a thread and stream its events: `input` (JSON object), or `resume`
    (the value for interrupt(); present even when null), from `checkpoint_id` if given."""
    body = await _body(request)
    graph_id = body.get("graph_id")
    if not isinstance(graph_id, str) or not graph_id:
        raise BadRequest("graph_id is required")
    command = {"resume": body["resume"]} if "resume" in body else None
    parts = _client(request).runs.stream(
        request.match_info["thread_id"],
        graph_id,
        input=body.get("input"),
        command=command,
        stream_mode=["values", "updates"],
        checkpoint_id=body.get("checkpoint_id") or None,
        on_disconnect="continue",
    )
    return await _relay(request, parts)


async def join_run(request: web.Request) -> web.StreamResponse:
    return await _relay(request, _client(request).runs.join(request.match_info["run_id"]))


async def cancel_run(request: web.Request) -> web.Response:
    run = await _client(request).runs.cancel(request.match_info["run_id"])
    return web.json_response({"run": views.run_json(run)})


def make_app(client: AsyncClient) -> web.Application:
    """The inspector's aiohttp application over `client` (closed with the app)."""
    app = web.Application(middlewares=[_errors])
    app[CLIENT_KEY] = client
    for path in PAGE_ROUTES:
        app.router.add_get(path, page)
    app.router.add_get("/assets/{path:.+}", asset)
    app.router.add_get("/favicon.ico", no_icon)
    app.router.add_get("/api/graphs", list_graphs)
    app.router.add_get("/api/graphs/{graph_id}", get_graph)
    app.router.add_get("/api/threads", list_threads)
    app.router.add_get("/api/threads/{thread_id}", get_thread)
    app.router.add_get("/api/threads/{thread_id}/history", get_history)
    app.router.add_get("/api/threads/{thread_id}/checkpoints/{checkpoint_id}", get_checkpoint)
    app.router.add_get("/api/threads/{thread_id}/runs", list_runs)
    app.router.add_post("/api/threads/{thread_id}/state", update_state)
    app.router.add_post("/api/threads/{thread_id}/runs", start_run)
    app.router.add_get("/api/runs/{run_id}/events", join_run)
    app.router.add_post("/api/runs/{run_id}/cancel", cancel_run)

    async def close_client(app: web.Application) -> None:
        await app[CLIENT_KEY].close()

    app.on_cleanup.append(close_client)
    return app
