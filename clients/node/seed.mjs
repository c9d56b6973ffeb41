// The seed scenario (shared/seed/SCENARIO.md) from Node.js, against a live server.
//
//   LOCKSTEP_ADDRESS=127.0.0.1:50051 node --test seed.mjs
//   node seed.mjs 127.0.0.1:50051          (the same tests, run directly)
//
// Exits non-zero if any check fails. Thread ids are unique per run, so the tests can run
// against a server that already holds other threads.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import * as grpc from "@grpc/grpc-js";

import { connect, eventKind, fromStruct, fromValue, toStruct } from "./lockstep.mjs";

const ADDRESS = process.argv[2] ?? process.env.LOCKSTEP_ADDRESS;
const GRAPH = "dynamic_breakpoints";
const LONG = "Received input that is longer than 5 characters: hello world";
const RUN = randomUUID().slice(0, 8);
const tid = (label) => `node-${label}-${RUN}`;

let ls;

before(() => {
  assert.ok(ADDRESS, "give the server address: LOCKSTEP_ADDRESS=host:port, or as argv[2]");
  ls = connect(ADDRESS);
});

after(() => ls?.close());

// -- helpers -----------------------------------------------------------------------------

/** StreamRun; input is plain JSON, or undefined for "continue from the checkpoint". */
function stream(threadId, input, extra = {}) {
  const request = { graph_id: GRAPH, thread_id: threadId, ...extra };
  if (input !== undefined) request.input = toStruct(input);
  return ls.streamRun(request);
}

const kinds = (events) => events.map(eventKind);
const valuesOf = (events) =>
  events.filter((e) => eventKind(e) === "values").map((e) => fromStruct(e.values));
const endStatus = (events) => events.at(-1).end.status;

async function getState(threadId) {
  const { state } = await ls.call("threads", "GetState", { thread_id: threadId });
  return state;
}

async function history(threadId) {
  const { states } = await ls.call("threads", "GetStateHistory", { thread_id: threadId });
  return states;
}

const rows = (states) =>
  states.map((s) => [s.next, fromStruct(s.values), s.metadata.source, s.metadata.step]);

function assertWaitingAtStep2(snap, value = "hello world") {
  assert.deepEqual(snap.next, ["step_2"]);
  assert.deepEqual(fromStruct(snap.values), { input: value });
  assert.deepEqual(
    snap.tasks.map((t) => t.name),
    ["step_2"],
  );
  const [task] = snap.tasks;
  assert.equal(task.error, "");
  assert.equal(task.interrupts.length, 1);
  assert.equal(fromValue(task.interrupts[0].value), LONG);
  assert.equal(task.interrupts[0].when, "INTERRUPT_WHEN_DURING");
  assert.deepEqual(
    snap.interrupts.map((i) => fromValue(i.value)),
    [LONG],
  );
}

// -- the scenario ------------------------------------------------------------------------

test("interrupt at step_2, update as step_2, resume, history (scenario 2, 5)", async () => {
  const t = tid("3");

  // Stream until the interrupt event: the input and step_1's values, then the interrupt.
  const events = await stream(t, { input: "hello world" });
  assert.deepEqual(kinds(events), ["metadata", "values", "values", "interrupt", "end"]);
  assert.equal(events[0].metadata.thread_id, t);
  assert.equal(events[0].metadata.graph_id, GRAPH);
  assert.deepEqual(valuesOf(events), [{ input: "hello world" }, { input: "hello world" }]);
  const { interrupt } = events[3];
  assert.equal(fromValue(interrupt.value), LONG);
  assert.equal(interrupt.node, "step_2");
  assert.equal(interrupt.when, "INTERRUPT_WHEN_DURING");
  assert.equal(endStatus(events), "RUN_STATUS_INTERRUPTED");

  // The state waits at step_2 with that interrupt.
  const waiting = await getState(t);
  assertWaitingAtStep2(waiting);
  assert.equal(waiting.interrupts[0].id, interrupt.id);

  // Update with no values as step_2 itself: step_2 counts as done, step_3 is next.
  const { checkpoint } = await ls.call("threads", "UpdateState", {
    thread_id: t,
    values: null,
    as_node: "step_2",
  });
  assert.equal(checkpoint.thread_id, t);
  assert.ok(checkpoint.checkpoint_id);
  const updated = await getState(t);
  assert.deepEqual(updated.next, ["step_3"]);
  assert.equal(updated.checkpoint.checkpoint_id, checkpoint.checkpoint_id);

  // Resume (no input): only step_3 runs.
  const resumed = await stream(t, undefined);
  assert.deepEqual(kinds(resumed), ["metadata", "values", "values", "end"]);
  assert.deepEqual(valuesOf(resumed), [{ input: "hello world" }, { input: "hello world" }]);
  assert.equal(endStatus(resumed), "RUN_STATUS_SUCCESS");
  const final = await getState(t);
  assert.deepEqual(fromStruct(final.values), { input: "hello world" });
  assert.deepEqual(final.next, []);
  assert.deepEqual(final.tasks, []);

  // The history, newest first: the update is step_2's own output, source "update".
  const states = await history(t);
  assert.deepEqual(rows(states), [
    [[], { input: "hello world" }, "CHECKPOINT_SOURCE_LOOP", 3],
    [["step_3"], { input: "hello world" }, "CHECKPOINT_SOURCE_UPDATE", 2],
    [["step_2"], { input: "hello world" }, "CHECKPOINT_SOURCE_LOOP", 1],
    [["step_1"], { input: "hello world" }, "CHECKPOINT_SOURCE_LOOP", 0],
    [["__start__"], {}, "CHECKPOINT_SOURCE_INPUT", -1],
  ]);
  for (let i = 0; i + 1 < states.length; i++) {
    assert.equal(states[i].parent_checkpoint.checkpoint_id, states[i + 1].checkpoint.checkpoint_id);
  }
  assert.equal(states.at(-1).parent_checkpoint, null);
});

