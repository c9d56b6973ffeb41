// The seed scenario, a subgraph interrupt and resume, and calls with and without a
// bearer token, from TypeScript over the generated stubs, against a live server.
//
//   npm run build && LOCKSTEP_ADDRESS=127.0.0.1:50051 node --test dist/seed.js
//   LOCKSTEP_TOKEN=...   for a server run with --auth-tokens: every call sends it, and the
//                        token test checks that calls without it (or with another) are refused
//
// Exits non-zero if any check fails. Thread ids are unique per run, so the program can run
// against a server that already holds other threads.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import * as grpc from "@grpc/grpc-js";

import {
  CheckpointSource,
  InterruptWhen,
  RunStatus,
  StreamMode,
} from "./gen/lockstep/v1/enums.js";
import { ListGraphsRequest } from "./gen/lockstep/v1/graphs_service.js";
import { Command, type RunEvent, type StateSnapshot } from "./gen/lockstep/v1/message.js";
import { StreamRunRequest } from "./gen/lockstep/v1/runs_service.js";
import { GetItemRequest, PutItemRequest } from "./gen/lockstep/v1/store_service.js";
import {
  GetStateHistoryRequest,
  GetStateRequest,
  UpdateStateRequest,
} from "./gen/lockstep/v1/threads_service.js";
import { collect, connect, type Lockstep } from "./lockstep.js";

const ADDRESS = process.argv[2] ?? process.env.LOCKSTEP_ADDRESS;
const TOKEN = process.env.LOCKSTEP_TOKEN || undefined;
const SEED = "dynamic_breakpoints";
const LONG = "Received input that is longer than 5 characters: hello world";
const RUN = randomUUID().slice(0, 8);
const tid = (label: string) => `ts-${label}-${RUN}`;

let ls: Lockstep;

before(() => {
  assert.ok(ADDRESS, "give the server address: LOCKSTEP_ADDRESS=host:port, or as argv[2]");
  ls = connect(ADDRESS, { token: TOKEN });
});

after(() => ls?.close());

// -- helpers -----------------------------------------------------------------------------

type Kind = NonNullable<RunEvent["event"]>["$case"];
type JsonObject = { [key: string]: unknown };

/** StreamRun on the seed graph; input is plain JSON, or undefined to continue the thread. */
async function stream(
  threadId: string,
  input: JsonObject | undefined,
  extra: Partial<StreamRunRequest> = {},
): Promise<RunEvent[]> {
  const request = StreamRunRequest.fromPartial({ graphId: SEED, threadId, input, ...extra });
  const responses = await collect(ls.runs.streamRun(request));
  return responses.map((response) => {
    assert.ok(response.event, "every StreamRunResponse carries an event");
    return response.event;
  });
}

/** The event's oneof member, narrowed: event(e, "interrupt") is an Interrupt. */
function member<K extends Kind>(
  event: RunEvent,
  kind: K,
): Extract<NonNullable<RunEvent["event"]>, { $case: K }>["value"] {
  assert.equal(event.event?.$case, kind);
  return (event.event as Extract<NonNullable<RunEvent["event"]>, { $case: K }>).value;
}

const kinds = (events: RunEvent[]) => events.map((e) => e.event?.$case);
const valuesOf = (events: RunEvent[]) =>
  events.filter((e) => e.event?.$case === "values").map((e) => member(e, "values"));
const endStatus = (events: RunEvent[]) => member(events[events.length - 1], "end").status;

async function getState(threadId: string): Promise<StateSnapshot> {
  const { state } = await ls.threads.getState(GetStateRequest.fromPartial({ threadId }));
  assert.ok(state);
  return state;
}

async function history(threadId: string): Promise<StateSnapshot[]> {
  const request = GetStateHistoryRequest.fromPartial({ threadId });
  return (await ls.threads.getStateHistory(request)).states;
}

const rows = (states: StateSnapshot[]) =>
  states.map((s) => [s.next, s.values, s.metadata?.source, s.metadata?.step]);

