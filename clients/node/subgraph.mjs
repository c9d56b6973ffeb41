// A subgraph interrupt and its resume from Node.js, against a live server: the `nested`
// example graph, whose `approval` node is a compiled graph that calls interrupt().
//
//   LOCKSTEP_ADDRESS=127.0.0.1:50051 node --test subgraph.mjs
//
// Events of the subgraph carry its namespace ("approval:<task id>"); GetState with
// subgraphs shows the subgraph's own state inside the parent's task; a resume continues
// inside the subgraph without running its finished node again.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import { connect, eventKind, fromStruct, fromValue, toStruct, toValue } from "./lockstep.mjs";

const ADDRESS = process.argv[2] ?? process.env.LOCKSTEP_ADDRESS;
const GRAPH = "nested";
const RUN = randomUUID().slice(0, 8);

let ls;

before(() => {
  assert.ok(ADDRESS, "give the server address: LOCKSTEP_ADDRESS=host:port, or as argv[2]");
  ls = connect(ADDRESS);
});

after(() => ls?.close());

/** The nodes whose updates the events show, each as "namespace/node" ("" for the root). */
const updatedNodes = (events) =>
  events
    .filter((e) => eventKind(e) === "updates")
    .map((e) => `${e.namespace.map((p) => p.split(":")[0]).join("|")}/${e.updates.node}`);

test("a subgraph's interrupt pauses the run, shows in its state, and resumes inside it", async () => {
  const threadId = `node-nested-${RUN}`;
  const first = await ls.streamRun({
    graph_id: GRAPH,
    thread_id: threadId,
    input: toStruct({ request: "  a new lamp " }),
    stream_modes: ["STREAM_MODE_UPDATES"],
    subgraphs: true,
  });
  assert.equal(first.at(-1).end.status, "RUN_STATUS_INTERRUPTED");
  assert.deepEqual(updatedNodes(first), ["/draft", "approval/check"]);
  const [asked] = first.filter((e) => eventKind(e) === "interrupt").map((e) => e.interrupt);
  assert.deepEqual(fromValue(asked.value), {
    question: "Approve this request?",
    request: "a new lamp",
  });

  const { state } = await ls.call("threads", "GetState", { thread_id: threadId, subgraphs: true });
  assert.deepEqual(state.next, ["approval"]);
  const [task] = state.tasks;
  assert.equal(task.name, "approval");
  assert.ok(task.subgraph.checkpoint_ns.startsWith("approval:"), task.subgraph.checkpoint_ns);
  assert.deepEqual(task.state.next, ["ask"]);
  assert.deepEqual(fromStruct(task.state.values), { request: "a new lamp", checked: true });
  assert.equal(task.state.checkpoint.checkpoint_ns, task.subgraph.checkpoint_ns);

  const resumed = await ls.streamRun({
    graph_id: GRAPH,
    thread_id: threadId,
    command: { resume: toValue(true) },
    stream_modes: ["STREAM_MODE_UPDATES", "STREAM_MODE_VALUES"],
    subgraphs: true,
  });
  assert.equal(resumed.at(-1).end.status, "RUN_STATUS_SUCCESS");
  // `check` finished before the interrupt: only `ask` runs again, then the parent goes on.
  assert.deepEqual(updatedNodes(resumed), ["approval/ask", "/approval", "/act"]);
  const last = resumed.filter((e) => eventKind(e) === "values" && e.namespace.length === 0).at(-1);
  assert.deepEqual(fromStruct(last.values), {
    request: "a new lamp",
    checked: true,
    approved: true,
    outcome: "done",
  });
});
