// A small Lockstep client in TypeScript over the stubs generated from protos/ into
// src/gen/ (ts-proto, grpc-js services; `make ts-proto` regenerates them).
//
//   import { connect, collect } from "./lockstep.js";
//   import { StreamRunRequest } from "./gen/lockstep/v1/runs_service.js";
//   const ls = connect("127.0.0.1:50051", { token: process.env.LOCKSTEP_TOKEN });
//   const events = await collect(ls.runs.streamRun(StreamRunRequest.fromPartial({
//     graphId: "dynamic_breakpoints", threadId: "t1", input: { input: "hello world" } })));
//   const { state } = await ls.threads.getState(GetStateRequest.fromPartial({ threadId: "t1" }));
//   ls.close();
//
// Messages are the generated interfaces (build requests with `X.fromPartial`); Struct and
// Value fields are plain JSON values; enums are the generated TypeScript enums.

import * as grpc from "@grpc/grpc-js";

import { GraphsClient, GraphsService } from "./gen/lockstep/v1/graphs_service.js";
import { RunsClient, RunsService } from "./gen/lockstep/v1/runs_service.js";
import { StoreClient, StoreService } from "./gen/lockstep/v1/store_service.js";
import { ThreadsClient, ThreadsService } from "./gen/lockstep/v1/threads_service.js";

export const DEFAULT_DEADLINE_MS = 30_000;

/** Per-call settings: how long the call may take (the default is DEFAULT_DEADLINE_MS). */
export interface CallSettings {
  deadlineMs?: number;
}

/** One method of a generated service definition, as a promise (unary) or an async
 * iterable of responses (server stream). lockstep.v1 has no client-streaming RPC. */
type Method<M> = M extends {
  requestStream: false;
  responseStream: infer Streamed;
  requestSerialize: (value: infer Req) => Buffer;
  responseDeserialize: (value: Buffer) => infer Res;
}
  ? Streamed extends true
    ? (request: Req, settings?: CallSettings) => AsyncIterable<Res>
    : (request: Req, settings?: CallSettings) => Promise<Res>
  : never;

/** A generated service definition (GraphsService, ...) as promise-shaped methods. */
export type Service<D> = { [K in keyof D]: Method<D[K]> };

interface MethodShape {
  responseStream: boolean;
}

type UnaryCallback = (error: grpc.ServiceError | null, response: unknown) => void;
type AnyMethod = (...args: unknown[]) => unknown;

function callOptions(settings: CallSettings | undefined, defaultMs: number): grpc.CallOptions {
  return { deadline: new Date(Date.now() + (settings?.deadlineMs ?? defaultMs)) };
}

/** Wraps a grpc-js client of the service `definition`: one method per RPC. */
function promised<D extends Record<string, MethodShape>>(
  client: grpc.Client,
  definition: D,
  deadlineMs: number,
): Service<D> {
  const methods: Record<string, unknown> = {};
  for (const [name, shape] of Object.entries(definition)) {
    const raw = (client as unknown as Record<string, AnyMethod>)[name].bind(client);
    methods[name] = shape.responseStream
      ? (request: unknown, settings?: CallSettings) =>
          raw(request, new grpc.Metadata(), callOptions(settings, deadlineMs)) as AsyncIterable<unknown>
      : (request: unknown, settings?: CallSettings) =>
          new Promise((resolve, reject) => {
            const callback: UnaryCallback = (error, response) =>
              error ? reject(error) : resolve(response);
            raw(request, new grpc.Metadata(), callOptions(settings, deadlineMs), callback);
          });
  }
  return methods as Service<D>;
}

/** Sends `authorization: Bearer <token>` with every call (servers run with --auth-tokens). */
export function bearer(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

export interface ConnectOptions {
  /** A bearer token for a server run with --auth-tokens; none for a loopback server. */
  token?: string;
  /** The default deadline of each call. */
  deadlineMs?: number;
}

export interface Lockstep {
  graphs: Service<typeof GraphsService>;
  threads: Service<typeof ThreadsService>;
  runs: Service<typeof RunsService>;
  store: Service<typeof StoreService>;
  close(): void;
}

/** Connects to a Lockstep server ("host:port", plaintext); the services share one
 * channel. */
export function connect(address: string, options: ConnectOptions = {}): Lockstep {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const credentials = grpc.credentials.createInsecure();
  const interceptors = options.token === undefined ? [] : [bearer(options.token)];
  const graphs = new GraphsClient(address, credentials, { interceptors });
  const shared = { interceptors, channelOverride: graphs.getChannel() };
  const threads = new ThreadsClient(address, credentials, shared);
  const runs = new RunsClient(address, credentials, shared);
  const store = new StoreClient(address, credentials, shared);
  return {
    graphs: promised(graphs, GraphsService, deadlineMs),
    threads: promised(threads, ThreadsService, deadlineMs),
    runs: promised(runs, RunsService, deadlineMs),
    store: promised(store, StoreService, deadlineMs),
    close: () => graphs.close(),
  };
}

/** Every item of a stream, in order (a run's events, say). */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}