function assertWaitingAtStep2(snap: StateSnapshot, value: string) {
  assert.deepEqual(snap.next, ["step_2"]);
  assert.deepEqual(snap.values, { input: value });
  assert.deepEqual(
    snap.tasks.map((t) => t.name),
    ["step_2"],
  );
  const [task] = snap.tasks;
  assert.equal(task.error, "");
  assert.equal(task.interrupts.length, 1);
  assert.equal(task.interrupts[0].value, LONG);
  assert.equal(task.interrupts[0].when, InterruptWhen.INTERRUPT_WHEN_DURING);
  assert.deepEqual(
    snap.interrupts.map((i) => i.value),
    [LONG],
  );
}

// -- the seed scenario -------------------------------------------------------------------

test("seed: hello world interrupts at step_2; update input to foo; resume; history", async () => {
  const t = tid("seed");

  // Stream until the interrupt: the input's and step_1's values, then the interrupt.
  const events = await stream(t, { input: "hello world" });
  assert.deepEqual(kinds(events), ["metadata", "values", "values", "interrupt", "end"]);
  const metadata = member(events[0], "metadata");
  assert.equal(metadata.threadId, t);
  assert.equal(metadata.graphId, SEED);
  assert.deepEqual(valuesOf(events), [{ input: "hello world" }, { input: "hello world" }]);
  const interrupt = member(events[3], "interrupt");
  assert.equal(interrupt.value, LONG);
  assert.equal(interrupt.node, "step_2");
  assert.equal(interrupt.when, InterruptWhen.INTERRUPT_WHEN_DURING);
  assert.equal(endStatus(events), RunStatus.RUN_STATUS_INTERRUPTED);

  // The thread waits at step_2 with that interrupt.
  const waiting = await getState(t);
  assertWaitingAtStep2(waiting, "hello world");
  assert.equal(waiting.interrupts[0].id, interrupt.id);

  // Update the input (as the last node that ran, step_1): step_2 is still next.
  const { checkpoint } = await ls.threads.updateState(
    UpdateStateRequest.fromPartial({ threadId: t, values: { input: "foo" } }),
  );
  assert.equal(checkpoint?.threadId, t);
  assert.ok(checkpoint?.checkpointId);
  const updated = await getState(t);
  assert.deepEqual(updated.next, ["step_2"]);
  assert.deepEqual(updated.values, { input: "foo" });
  assert.equal(updated.checkpoint?.checkpointId, checkpoint.checkpointId);

  // Resume (no input): step_2 passes with the short input, then step_3.
  const resumed = await stream(t, undefined);
  assert.deepEqual(kinds(resumed), ["metadata", "values", "values", "values", "end"]);
  assert.deepEqual(valuesOf(resumed), Array(3).fill({ input: "foo" }));
  assert.equal(endStatus(resumed), RunStatus.RUN_STATUS_SUCCESS);
  const final = await getState(t);
  assert.deepEqual(final.values, { input: "foo" });
  assert.deepEqual(final.next, []);
  assert.deepEqual(final.tasks, []);
  assert.deepEqual(final.interrupts, []);

  // The history, newest first, with the update's own checkpoint (source UPDATE).
  const states = await history(t);
  assert.deepEqual(rows(states), [
    [[], { input: "foo" }, CheckpointSource.CHECKPOINT_SOURCE_LOOP, 4],
    [["step_3"], { input: "foo" }, CheckpointSource.CHECKPOINT_SOURCE_LOOP, 3],
    [["step_2"], { input: "foo" }, CheckpointSource.CHECKPOINT_SOURCE_UPDATE, 2],
    [["step_2"], { input: "hello world" }, CheckpointSource.CHECKPOINT_SOURCE_LOOP, 1],
    [["step_1"], { input: "hello world" }, CheckpointSource.CHECKPOINT_SOURCE_LOOP, 0],
    [["__start__"], {}, CheckpointSource.CHECKPOINT_SOURCE_INPUT, -1],
  ]);
  assert.equal(states[2].checkpoint?.checkpointId, checkpoint.checkpointId);
  for (let i = 0; i + 1 < states.length; i++) {
    assert.equal(states[i].parentCheckpoint?.checkpointId, states[i + 1].checkpoint?.checkpointId);
  }
  assert.equal(states[states.length - 1].parentCheckpoint, undefined);
});