test("a short input runs to the end: four value events (scenario 1)", async () => {
  const t = tid("1");
  const events = await stream(t, { input: "hello" });
  assert.deepEqual(kinds(events), ["metadata", "values", "values", "values", "values", "end"]);
  assert.deepEqual(valuesOf(events), Array(4).fill({ input: "hello" }));
  assert.equal(endStatus(events), "RUN_STATUS_SUCCESS");
  const state = await getState(t);
  assert.deepEqual(state.next, []);
  assert.deepEqual(state.tasks, []);
});

test("resume raises again; update as step_1 keeps step_2 next; history (scenario 2, 3, 4, 6)", async () => {
  const t = tid("2");
  await stream(t, { input: "hello world" });
  const before = await getState(t);
  assertWaitingAtStep2(before);

  // Resuming raises again: same interrupt, same checkpoint, nothing lost or duplicated.
  const again = await stream(t, undefined);
  assert.deepEqual(kinds(again), ["metadata", "values", "interrupt", "end"]);
  assert.equal(again[2].interrupt.id, before.interrupts[0].id);
  const still = await getState(t);
  assertWaitingAtStep2(still);
  assert.equal(still.checkpoint.checkpoint_id, before.checkpoint.checkpoint_id);

  // Update as the last node that ran (as_node empty = step_1): step_2 stays next.
  await ls.call("threads", "UpdateState", { thread_id: t, values: toStruct({ input: "foo" }) });
  assert.deepEqual((await getState(t)).next, ["step_2"]);
  const done = await stream(t, undefined);
  assert.deepEqual(valuesOf(done), Array(3).fill({ input: "foo" }));
  assert.equal(endStatus(done), "RUN_STATUS_SUCCESS");

  assert.deepEqual(rows(await history(t)), [
    [[], { input: "foo" }, "CHECKPOINT_SOURCE_LOOP", 4],
    [["step_3"], { input: "foo" }, "CHECKPOINT_SOURCE_LOOP", 3],
    [["step_2"], { input: "foo" }, "CHECKPOINT_SOURCE_UPDATE", 2],
    [["step_2"], { input: "hello world" }, "CHECKPOINT_SOURCE_LOOP", 1],
    [["step_1"], { input: "hello world" }, "CHECKPOINT_SOURCE_LOOP", 0],
    [["__start__"], {}, "CHECKPOINT_SOURCE_INPUT", -1],
  ]);
});

test("updates mode: step_1's update, then the interrupt (scenario 7)", async () => {
  const events = await stream(tid("4"), { input: "hello world" }, {
    stream_modes: ["STREAM_MODE_UPDATES"],
  });
  assert.deepEqual(kinds(events), ["metadata", "updates", "interrupt", "end"]);
  assert.equal(events[1].updates.node, "step_1");
  assert.deepEqual(fromStruct(events[1].updates.values), { input: "hello world" });
  assert.equal(fromValue(events[2].interrupt.value), LONG);
});

test("errors are gRPC status codes: NOT_FOUND, INVALID_ARGUMENT", async () => {
  await assert.rejects(ls.call("threads", "GetState", { thread_id: tid("missing") }), {
    code: grpc.status.NOT_FOUND,
  });
  const t = tid("5");
  await stream(t, { input: "hello world" });
  await assert.rejects(
    ls.call("threads", "UpdateState", { thread_id: t, as_node: "no_such_node" }),
    { code: grpc.status.INVALID_ARGUMENT },
  );
});
