"""The page in headless Chromium, driven like a person would: the seed scenario end to end
(run, pause, edit, resume; and the skip), addresses that reload, refusals shown, a run
cancelled, and the accessibility basics (labelled controls, keyboard only).
Screenshots of each state go to tests/inspector/screenshots/."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.timeout(120)

PAUSE = "Received input that is longer than 5 characters: hello world"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def start_from_graph_page(page: Page, base: str, thread_id: str, value: str) -> None:
    page.goto(f"{base}graphs/dynamic_breakpoints")
    page.get_by_label("Thread ID").fill(thread_id)
    page.get_by_label("Input (JSON object)").fill(json.dumps({"input": value}))
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(f"{base}threads/{thread_id}")
    expect(page.get_by_role("heading", name=f"Thread {thread_id}")).to_be_visible()


def history_rows(page: Page) -> list[str]:
    items = page.locator("#history > li")
    expect(items.first).to_be_visible()
    return [re.sub(r" · [0-9a-f]{8}….*$", "", t.split("\n")[0]) for t in items.all_inner_texts()]


def unlabelled_controls(page: Page) -> list[str]:
    """The page's form controls and buttons that have no name a screen reader can say."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.textContent.trim())
            .map(el => el.outerHTML)"""
    )


def test_seed_scenario_through_the_page(page: Page, inspector, shot):
    base, tid = inspector.url, new_id("page-seed")
    start_from_graph_page(page, base, tid, "hello world")
    expect(page.locator("#thread-status")).to_have_text("interrupted")
    expect(page.locator("#interrupts")).to_contain_text(PAUSE)
    expect(page.locator("#run-log")).to_contain_text("interrupt: " + '"' + PAUSE + '"')
    expect(page.locator(".diagram svg")).to_be_visible()
    shot(page, "thread-interrupted")

    page.get_by_label("State values (JSON; null saves no change)").fill('{"input": "foo"}')
    page.get_by_role("button", name="Save state").click()
    expect(page.locator("#values")).to_contain_text('input: "foo"')
    expect(page.locator("#history > li").first).to_contain_text("update")
    shot(page, "thread-edited")

    page.get_by_role("button", name="Resume", exact=True).click()
    expect(page.locator("#thread-status")).to_have_text("idle")
    expect(page.locator("#values")).to_contain_text('input: "foo"')
    expect(page.locator("#interrupts")).to_have_count(0)
    expect(page.locator("#history > li")).to_have_count(6)
    assert history_rows(page) == [
        "step 4 · loop · next: (end)",
        "step 3 · loop · next: step_3",
        "step 2 · update · next: step_2",
        "step 1 · loop · next: step_2",
        "step 0 · loop · next: step_1",
        "step -1 · input · next: __start__",
    ]
    update = page.locator("#history > li[data-source=update]")
    expect(update).to_contain_text('changed input: "hello world" → "foo"')
    shot(page, "thread-finished")

    # The update checkpoint has its own address, which reloads to the same view.
    update.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"{base}threads/{tid}/checkpoints/[0-9a-f-]+$"))
    page.reload()
    expect(page.get_by_text("at checkpoint")).to_be_visible()
    expect(page.locator("#values")).to_contain_text('input: "foo"')
    expect(page.locator("#history > li.selected")).to_contain_text("step 2 · update")
    shot(page, "checkpoint")


def test_skip_step_2_by_saving_null_as_it(page: Page, inspector, shot):
    base, tid = inspector.url, new_id("page-skip")
    start_from_graph_page(page, base, tid, "hello world")
    expect(page.locator("#interrupts")).to_contain_text(PAUSE)

    page.get_by_label("State values (JSON; null saves no change)").fill("null")
    page.get_by_label("Save as node").select_option("step_2")
    page.get_by_role("button", name="Save state").click()
    expect(page.locator("#history > li").first).to_contain_text("update · next: step_3")

    page.get_by_role("button", name="Resume", exact=True).click()
    expect(page.locator("#thread-status")).to_have_text("idle")
    log = page.locator("#run-log")
    expect(log).to_contain_text('updates: {"step_3":{"input":"hello world"}}')
    expect(log).not_to_contain_text('"step_2"')
    expect(page.locator("#values")).to_contain_text('input: "hello world"')
    shot(page, "thread-skipped")


def test_a_refused_action_shows_the_servers_message_and_changes_nothing(page: Page, inspector):
    base, tid = inspector.url, new_id("page-refused")
    start_from_graph_page(page, base, tid, "hello world")
    expect(page.locator("#history > li")).to_have_count(3)

    page.get_by_label("State values (JSON; null saves no change)").fill("[1, 2]")
    page.get_by_role("button", name="Save state").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("INVALID_ARGUMENT")
    expect(alert).to_contain_text("values: expected an object (a dict), got list")
    page.reload()
    expect(page.locator("#history > li")).to_have_count(3)
    expect(page.locator("#values")).to_contain_text('input: "hello world"')

    page.goto(f"{base}threads/no-such-thread")
    expect(page.get_by_role("alert")).to_have_text("NOT_FOUND: thread 'no-such-thread' not found")


def test_threads_list_filters_pages_and_links(page: Page, inspector, lockstep_server):
    from lockstep_client import Client

    tag = uuid.uuid4().hex[:8]
    with Client(lockstep_server.address) as client:
        for n in range(3):
            client.threads.create(f"list-{tag}-{n}", "dynamic_breakpoints", metadata={"tag": tag})
    page.goto(f"{inspector.url}threads?page_size=2")
    expect(page.get_by_role("heading", name="Threads")).to_be_visible()
    assert unlabelled_controls(page) == []
    page.get_by_label("Metadata (JSON)").fill(json.dumps({"tag": tag}))
    page.get_by_label("Status").select_option("idle")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/threads\?status=idle&metadata="))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    page.goto(page.url + "&page_size=2")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Next page").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile(f"Thread list-{tag}-"))).to_be_visible()


def test_a_subgraph_is_expanded_in_the_drawing(page: Page, inspector, shot):
    page.goto(f"{inspector.url}graphs/{'dynamic_breakpoints'}")
    expect(page.locator(".diagram svg")).to_be_visible()
    expect(page.get_by_label("Expand subgraphs")).to_have_count(0)  # nothing to expand

    page.goto(f"{inspector.url}graphs/nested")
    drawing = page.locator(".diagram svg")
    expect(drawing).to_be_visible()
    expect(drawing).not_to_contain_text("check")
    assert unlabelled_controls(page) == []
    expand = page.get_by_label("Expand subgraphs")
    expand.focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(f"{inspector.url}graphs/nested?xray=-1")
    expect(drawing).to_contain_text("check")
    expect(drawing).to_contain_text("ask")
    shot(page, "graph-subgraph-expanded")
    page.reload()  # the expanded drawing has its own address
    expect(page.get_by_label("Expand subgraphs")).to_be_checked()
    expect(page.locator(".diagram svg")).to_contain_text("check")


def test_a_pause_inside_a_subgraph_is_shown_with_the_subgraphs_state(page: Page, inspector, shot):
    page.goto(f"{inspector.url}graphs/nested")
    page.get_by_label("Thread ID").fill(tid := new_id("page-nested"))
    page.get_by_label("Input (JSON object)").fill('{"request": "buy a boat"}')
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(f"{inspector.url}threads/{tid}")
    expect(page.locator("#thread-status")).to_have_text("interrupted")
    inside = page.get_by_role("region", name="Subgraphs")
    expect(inside).to_contain_text("Inside approval (subgraph)")
    expect(inside).to_contain_text("next: ask")
    expect(inside).to_contain_text("checked: true")
    expect(inside).to_contain_text("Approve this request?")
    shot(page, "thread-nested")

    page.get_by_label("Resume value (JSON, for interrupt(); empty for none)").fill("true")
    page.get_by_role("button", name="Resume", exact=True).click()
    expect(page.locator("#thread-status")).to_have_text("idle")
    expect(page.locator("#values")).to_contain_text('outcome: "done"')
    expect(page.get_by_role("region", name="Subgraphs")).to_have_count(0)


def test_cancel_a_running_run(page: Page, inspector):
    page.goto(f"{inspector.url}graphs/slow")
    page.get_by_label("Thread ID").fill(new_id("page-cancel"))
    page.get_by_label("Input (JSON object)").fill('{"seconds": 20}')
    page.get_by_role("button", name="Start run").click()
    cancel = page.get_by_role("button", name="Cancel run")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(page.locator("#run-log")).to_contain_text("end: cancelled", timeout=15_000)


def test_every_control_is_labelled_and_the_page_works_by_keyboard(page: Page, inspector, shot):
    base, tid = inspector.url, new_id("page-keys")
    start_from_graph_page(page, base, tid, "hello world")
    assert unlabelled_controls(page) == []
    assert page.evaluate("document.documentElement.lang") == "en"

    # Keyboard only: Tab to the resume box, type, Tab to the button, Enter.
    page.goto(f"{base}threads/{tid}")
    expect(page.locator("#thread-status")).to_have_text("interrupted")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "state-values":
            break
    else:
        pytest.fail("Tab never reached the state editor")
    page.keyboard.press("Control+A")
    page.keyboard.type('{"input": "foo"}')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "as-node"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "save-state"
    page.keyboard.press("Enter")
    expect(page.locator("#values")).to_contain_text('input: "foo"')
    page.keyboard.press("Shift+Tab")
    for _ in range(60):
        if page.evaluate("document.activeElement.id") == "resume":
            break
        page.keyboard.press("Shift+Tab")
    else:
        pytest.fail("Shift+Tab never reached the Resume button")
    page.keyboard.press("Enter")
    expect(page.locator("#thread-status")).to_have_text("idle")
    shot(page, "keyboard-finished")


def test_a_run_started_elsewhere_is_watched_live_and_a_second_one_is_refused(
    page: Page, inspector, lockstep_server
):
    from lockstep_client import Client

    tid = new_id("page-join")
    with Client(lockstep_server.address) as client:
        run = client.runs.create(tid, "slow", input={"seconds": 6}, stream_mode="updates")
    page.goto(f"{inspector.url}threads/{tid}")
    log = page.locator("#run-log")
    expect(log).to_contain_text(f"following run {run.run_id}, already under way")
    expect(page.get_by_role("button", name="Cancel run", exact=True)).to_be_enabled()

    # The thread is busy: a second run is refused with the server's words, and runs nothing.
    page.get_by_label("Input (JSON object)").fill('{"seconds": 0}')
    page.get_by_role("button", name="Start run").click()
    expect(page.get_by_role("alert")).to_contain_text("FAILED_PRECONDITION")
    expect(page.get_by_role("alert")).to_contain_text(tid)

    # The joined run's events keep arriving, to its end; then the page shows it done.
    expect(log).to_contain_text(f"following run {run.run_id}")
    expect(log).to_contain_text('updates: {"last":{"n":3}}', timeout=30_000)
    expect(log).to_contain_text("end: success")
    expect(page.locator("#thread-status")).to_have_text("idle")
    expect(page.locator("#values")).to_contain_text("n: 3")
    with Client(lockstep_server.address) as client:
        assert [r.status for r in client.runs.list(thread_id=tid)] == ["success"]


def test_forks_are_branches_across_history_pages(page: Page, inspector, lockstep_server, shot):
    from lockstep_client import Client

    tid = new_id("page-forks")
    with Client(lockstep_server.address) as client:
        client.runs.wait(tid, "dynamic_breakpoints", input={"input": "hello world"})
        for n in range(60):  # a long line: its start is pages back from its end
            client.threads.update_state(tid, {"input": f"v{n}"})
        step_0 = next(
            s
            for s in client.threads.iter_history(tid)
            if s.metadata["source"] == "loop" and s.metadata["step"] == 0
        )
        step_0_id = step_0.config["configurable"]["checkpoint_id"]
        client.threads.update_state(tid, {"input": "fork"}, checkpoint_id=step_0_id)

    page.goto(f"{inspector.url}threads/{tid}")
    rows = page.locator("#history > li")
    expect(rows).to_have_count(50)
    head, old_end = rows.nth(0), rows.nth(1)
    expect(head).not_to_have_class(re.compile("fork"))
    expect(old_end).to_have_class(re.compile("fork"))
    expect(old_end).to_contain_text("on a branch that starts further back")

    # By keyboard: the next Tab stop after the last entry's link is "Older checkpoints".
    older = page.get_by_role("button", name="Older checkpoints")
    assert unlabelled_controls(page) == []
    rows.last.get_by_role("link").last.focus()
    page.keyboard.press("Tab")
    expect(older).to_be_focused()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(64)
    expect(older).to_be_hidden()
    expect(old_end).to_contain_text("on the branch from step 0")
    root = page.locator("#history > li.fork").last
    expect(root).to_contain_text("step 1 · loop")
    expect(root).to_contain_text("branch from step 0")
    at_0 = page.locator(f"#history > li[data-checkpoint='{step_0_id}']")
    expect(at_0).not_to_have_class(re.compile("fork"))
    expect(at_0).to_contain_text("1 branch leaves here")
    expect(page.locator("#history > li:not(.fork)")).to_have_count(3)  # fork, step 0, input
    shot(page, "thread-forked")
    root.get_by_role("link", name=re.compile("step 0")).click()
    expect(page).to_have_url(f"{inspector.url}threads/{tid}/checkpoints/{step_0_id}")
    expect(page.locator("#history > li.selected")).to_contain_text("step 0 · loop")
