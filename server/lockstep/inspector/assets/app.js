// The inspector's page: reads its address, asks /api/... and draws what it gets.
// Plain DOM (no framework, no build step); text always goes in as text, never as HTML.
"use strict";

const main = document.getElementById("main");
const errorBox = document.getElementById("error");
let diagramCount = 0;
const runLogs = new Map(); // thread id -> the last run's event lines, kept across redraws
const joined = new Set(); // run ids this page has streamed (started or joined): joined once only

if (window.mermaid) {
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
}

// -- little helpers -------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function link(href, text) {
  return h("a", { href }, text);
}

function short(id) {
  return id ? id.slice(0, 8) + "…" + id.slice(-6) : "";
}

function showError(err) {
  errorBox.textContent = err.code ? `${err.code}: ${err.message}` : String(err.message || err);
  errorBox.hidden = false;
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const resp = await fetch(path, init);
  const doc = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const e = doc.error || { code: `HTTP ${resp.status}`, message: resp.statusText };
    throw new ApiError(e.code, e.message);
  }
  return doc;
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError("INVALID_JSON", `${what} is not valid JSON: ${e.message}`);
  }
}

// A values tree: objects and lists nest, scalars show as JSON.
function tree(value) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    if (entries.length === 0) return h("code", {}, Array.isArray(value) ? "[]" : "{}");
    return h("ul", { class: "tree" },
      entries.map(([k, v]) => h("li", {}, h("span", { class: "key" }, String(k)), ": ", tree(v))));
  }
  const cls = typeof value === "string" ? "str" : typeof value === "number" ? "num" : "lit";
  return h("code", { class: cls }, JSON.stringify(value));
}

async function drawGraph(container, text, label) {
  container.setAttribute("role", "img");
  container.setAttribute("aria-label", label);
  if (!text) {
    container.append(h("p", { class: "muted" }, "This graph has no drawing."));
    return;
  }
  try {
    const { svg } = await window.mermaid.render(`diagram-${++diagramCount}`, text);
    container.innerHTML = svg; // Mermaid's own SVG, rendered with securityLevel strict
  } catch (e) {
    container.append(h("pre", {}, text));
  }
}

// Server-sent events from a POST (or a GET without a body): fetch's body read as
// "event: X\ndata: Y\n\n" blocks.
async function streamEvents(path, body, onEvent) {
  const resp = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!resp.ok) {
    const doc = await resp.json().catch(() => ({}));
    const e = doc.error || { code: `HTTP ${resp.status}`, message: resp.statusText };
    throw new ApiError(e.code, e.message);
  }
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(event, data ? JSON.parse(data) : null);
    }
  }
}

function describeEvent(event, data) {
  if (event === "interrupt") return `interrupt: ${JSON.stringify(data.value)}`;
  if (event === "end") return `end: ${data.status}`;
  if (event === "error") return `error: ${data.error_type ? data.error_type + ": " : ""}${data.message}`;
  if (event === "failed") return `failed: ${data.code}: ${data.message}`;
  return `${event}: ${JSON.stringify(data)}`;
}

// Append a run's events to the thread's log as they arrive, offer to cancel it while it
// runs, and call `after` when it ends. `open(onEvent, armCancel)` streams the events. The
// log is only taken over once the run has started: a refused start leaves it (and any run
// being watched) as it was.
async function watchRun(threadId, open, after, firstLine) {
  clearError();
  const lines = [];
  let runId = null;
  const show = (text) => {
    if (runLogs.get(threadId) !== lines) {
      runLogs.set(threadId, lines);
      document.getElementById("run-log")?.replaceChildren();
    }
    lines.push(text);
    document.getElementById("run-log")?.append(h("li", {}, text));
  };
  const armCancel = (id) => {
    runId = id;
    joined.add(id);
    const btn = document.getElementById("cancel-run");
    if (btn) {
      btn.disabled = false;
      btn.dataset.runId = id;
    }
  };
  if (firstLine) show(firstLine);
  try {
    await open((event, data) => {
      show(describeEvent(event, data));
      if (event === "metadata") armCancel(data.run_id);
      if (event === "failed") showError(data);
    }, armCancel);
  } catch (e) {
    showError(e);
    return;
  } finally {
    const btn = document.getElementById("cancel-run");
    if (btn && runId && btn.dataset.runId === runId) btn.disabled = true;
  }
  if (after) await after();
}