test("seed: a short input runs to the end; updates mode names each node", async () => {
  const t = tid("short");
  const events = await stream(t, { input: "hello" });
  assert.deepEqual(valuesOf(events), Array(4).fill({ input: "hello" }));
  assert.equal(endStatus(events), RunStatus.RUN_STATUS_SUCCESS);
  assert.deepEqual((await getState(t)).next, []);

  const updates = await stream(tid("updates"), { input: "hello" }, {
    streamModes: [StreamMode.STREAM_MODE_UPDATES],
  });
  assert.deepEqual(kinds(updates), ["metadata", "updates", "updates", "updates", "end"]);
  assert.deepEqual(
    updates.slice(1, 4).map((e) => member(e, "updates").node),
    ["step_1", "step_2", "step_3"],
  );
});

test("errors are gRPC status codes: NOT_FOUND, INVALID_ARGUMENT", async () => {
  await assert.rejects(getState(tid("missing")), { code: grpc.status.NOT_FOUND });
  const t = tid("errors");
  await stream(t, { input: "hello world" });
  const before = await getState(t);
  await assert.rejects(
    ls.threads.updateState(UpdateStateRequest.fromPartial({ threadId: t, asNode: "no_such_node" })),
    { code: grpc.status.INVALID_ARGUMENT },
  );
  // The refused update changed nothing.
  assert.equal((await getState(t)).checkpoint?.checkpointId, before.checkpoint?.checkpointId);
});

// -- a subgraph interrupt ----------------------------------------------------------------

const NESTED = "nested"; // approval is a compiled graph as a node; its ask node interrupts
const QUESTION = { question: "Approve this request?", request: "buy milk" };

async function streamNested(threadId: string, request: Partial<StreamRunRequest>) {
  return stream(threadId, undefined, { graphId: NESTED, ...request });
}

test("subgraph: the run pauses inside approval; resume continues there", async () => {
  const t = tid("nested");
  const events = await streamNested(t, { input: { request: " buy milk " } });
  assert.deepEqual(kinds(events), ["metadata", "values", "values", "interrupt", "end"]);
  assert.deepEqual(valuesOf(events), [{ request: " buy milk " }, { request: "buy milk" }]);
  const interrupt = member(events[3], "interrupt");
  assert.deepEqual(interrupt.value, QUESTION);
  assert.equal(interrupt.node, "approval");
  assert.equal(endStatus(events), RunStatus.RUN_STATUS_INTERRUPTED);

  // The parent waits at its approval task, which holds the subgraph's interrupt.
  const waiting = await getState(t);
  assert.deepEqual(waiting.next, ["approval"]);
  assert.deepEqual(waiting.values, { request: "buy milk" });
  assert.deepEqual(
    waiting.tasks.map((task) => [task.name, task.interrupts.map((i) => i.id)]),
    [["approval", [interrupt.id]]],
  );
  const [task] = waiting.tasks;
  const ns = `approval:${task.id}`;
  assert.equal(task.state, undefined, "a nested state only when asked for subgraphs");
  assert.equal(task.subgraph?.checkpointNs, ns);

  // Asked for subgraphs, the task carries the subgraph's own state: check has run, ask is
  // next and holds the interrupt, in the subgraph's namespace.
  const nested = await ls.threads.getState(
    GetStateRequest.fromPartial({ threadId: t, subgraphs: true }),
  );
  const inner = nested.state?.tasks[0].state;
  assert.ok(inner, "GetState(subgraphs) gives the approval task its subgraph's state");
  assert.deepEqual(inner.next, ["ask"]);
  assert.deepEqual(inner.values, { request: "buy milk", checked: true });
  assert.deepEqual(
    inner.tasks.map((x) => [x.name, x.interrupts.map((i) => [i.id, i.value])]),
    [["ask", [[interrupt.id, QUESTION]]]],
  );
  assert.equal(inner.checkpoint?.checkpointNs, ns);

  // Resume with the answer: inside the subgraph only ask runs (check is not run again),
  // then the parent's approval task ends and act runs.
  const resumed = await streamNested(t, {
    command: Command.fromPartial({ resume: true }),
    subgraphs: true,
    streamModes: [StreamMode.STREAM_MODE_UPDATES, StreamMode.STREAM_MODE_VALUES],
  });
  assert.equal(endStatus(resumed), RunStatus.RUN_STATUS_SUCCESS);
  assert.deepEqual(
    resumed
      .filter((e) => e.event?.$case === "updates")
      .map((e) => [e.namespace, member(e, "updates").node]),
    [
      [[ns], "ask"],
      [[], "approval"],
      [[], "act"],
    ],
  );
  const done = { request: "buy milk", checked: true, approved: true, outcome: "done" };
  const rootValues = resumed.filter((e) => e.event?.$case === "values" && !e.namespace.length);
  assert.deepEqual(valuesOf(rootValues).at(-1), done);
  const final = await getState(t);
  assert.deepEqual([final.values, final.next, final.interrupts], [done, [], []]);
});

