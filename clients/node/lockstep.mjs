// A small Lockstep client for Node.js: the contract is read from ../../protos at run
// time by @grpc/proto-loader (no generated code), and calls are wrapped as promises.
//
//   import { connect, toStruct, fromStruct } from "./lockstep.mjs";
//   const ls = connect("127.0.0.1:50051");
//   const events = await ls.streamRun({ graph_id: "dynamic_breakpoints", thread_id: "t1",
//                                       input: toStruct({ input: "hello world" }) });
//   const { state } = await ls.call("threads", "GetState", { thread_id: "t1" });
//   ls.close();

import path from "node:path";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PROTOS_DIR = path.resolve(HERE, "..", "..", "protos");
export const PROTO_FILES = [
  "lockstep/v1/graphs_service.proto",
  "lockstep/v1/threads_service.proto",
  "lockstep/v1/runs_service.proto",
];

// How messages look in JavaScript: field names as in the .proto (snake_case), int64 as
// Number, enums as their names ("RUN_STATUS_SUCCESS"), unset fields filled with their
// defaults, and a oneof's set member named by the oneof ("event": "values").
// The google.protobuf well-known types (Struct, Value, Timestamp) are built into
// protobufjs, so "google/protobuf/struct.proto" imports resolve without a copy on disk.
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTOS_DIR],
};

let cachedPackage;

/** The lockstep.v1 package: service constructors and message types. */
export function loadContract() {
  if (!cachedPackage) {
    const definition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
    cachedPackage = grpc.loadPackageDefinition(definition).lockstep.v1;
  }
  return cachedPackage;
}

// -- google.protobuf.Struct / Value <-> plain JSON --------------------------------------
// proto-loader sends and receives Struct in its wire shape:
//   {fields: {input: {stringValue: "hello"}}}
// Note the camelCase: keepCase applies to the lockstep.v1 messages (thread_id, as_node),
// but protobufjs's built-in well-known types are declared with camelCase field names
// (stringValue, structValue, ...), and a snake_case string_value would be dropped
// silently (the server would see null). These helpers convert between that shape and
// ordinary JSON values.

export function toValue(json) {
  if (json === null || json === undefined) return { nullValue: "NULL_VALUE" };
  if (typeof json === "string") return { stringValue: json };
  if (typeof json === "number") return { numberValue: json };
  if (typeof json === "boolean") return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(toValue) } };
  if (typeof json === "object") return { structValue: toStruct(json) };
  throw new TypeError(`not JSON: ${typeof json}`);
}

export function toStruct(obj) {
  const fields = {};
  for (const [key, value] of Object.entries(obj)) fields[key] = toValue(value);
  return { fields };
}

export function fromValue(value) {
  if (value === null || value === undefined) return null;
  switch (value.kind) {
    case "stringValue":
      return value.stringValue;
    case "numberValue":
      return value.numberValue;
    case "boolValue":
      return value.boolValue;
    case "listValue":
      return (value.listValue?.values ?? []).map(fromValue);
    case "structValue":
      return fromStruct(value.structValue);
    default:
      return null; // nullValue, or no member of the oneof set
  }
}

/** A Struct message as a plain object; an absent Struct (null) stays null. */
export function fromStruct(struct) {
  if (struct === null || struct === undefined) return null;
  const out = {};
  for (const [key, value] of Object.entries(struct.fields ?? {})) out[key] = fromValue(value);
  return out;
}

// -- the connection ----------------------------------------------------------------------

export const DEFAULT_DEADLINE_MS = 30_000;

function deadline(ms) {
  return new Date(Date.now() + ms);
}

/**
 * Connect to a Lockstep server ("host:port", plaintext). Returns the three raw stubs and
 * two helpers: call(service, method, request) -> Promise<response>, and
 * streamRun(request) -> Promise<RunEvent[]> (every event of the run, in order).
 */
export function connect(address, { deadlineMs = DEFAULT_DEADLINE_MS } = {}) {
  const v1 = loadContract();
  const credentials = grpc.credentials.createInsecure();
  const graphs = new v1.Graphs(address, credentials);
  // The three stubs share one channel.
  const channelOverride = graphs.getChannel();
  const threads = new v1.Threads(address, credentials, { channelOverride });
  const runs = new v1.Runs(address, credentials, { channelOverride });
  const stubs = { graphs, threads, runs };

  function call(service, method, request) {
    const stub = stubs[service];
    if (!stub || typeof stub[method] !== "function") {
      throw new Error(`no such method: ${service}.${method}`);
    }
    return new Promise((resolve, reject) => {
      stub[method](request, { deadline: deadline(deadlineMs) }, (err, response) =>
        err ? reject(err) : resolve(response),
      );
    });
  }

  function streamRun(request) {
    return new Promise((resolve, reject) => {
      const events = [];
      const stream = runs.StreamRun(request, { deadline: deadline(deadlineMs) });
      stream.on("data", (response) => events.push(response.event));
      stream.on("error", reject);
      stream.on("end", () => resolve(events));
    });
  }

  return { ...stubs, call, streamRun, close: () => graphs.close() };
}

/** The name of the member of RunEvent's oneof that is set ("metadata", "values", ...). */
export function eventKind(event) {
  return event.event;
}