// Start a run (or resume) on a thread and watch it.
function runAndWatch(threadId, body, after) {
  return watchRun(threadId, (onEvent) =>
    streamEvents(`/api/threads/${encodeURIComponent(threadId)}/runs`, body, onEvent), after);
}

// Watch a run started elsewhere (another tab, the CLI, a program): JoinRun's events from now on.
function joinAndWatch(threadId, runId, after) {
  return watchRun(threadId, (onEvent, armCancel) => {
    armCancel(runId);
    return streamEvents(`/api/runs/${encodeURIComponent(runId)}/events`, undefined, onEvent);
  }, after, `following run ${runId}, already under way`);
}

// -- pages ----------------------------------------------------------------------------

async function graphsPage() {
  const { graphs } = await api("/api/graphs");
  document.title = "Graphs · Lockstep inspector";
  main.replaceChildren(
    h("h1", {}, "Graphs"),
    h("ul", {}, graphs.map((g) => h("li", {},
      link(`/graphs/${encodeURIComponent(g.graph_id)}`, g.graph_id),
      g.description ? ` — ${g.description}` : ""))),
  );
}

function runForm(threadIdDefault, graphId, onDone) {
  const threadInput = h("input", { id: "run-thread", name: "thread", value: threadIdDefault || "",
    placeholder: "empty: a new thread" });
  const inputArea = h("textarea", { id: "run-input", name: "input" }, '{"input": "hello world"}');
  const form = h("form", { "aria-label": "Start a run" },
    h("label", { for: "run-thread" }, "Thread ID"), threadInput,
    h("label", { for: "run-input" }, "Input (JSON object)"), inputArea,
    h("button", { type: "submit" }, "Start run"));
  if (threadIdDefault) threadInput.readOnly = true;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError();
    let input;
    try {
      input = parseJson(inputArea.value, "Input");
    } catch (e) {
      showError(e);
      return;
    }
    const threadId = threadInput.value.trim() || crypto.randomUUID();
    await runAndWatch(threadId, { graph_id: graphId, input }, () => onDone(threadId));
  });
  return form;
}

function logSection(threadId) {
  return h("section", { "aria-labelledby": "events-h" },
    h("h2", { id: "events-h" }, "Run events"),
    h("button", { id: "cancel-run", type: "button", disabled: true, onclick: async (ev) => {
      try {
        await api(`/api/runs/${encodeURIComponent(ev.target.dataset.runId)}/cancel`, {});
      } catch (e) {
        showError(e);
      }
    } }, "Cancel run"),
    h("ol", { id: "run-log", class: "log", role: "log", "aria-live": "polite", "aria-label": "Run events" },
      (runLogs.get(threadId) || []).map((t) => h("li", {}, t))));
}

async function graphPage(graphId) {
  const xray = new URLSearchParams(location.search).get("xray") || "0";
  const { graph, expandable } = await api(`/api/graphs/${encodeURIComponent(graphId)}?xray=${encodeURIComponent(xray)}`);
  document.title = `${graphId} · Lockstep inspector`;
  const diagram = h("div", { class: "diagram" });
  // Subgraphs drawn in place of their nodes, every level (LangGraph's xray), at its own address.
  const expand = h("input", { type: "checkbox", id: "xray", checked: xray !== "0",
    onchange: (ev) => navigate(`/graphs/${encodeURIComponent(graphId)}${ev.target.checked ? "?xray=-1" : ""}`) });
  main.replaceChildren(
    h("h1", {}, `Graph ${graph.graph_id}`),
    graph.description ? h("p", {}, graph.description) : "",
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "drawing-h" }, h("h2", { id: "drawing-h" }, "Drawing"),
        expandable ? h("p", {}, expand, " ", h("label", { for: "xray" }, "Expand subgraphs")) : "",
        diagram),
      h("section", { "aria-labelledby": "start-h" },
        h("h2", { id: "start-h" }, "Start a run"),
        runForm("", graphId, (tid) => navigate(`/threads/${encodeURIComponent(tid)}`)),
        logSection(""),
        h("h2", {}, "State keys"),
        h("ul", {}, graph.state_keys.map((k) => h("li", {}, h("code", {}, k.name),
          k.type ? ` (${k.type})` : "", k.reducer ? `, reducer ${k.reducer}` : ""))),
        h("p", {}, link(`/threads?graph=${encodeURIComponent(graphId)}`, "Threads of this graph")))),
  );
  await drawGraph(diagram, graph.mermaid, `Graph ${graphId}: nodes ${graph.nodes.map((n) => n.name).join(", ")}`);
}