test("subgraph: resume by interrupt id with a refusal", async () => {
  const t = tid("nested-id");
  const events = await streamNested(t, { input: { request: "buy milk" } });
  const { id } = member(events[events.length - 2], "interrupt");
  const resumed = await streamNested(t, {
    command: Command.fromPartial({ resumeById: { [id]: false } }),
  });
  assert.equal(endStatus(resumed), RunStatus.RUN_STATUS_SUCCESS);
  assert.deepEqual((await getState(t)).values, {
    request: "buy milk",
    checked: true,
    approved: false,
    outcome: "rejected",
  });
});

// -- a bearer token ----------------------------------------------------------------------

test(
  "a bearer token: calls with it pass, calls without it or with another are UNAUTHENTICATED",
  { skip: TOKEN === undefined && "LOCKSTEP_TOKEN is not set (the server needs no token)" },
  async () => {
    assert.ok(ADDRESS);
    const { graphs } = await ls.graphs.listGraphs(ListGraphsRequest.fromPartial({}));
    assert.ok(graphs.map((g) => g.graphId).includes(SEED));

    // The token's tenant keeps long-term memory through the Store service.
    const namespace = ["ts", RUN];
    await ls.store.putItem(PutItemRequest.fromPartial({ namespace, key: "k", value: { n: 1 } }));
    const { item } = await ls.store.getItem(GetItemRequest.fromPartial({ namespace, key: "k" }));
    assert.deepEqual([item?.namespace, item?.key, item?.value], [namespace, "k", { n: 1 }]);
    assert.ok(item?.createdAt instanceof Date);

    for (const token of [undefined, `not-${TOKEN}`]) {
      const other = connect(ADDRESS, { token });
      try {
        await assert.rejects(other.graphs.listGraphs(ListGraphsRequest.fromPartial({})), (err) => {
          const error = err as grpc.ServiceError;
          assert.equal(error.code, grpc.status.UNAUTHENTICATED);
          assert.match(error.details, token === undefined ? /Bearer <token>/ : /not valid/);
          return true;
        });
        const get = GetItemRequest.fromPartial({ namespace, key: "k" });
        await assert.rejects(other.store.getItem(get), { code: grpc.status.UNAUTHENTICATED });
        // Streams are refused too, before the run starts.
        const request = StreamRunRequest.fromPartial({ graphId: SEED, threadId: tid("anon") });
        await assert.rejects(collect(other.runs.streamRun(request)), {
          code: grpc.status.UNAUTHENTICATED,
        });
      } finally {
        other.close();
      }
    }
  },
);
