"""The inspector with authentication on: it sends --token with every call, shows the
server's refusal without one, and one tenant's inspector never shows another's threads."""

from __future__ import annotations

import uuid

import pytest
from callers import TOKENS
from inspector_process import GRAPHS, InspectorProcess
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    from server_process import ServerProcess

    workdir = tmp_path_factory.mktemp("inspected-auth")
    tokens = workdir / "tokens"
    tokens.write_text("".join(f"{token} {tenant}\n" for tenant, token in TOKENS.items()))
    proc = ServerProcess(workdir, graphs=GRAPHS, extra_args=("--auth-tokens", str(tokens)))
    yield proc.start()
    proc.stop()


@pytest.fixture(scope="module")
def inspectors(auth_server, tmp_path_factory):
    """An inspector for alice, one for bob, one with no token."""
    procs = {}
    for who in ("alice", "bob", "nobody"):
        args = ("--token", TOKENS[who]) if who in TOKENS else ()
        workdir = tmp_path_factory.mktemp(f"inspector-{who}")
        procs[who] = InspectorProcess(workdir, auth_server.address, args)
    try:
        for proc in procs.values():
            proc.start()
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


def test_one_tenant_never_sees_anothers_threads(inspectors, page: Page):
    alice, bob = inspectors["alice"], inspectors["bob"]
    tid = f"alice-{uuid.uuid4().hex[:8]}"
    status, _, text = alice.request(
        f"/api/threads/{tid}/runs",
        {"graph_id": "dynamic_breakpoints", "input": {"input": "hello world"}},
    )
    assert status == 200 and "event: end" in text

    _, doc, _ = alice.request("/api/threads")
    assert tid in [t["thread_id"] for t in doc["threads"]]
    _, doc, _ = bob.request("/api/threads?page_size=500")
    assert tid not in [t["thread_id"] for t in doc["threads"]]
    status, doc, _ = bob.request(f"/api/threads/{tid}")
    assert status == 404 and doc["error"]["code"] == "NOT_FOUND"
    status, doc, _ = bob.request(f"/api/threads/{tid}/history")
    assert status == 404

    page.goto(f"{alice.url}threads")
    expect(page.get_by_role("link", name=tid)).to_be_visible()
    page.goto(f"{bob.url}threads")
    expect(page.get_by_role("heading", name="Threads")).to_be_visible()
    expect(page.get_by_role("link", name=tid)).to_have_count(0)
    page.goto(f"{bob.url}threads/{tid}")
    expect(page.get_by_role("alert")).to_contain_text("NOT_FOUND")


def test_without_a_token_the_page_shows_the_servers_refusal(inspectors, page: Page):
    status, doc, _ = inspectors["nobody"].request("/api/graphs")
    assert status == 401 and doc["error"]["code"] == "UNAUTHENTICATED"
    page.goto(f"{inspectors['nobody'].url}graphs")
    expect(page.get_by_role("alert")).to_contain_text("UNAUTHENTICATED")