async function threadsPage() {
  const q = new URLSearchParams(location.search);
  const { threads, next_page_token } = await api(`/api/threads?${q.toString()}`);
  document.title = "Threads · Lockstep inspector";
  const statusSel = h("select", { id: "f-status", name: "status" },
    ["", "idle", "busy", "interrupted", "error"].map((s) =>
      h("option", { value: s, selected: s === (q.get("status") || "") }, s || "any")));
  const graphIn = h("input", { id: "f-graph", name: "graph", value: q.get("graph") || "" });
  const metaIn = h("input", { id: "f-metadata", name: "metadata", value: q.get("metadata") || "",
    placeholder: '{"user": "ann"}' });
  const filters = h("form", { class: "inline", "aria-label": "Filter threads", method: "get", action: "/threads" },
    h("label", { for: "f-status" }, "Status", statusSel),
    h("label", { for: "f-graph" }, "Graph", graphIn),
    h("label", { for: "f-metadata" }, "Metadata (JSON)", metaIn),
    h("button", { type: "submit" }, "Filter"));
  filters.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (statusSel.value) p.set("status", statusSel.value);
    if (graphIn.value.trim()) p.set("graph", graphIn.value.trim());
    if (metaIn.value.trim()) p.set("metadata", metaIn.value.trim());
    navigate(`/threads${p.toString() ? "?" + p : ""}`);
  });
  const pageLink = (token, text) => {
    const p = new URLSearchParams(q);
    if (token) p.set("page_token", token);
    else p.delete("page_token");
    return link(`/threads?${p}`, text);
  };
  main.replaceChildren(
    h("h1", {}, "Threads"),
    filters,
    threads.length === 0 ? h("p", {}, "No threads.") : h("table", {},
      h("caption", { class: "muted" }, "Most recently updated first"),
      h("thead", {}, h("tr", {}, ["Thread", "Graph", "Status", "Updated", "Metadata"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, threads.map((t) => h("tr", {},
        h("td", {}, link(`/threads/${encodeURIComponent(t.thread_id)}`, t.thread_id)),
        h("td", {}, t.graph_id ? link(`/graphs/${encodeURIComponent(t.graph_id)}`, t.graph_id) : ""),
        h("td", {}, h("span", { class: `badge ${t.status}` }, t.status)),
        h("td", {}, t.updated_at || ""),
        h("td", {}, h("code", {}, JSON.stringify(t.metadata))))))),
    h("nav", { "aria-label": "Pages" },
      q.get("page_token") ? pageLink("", "First page") : "", " ",
      next_page_token ? pageLink(next_page_token, "Next page") : ""),
  );
}

function checkpointLink(threadId, id, text) {
  return link(`/threads/${encodeURIComponent(threadId)}/checkpoints/${encodeURIComponent(id)}`, text);
}

function historyEntry(e, threadId, selectedId) {
  const md = e.metadata || {};
  const writes = Object.entries(e.writes || {});
  return h("li", { class: e.checkpoint_id === selectedId ? "selected" : null,
    "data-checkpoint": e.checkpoint_id, "data-source": md.source },
    h("div", { class: "meta" },
      checkpointLink(threadId, e.checkpoint_id, `step ${md.step}`),
      ` · ${md.source} · next: ${e.next.length ? e.next.join(", ") : "(end)"} · ${short(e.checkpoint_id)}`,
      h("span", { class: "branch" })),
    writes.length ? h("div", {}, "wrote: ", writes.map(([n, v]) => h("span", {}, h("strong", {}, n), " → ", h("code", {}, JSON.stringify(v)), " "))) : "",
    e.diff.length ? h("ul", { class: "diff", "aria-label": "Changes from the parent" }, e.diff.map((d) => h("li", { class: d.op },
      `${d.op} ${d.key}: `,
      d.op !== "added" ? h("code", {}, JSON.stringify(d.before)) : "",
      d.op === "changed" ? " → " : "",
      d.op !== "removed" ? h("code", {}, JSON.stringify(d.after)) : ""))) : h("div", { class: "muted" }, "no change in values"));
}

// The history, page by page, newest first. The head's line is the newest checkpoint and
// its ancestors; every other checkpoint is on a branch, labelled with where it forked off
// that line, worked out again over all loaded pages each time one more arrives (a branch
// may end on the first page and start pages further back).
class Timeline {
  // `pinned`: on a checkpoint's own page, where that checkpoint must be shown.
  constructor(list, moreBtn, threadId, selectedId, pinned) {
    Object.assign(this, { list, moreBtn, threadId, selectedId, pinned });
    this.loaded = new Map(); // checkpoint id -> { e: entry, el: its <li> }
    this.headId = null;
    moreBtn.addEventListener("click", () => this.load(moreBtn.dataset.before).catch(showError));
  }

  async load(before) {
    const q = new URLSearchParams();
    if (before) q.set("before", before);
    const { history, older } = await api(`/api/threads/${encodeURIComponent(this.threadId)}/history?${q}`);
    if (!this.headId && history.length) this.headId = history[0].checkpoint_id;
    for (const e of history) {
      const el = historyEntry(e, this.threadId, this.selectedId);
      this.loaded.set(e.checkpoint_id, { e, el });
      this.list.append(el);
    }
    this.moreBtn.hidden = !older;
    this.moreBtn.dataset.before = older || "";
    this.label();
  }

  // The first page, and on a checkpoint's page the pages down to that checkpoint.
  async open() {
    await this.load(null);
    const wanted = this.selectedId;
    while (this.pinned && !this.loaded.has(wanted) && this.moreBtn.dataset.before) {
      await this.load(this.moreBtn.dataset.before);
    }
  }

  label() {
    const line = new Set();
    for (let c = this.headId; c && this.loaded.has(c) && !line.has(c); c = this.loaded.get(c).e.parent_id) line.add(c);
    const forkPoint = new Map(); // off-line id -> the line checkpoint its branch left from, or null
    const pointOf = (id) => {
      const path = [];
      let c = id;
      let found = null;
      while (c) {
        if (forkPoint.has(c)) { found = forkPoint.get(c); break; }
        if (line.has(c)) { found = c; break; }
        if (!this.loaded.has(c)) break;
        path.push(c);
        c = this.loaded.get(c).e.parent_id;
      }
      for (const p of path) forkPoint.set(p, found);
      return found;
    };
    const branchesAt = new Map(); // line id -> how many branches leave it
    for (const [id, { e }] of this.loaded) {
      if (!line.has(id) && line.has(e.parent_id)) branchesAt.set(e.parent_id, (branchesAt.get(e.parent_id) || 0) + 1);
    }
    for (const [id, { e, el }] of this.loaded) {
      const span = el.querySelector(".branch");
      el.classList.toggle("fork", !line.has(id));
      if (line.has(id)) {
        const n = branchesAt.get(id);
        span.replaceChildren(n ? ` · ${n} ${n === 1 ? "branch leaves" : "branches leave"} here` : "");
        continue;
      }
      const point = pointOf(id);
      const at = point && this.loaded.get(point).e;
      if (!at) span.replaceChildren(" · on a branch that starts further back (load older checkpoints)");
      else if (e.parent_id === point) span.replaceChildren(" · branch from ", checkpointLink(this.threadId, point, `step ${at.metadata.step} (${short(point)})`));
      else span.replaceChildren(" · on the branch from ", checkpointLink(this.threadId, point, `step ${at.metadata.step} (${short(point)})`));
    }
  }
}

// The tasks that run a subgraph, each with the subgraph's own state: where it stopped,
// what it holds, what it asks (nested subgraphs inside, as deep as they go).
function subgraphSection(tasks, depth = 0) {
  const nested = tasks.filter((t) => t.state);
  if (!nested.length) return "";
  const level = `h${Math.min(depth + 2, 6)}`;
  return h("section", { class: "subgraphs", "aria-label": depth ? "Nested subgraphs" : "Subgraphs" },
    nested.map((t) => h("div", { class: "subgraph" },
      h(level, {}, `Inside ${t.name} (subgraph)`),
      h("p", {}, `next: ${t.state.next.length ? t.state.next.join(", ") : "(end)"}`),
      t.state.tasks.flatMap((st) => st.interrupts).map((i) => h("div", { class: "interrupt" },
        h("div", {}, `${i.node} (${i.when})`), tree(i.value))),
      tree(t.state.values),
      subgraphSection(t.state.tasks, depth + 1))));
}

async function threadPage(threadId, checkpointId) {
  const path = checkpointId
    ? `/api/threads/${encodeURIComponent(threadId)}/checkpoints/${encodeURIComponent(checkpointId)}`
    : `/api/threads/${encodeURIComponent(threadId)}`;
  const view = await api(path);
  const { thread, state, graph } = view;
  const redraw = () => threadPage(threadId, checkpointId).catch(showError);
  document.title = `Thread ${threadId} · Lockstep inspector`;
  const nodes = graph ? graph.nodes.map((n) => n.name) : [];
  const interrupts = state.tasks.flatMap((t) => t.interrupts.map((i) => ({ ...i, node: i.node || t.name })));
  const diagram = h("div", { class: "diagram" });

  // Edit state: saved at the head, or (on a checkpoint's page) as a fork from it.
  const valuesArea = h("textarea", { id: "state-values", name: "values", rows: 6 }, JSON.stringify(state.values, null, 2));
  const asNode = h("select", { id: "as-node", name: "as_node" },
    h("option", { value: "" }, "default (as update_state picks)"), nodes.map((n) => h("option", { value: n }, n)));
  const editForm = h("form", { "aria-label": "Edit state" },
    h("label", { for: "state-values" }, "State values (JSON; null saves no change)"), valuesArea,
    h("label", { for: "as-node" }, "Save as node"), asNode,
    h("button", { type: "submit", id: "save-state" }, checkpointId ? "Fork from this checkpoint" : "Save state"));
  editForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError();
    try {
      const values = parseJson(valuesArea.value, "State values");
      const body = { values, as_node: asNode.value || null };
      if (checkpointId) body.checkpoint_id = checkpointId;
      const { checkpoint_id } = await api(`/api/threads/${encodeURIComponent(threadId)}/state`, body);
      if (checkpointId) navigate(`/threads/${encodeURIComponent(threadId)}/checkpoints/${encodeURIComponent(checkpoint_id)}`);
      else await redraw();
    } catch (e) {
      showError(e);
    }
  });

  // Resume (continue from the head, or replay from this checkpoint), with a value for interrupt().
  const resumeArea = h("textarea", { id: "resume-value", name: "resume", rows: 2, placeholder: "empty: continue without a value" });
  const resumeForm = h("form", { "aria-label": "Resume" },
    h("label", { for: "resume-value" }, "Resume value (JSON, for interrupt(); empty for none)"), resumeArea,
    h("button", { type: "submit", id: "resume" }, checkpointId ? "Run from this checkpoint" : "Resume"));
  resumeForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearError();
    if (!thread.graph_id) {
      showError({ message: "This thread has no graph yet: start a run from a graph's page." });
      return;
    }
    const body = { graph_id: thread.graph_id };
    try {
      if (resumeArea.value.trim()) body.resume = parseJson(resumeArea.value, "Resume value");
    } catch (e) {
      showError(e);
      return;
    }
    if (checkpointId) body.checkpoint_id = checkpointId;
    await runAndWatch(threadId, body, () => navigate(`/threads/${encodeURIComponent(threadId)}`));
  });

  const historyList = h("ol", { class: "timeline", id: "history", "aria-label": "Checkpoints, newest first" });
  const moreBtn = h("button", { type: "button", id: "older", hidden: true }, "Older checkpoints");
  const timeline = new Timeline(historyList, moreBtn, threadId, state.checkpoint_id, Boolean(checkpointId));

  const runsList = h("ul", { id: "runs" });
  main.replaceChildren(
    h("h1", {}, `Thread ${threadId}`),
    h("p", {},
      h("span", { class: `badge ${thread.status}`, id: "thread-status" }, thread.status),
      " graph ", thread.graph_id ? link(`/graphs/${encodeURIComponent(thread.graph_id)}`, thread.graph_id) : "(none yet)",
      checkpointId ? h("span", {}, " · at checkpoint ", h("code", {}, checkpointId), " · ",
        link(`/threads/${encodeURIComponent(threadId)}`, "back to the latest")) : "",
      ` · next: ${state.next.length ? state.next.join(", ") : "(end)"}`),
    interrupts.length ? h("section", { "aria-labelledby": "interrupts-h", id: "interrupts" },
      h("h2", { id: "interrupts-h" }, "Interrupts"),
      interrupts.map((i) => h("div", { class: "interrupt" },
        h("div", {}, `${i.node} (${i.when})`), tree(i.value)))) : "",
    subgraphSection(state.tasks),
    h("div", { class: "columns" },
      h("div", {},
        h("section", { "aria-labelledby": "drawing-h" }, h("h2", { id: "drawing-h" }, "Graph"),
          h("p", { class: "muted" }, "yellow: ran last · red: next"), diagram),
        h("section", { "aria-labelledby": "values-h" }, h("h2", { id: "values-h" }, "Values"),
          h("div", { id: "values" }, tree(state.values))),
        h("section", { "aria-labelledby": "history-h" }, h("h2", { id: "history-h" }, "History"),
          historyList, moreBtn)),
      h("div", {},
        h("section", { "aria-labelledby": "resume-h" }, h("h2", { id: "resume-h" }, checkpointId ? "Replay" : "Resume"), resumeForm),
        h("section", { "aria-labelledby": "edit-h" }, h("h2", { id: "edit-h" }, checkpointId ? "Fork" : "Edit state"), editForm),
        thread.graph_id ? h("section", { "aria-labelledby": "newrun-h" }, h("h2", { id: "newrun-h" }, "New input"),
          runForm(threadId, thread.graph_id, () => redraw())) : "",
        logSection(threadId),
        h("section", { "aria-labelledby": "runs-h" }, h("h2", { id: "runs-h" }, "Runs"), runsList))),
  );
  const label = `Graph ${thread.graph_id}: ran last ${view.current.join(", ") || "nothing"}; next ${state.next.join(", ") || "nothing"}`;
  await Promise.all([
    drawGraph(diagram, view.mermaid, label),
    timeline.open(),
    api(`/api/threads/${encodeURIComponent(threadId)}/runs`).then(({ runs }) => {
      runsList.replaceChildren(...runs.map((r) => h("li", {},
        h("code", {}, short(r.run_id)), ` ${r.status} · ${r.created_at || ""}`,
        r.status === "pending" || r.status === "running"
          ? h("button", { type: "button", onclick: () => api(`/api/runs/${encodeURIComponent(r.run_id)}/cancel`, {}).then(redraw, showError) }, `Cancel run ${short(r.run_id)}`)
          : "")));
      // A run going on that this page did not start: follow it live, then redraw.
      const active = runs.find((r) => r.status === "pending" || r.status === "running");
      if (active && !joined.has(active.run_id)) {
        const here = location.pathname;
        joinAndWatch(threadId, active.run_id, () => (location.pathname === here ? redraw() : null));
      }
    }),
  ]);
}

// -- routing: every page has its own address ----------------------------------------

async function render() {
  clearError();
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts.length === 0 || (parts[0] === "graphs" && parts.length === 1)) await graphsPage();
    else if (parts[0] === "graphs") await graphPage(parts[1]);
    else if (parts[0] === "threads" && parts.length === 1) await threadsPage();
    else if (parts[0] === "threads" && parts.length === 2) await threadPage(parts[1], null);
    else if (parts[0] === "threads" && parts[2] === "checkpoints") await threadPage(parts[1], parts[3]);
    else main.replaceChildren(h("h1", {}, "Not found"));
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Could not load this page"));
    showError(e);
  }
  main.dataset.ready = location.pathname + location.search;
}

function navigate(href) {
  history.pushState(null, "", href);
  render().then(() => main.focus());
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a");
  if (!a || a.origin !== location.origin || a.classList.contains("skip") || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  ev.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener("popstate", render);
render();
