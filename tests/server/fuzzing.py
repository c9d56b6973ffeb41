"""What the wire fuzz tests share: every lockstep.v1 RPC, raw calls, the reply rules,
request strategies (hypothesis) and the witness threads whose bytes must not change.

A reply is acceptable when it is OK with responses that parse (a run's stream
ending with `end`), or a status a caller can act on: never INTERNAL or UNKNOWN,
never without a message. A run may still fail in a node on strange input (that
is the graph's code, named in the error event); an error event that names no
node is the server's verdict on the request and must not be INTERNAL or UNKNOWN.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct, Value
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from server_process import EXAMPLES_DIR, ROOT, ServerProcess
from wire import TIMEOUT

from lockstep_api import convert
from lockstep_api.v1 import (
    graphs_service_pb2,
    message_pb2,
    runs_service_pb2,
    store_service_pb2,
    threads_service_pb2,
)

#: Examples per RPC and per test in `make test`; `make fuzz` raises it (and seeds at random).
EXAMPLES = int(os.environ.get("LOCKSTEP_WIRE_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(default: int) -> settings:
    """Hypothesis settings for a test that makes calls: no deadline, fixed seed in `make test`."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        derandomize=EXAMPLES is None,  # the same cases every `make test`; new ones in `make fuzz`
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# ---------------------------------------------------------------------------- the RPCs


@dataclass(frozen=True)
class Rpc:
    path: str  # /lockstep.v1.Threads/GetState
    name: str  # GetState
    request: type[Message]
    response: type[Message]
    streaming: bool

    @property
    def mutates(self) -> bool:
        return self.name in WRITES


WRITES = {
    "CreateThread",
    "DeleteThread",
    "UpdateState",
    "StreamRun",
    "WaitRun",
    "CreateRun",
    "CancelRun",
    "PutItem",
    "DeleteItem",
}


def _rpcs() -> list[Rpc]:
    out = []
    for module, service in (
        (graphs_service_pb2, "Graphs"),
        (threads_service_pb2, "Threads"),
        (runs_service_pb2, "Runs"),
        (store_service_pb2, "Store"),
    ):
        desc = module.DESCRIPTOR.services_by_name[service]
        for method in desc.methods:
            out.append(
                Rpc(
                    f"/{desc.full_name}/{method.name}",
                    method.name,
                    message_factory.GetMessageClass(method.input_type),
                    message_factory.GetMessageClass(method.output_type),
                    method.server_streaming,
                )
            )
    return out


RPCS = _rpcs()
RPC_IDS = [r.name for r in RPCS]


@dataclass
class Outcome:
    code: grpc.StatusCode
    details: str
    responses: list[bytes] = field(default_factory=list)


def _identity(data: bytes) -> bytes:
    return data


def call_raw(channel: grpc.Channel, rpc: Rpc, data: bytes, timeout: float = TIMEOUT) -> Outcome:
    """Send `data` as the request, bytes as they are; the status and the raw responses."""
    if rpc.streaming:
        method = channel.unary_stream(rpc.path, request_serializer=_identity, response_deserializer=_identity)
    else:
        method = channel.unary_unary(rpc.path, request_serializer=_identity, response_deserializer=_identity)
    responses: list[bytes] = []
    try:
        if rpc.streaming:
            for item in method(data, timeout=timeout):
                responses.append(item)
        else:
            responses.append(method(data, timeout=timeout))
    except grpc.RpcError as err:
        return Outcome(err.code(), err.details() or "", responses)
    return Outcome(grpc.StatusCode.OK, "", responses)


#: What a caller may be told about a request it got wrong (or that asked for too much).
ACCEPTABLE = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.OUT_OF_RANGE,
}


def check_outcome(rpc: Rpc, outcome: Outcome, what: str = "") -> list[Message]:
    """Assert the reply follows the rules; the parsed responses."""
    where = f"{rpc.name} {what}".strip()
    assert outcome.code in ACCEPTABLE, f"{where}: {outcome.code.name} {outcome.details[:500]!r}"
    if outcome.code != grpc.StatusCode.OK:
        assert outcome.details.strip(), f"{where}: {outcome.code.name} without a message"
        if not rpc.streaming:
            return []
    parsed = [rpc.response.FromString(r) for r in outcome.responses]
    if rpc.streaming and outcome.code == grpc.StatusCode.OK:
        events = [p.event for p in parsed]
        assert events, f"{where}: a stream with no events"
        assert events[-1].HasField("end"), f"{where}: the stream did not end with `end`"
    for response in parsed:
        for error in _errors(response):
            if not error.node:
                assert error.code not in (2, 13), f"{where}: run error {error}"
    return parsed


def _errors(response: Message) -> list[message_pb2.RunError]:
    if hasattr(response, "event") and response.event.HasField("error"):
        return [response.event.error]
    if isinstance(response, runs_service_pb2.WaitRunResponse) and response.HasField("error"):
        return [response.error]
    return []


def healthy(server: ServerProcess) -> None:
    """The process runs and answers SERVING."""
    assert server.proc.poll() is None, f"the server exited:\n{server.log()[-5000:]}"
    reply = health_pb2_grpc.HealthStub(server.channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=10
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


# ---------------------------------------------------------------------------- the fuzz server

FUZZ_GRAPHS = ("dynamic_breakpoints", "approval", "breakpoints", "map_reduce")
FUZZ_TEST_GRAPHS = ("counter", "flaky")  # not `slow`: a run of it takes seconds


def fuzz_graph_specs() -> tuple[str, ...]:
    here = ROOT / "tests" / "server" / "graphs"
    return tuple(f"{g}={EXAMPLES_DIR / g}.py:graph" for g in FUZZ_GRAPHS) + tuple(
        f"{g}={here / g}.py:graph" for g in FUZZ_TEST_GRAPHS
    )


GRAPH_IDS = FUZZ_GRAPHS + FUZZ_TEST_GRAPHS
NODES = ("step_1", "step_2", "step_3", "draft", "review", "act", "write", "publish", "square",
         "add_up", "inc", "double", "prepare", "check", "finish", "__start__", "__end__", "*")  # fmt: skip


# ---------------------------------------------------------------------------- witnesses


@dataclass
class Witnesses:
    """Threads made before the fuzzing; their bytes (thread, state, runs, whole history) must not change."""

    thread_ids: list[str]
    checkpoint_ids: list[str]
    run_ids: list[str]

    def snapshot(self, server: ServerProcess) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        t = threads_service_pb2
        for thread_id in self.thread_ids:
            thread = server.threads.GetThread(t.GetThreadRequest(thread_id=thread_id), timeout=TIMEOUT)
            out[f"{thread_id} thread"] = thread.SerializeToString(deterministic=True)
            state = server.threads.GetState(t.GetStateRequest(thread_id=thread_id), timeout=TIMEOUT)
            out[f"{thread_id} state"] = state.SerializeToString(deterministic=True)
            runs = server.runs.ListRuns(
                runs_service_pb2.ListRunsRequest(thread_id=thread_id, page_size=100), timeout=TIMEOUT
            )
            out[f"{thread_id} runs"] = runs.SerializeToString(deterministic=True)
            token = ""
            page = 0
            while True:
                reply = server.threads.GetStateHistory(
                    t.GetStateHistoryRequest(thread_id=thread_id, page_size=3, page_token=token),
                    timeout=TIMEOUT,
                )
                out[f"{thread_id} history {page}"] = reply.SerializeToString(deterministic=True)
                token = reply.next_page_token
                page += 1
                if not token:
                    break
        return out


def make_witnesses(server: ServerProcess, label: str) -> Witnesses:
    """An interrupted seed thread, an approval waiting on interrupt(), a finished counter
    thread with an edit, a thread with only metadata, a failed flaky thread."""
    from wire import run_request, update_state

    t = threads_service_pb2
    ids = [f"witness-{label}-{n}" for n in range(5)]
    run_ids = []

    def run(thread_id: str, graph: str, data: dict) -> None:
        events = [
            e.event
            for e in server.runs.StreamRun(run_request(thread_id, graph, data), timeout=TIMEOUT)
        ]
        run_ids.append(events[0].metadata.run_id)

    run(ids[0], "dynamic_breakpoints", {"input": "hello world"})
    run(ids[1], "approval", {"request": "deploy"})
    run(ids[2], "counter", {"count": 1})
    update_state(server, ids[2], {"count": 7})
    run(ids[2], "counter", {"count": 2})
    server.threads.CreateThread(
        t.CreateThreadRequest(thread_id=ids[3], metadata=convert.to_struct({"owner": "w", "n": 1})),
        timeout=TIMEOUT,
    )
    run(ids[4], "flaky", {"input": "bad"})
    checkpoints = []
    for thread_id in ids:
        reply = server.threads.GetStateHistory(
            t.GetStateHistoryRequest(thread_id=thread_id, page_size=100), timeout=TIMEOUT
        )
        checkpoints += [s.checkpoint.checkpoint_id for s in reply.states]
    return Witnesses(ids, checkpoints, run_ids)


# ---------------------------------------------------------------------------- raw values


def fill_value(msg: Value, obj: Any) -> None:
    """Like convert.fill_value, but lets NaN and the infinities through (they are the point)."""
    if isinstance(obj, float):
        msg.number_value = obj
    elif isinstance(obj, dict):
        msg.struct_value.SetInParent()
        for k, v in obj.items():
            fill_value(msg.struct_value.fields[k], v)
    elif isinstance(obj, list):
        msg.list_value.SetInParent()
        for v in obj:
            fill_value(msg.list_value.values.add(), v)
    else:
        convert.fill_value(msg, obj)


def make_struct(obj: dict) -> Struct:
    msg = Struct()
    for k, v in obj.items():
        fill_value(msg.fields[k], v)
    return msg


def deep(levels: int) -> dict:
    """A JSON object nested `levels` deep ({"a": {"a": ... {"leaf": 1}}})."""
    obj: dict = {"leaf": 1}
    for _ in range(levels - 1):
        obj = {"a": obj}
    return obj


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def deep_struct_field(number: int, levels: int) -> bytes:
    """Field `number` holding a Struct nested `levels` deep, as bytes: protobuf will not
    build one deeper than it parses, so this is the only way to send it."""
    struct = b""
    for _ in range(levels):
        value = _length_delimited(5, struct)  # Value.struct_value
        entry = _length_delimited(1, b"a") + _length_delimited(2, value)
        struct = _length_delimited(1, entry)  # Struct.fields
    return _length_delimited(number, struct)


# ---------------------------------------------------------------------------- strategies

#: A marker put in a string field; `finish` swaps it, byte for byte, for invalid UTF-8.
BAD_UTF8_MARK = "<bad-utf8!>"
BAD_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x90"
assert len(BAD_UTF8) == len(BAD_UTF8_MARK.encode())


def finish(request: Message) -> bytes:
    """The request's bytes, with invalid UTF-8 wherever the marker was."""
    return request.SerializeToString().replace(BAD_UTF8_MARK.encode(), BAD_UTF8)


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**60), 2**60).map(float),
    st.sampled_from([0.0, -0.0, 1.0, 2.0**53, 1e308, -1e308, 5e-324]),
)
keys = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["input", "count", "seen", "request", "items", "draft", "recursion_limit", "configurable"]),
)


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4))


json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=30), _containers, max_leaves=25
)
json_objects = st.one_of(
    st.dictionaries(keys, json_values, max_size=6),
    st.integers(1, 40).map(deep),
    st.integers(0, 3000).map(lambda n: {f"k{i}": i for i in range(n)}),  # wide
    st.integers(0, 200_000).map(lambda n: {"input": "x" * n}),  # long strings
    st.just({"input": "hello world"}),
    st.just({"count": 1}),
    st.just({"request": "deploy"}),
    st.just({"items": [1, 2, 3]}),
)

text_ids = st.one_of(
    st.text(max_size=20),
    st.just(""),
    st.just("x" * 1025),
    st.just(BAD_UTF8_MARK),
    st.sampled_from(["../../etc/passwd", "/etc/passwd", "a\x00b", "%s%n", "' OR 1=1 --", "*"]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=5),
)
page_sizes = st.one_of(
    st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 1, 2, -1, 2**31 - 1, -(2**31)])
)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


page_tokens = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.sampled_from(["o:1", "c:", "o:-1", "o:99999999999999999999", "x:1", "o:1e3", "o:", "c:zz"]).map(_b64),
    st.text(max_size=20).map(lambda s: _b64("c:" + s)),
    st.text(max_size=20).map(lambda s: _b64("o:" + s)),
    st.just(BAD_UTF8_MARK),
    st.just("==="),
)
enums = st.one_of(st.integers(0, 8), st.sampled_from([-1, 99, 2**31 - 1, -(2**31)]))


@dataclass
class Pools:
    """Ids the fuzz draws from: real ones, strangers and garbage."""

    threads: list[str]  # threads the fuzz may write to
    read_only_threads: list[str]  # witnesses: named only by calls that cannot change them
    checkpoints: list[str]
    runs: list[str]

    def plain_string(self, rpc: Rpc, name: str) -> st.SearchStrategy[str]:
        """What a well-meaning caller puts in the string field `name`."""
        if name == "thread_id":
            mine = list(self.threads) + ([] if rpc.mutates else list(self.read_only_threads))
            known = st.sampled_from(mine)
            return st.one_of(known, known, known, st.uuids().map(str), st.just(""))
        if name == "graph_id":
            return st.sampled_from(GRAPH_IDS)
        if name in ("checkpoint_id", "before"):
            return st.sampled_from(self.checkpoints)
        if name == "run_id":
            return st.sampled_from(self.runs)
        if name in ("as_node", "interrupt_before", "interrupt_after", "goto"):
            return st.sampled_from(NODES)
        if name == "page_token":
            return st.just("")
        return st.text(max_size=10)

    def garbage_string(self, rpc: Rpc, name: str) -> st.SearchStrategy[str]:
        if name == "page_token":
            return page_tokens
        return text_ids


plain_inputs = st.fixed_dictionaries(
    {},
    optional={
        "input": st.text(max_size=20),
        "count": st.integers(-5, 50),
        "seen": st.lists(st.integers(0, 9), max_size=3),
        "request": st.text(max_size=10),
        "items": st.lists(st.integers(-9, 9), max_size=4),
        "draft": st.text(max_size=10),
        "approved": st.booleans(),
    },
)
#: Fields a caller sets nearly always (others: now and then).
CORE_FIELDS = {"thread_id", "graph_id", "run_id", "input", "values"}
plain_configs = st.fixed_dictionaries({}, optional={"recursion_limit": st.integers(1, 30)})


def message_strategy(rpc: Rpc, pools: Pools, cls: type[Message] | None = None) -> st.SearchStrategy:
    """A request of `cls` (default: the RPC's): most fields set as a caller would or left
    out, up to three of them garbage."""
    cls = cls or rpc.request
    fields = list(cls.DESCRIPTOR.fields)
    plain = {fd.name: _field_strategy(rpc, pools, fd, garbage=False) for fd in fields}
    bad = {fd.name: _field_strategy(rpc, pools, fd, garbage=True) for fd in fields}

    @st.composite
    def build(draw: Callable) -> Message:
        msg = cls()
        spoiled = draw(st.sets(st.sampled_from([fd.name for fd in fields]), max_size=3)) if fields else set()
        for fd in fields:
            if fd.name in spoiled:
                value = draw(bad[fd.name])
            elif fd.name in CORE_FIELDS or draw(st.integers(0, 3)) == 1:  # (not 0 or 3: boundaries come often)
                value = draw(plain[fd.name])
            else:
                continue
            if value is not None:
                _set(msg, fd, value)
        return msg

    return build()


def _field_strategy(rpc: Rpc, pools: Pools, fd: FieldDescriptor, garbage: bool) -> st.SearchStrategy:
    mt = fd.message_type
    if mt is not None and mt.GetOptions().map_entry:  # resume_by_id: interrupt id -> Value
        ids = st.one_of(text_ids, st.text(max_size=40)) if garbage else st.text(max_size=12)
        return st.dictionaries(ids, json_values if garbage else plain_inputs, max_size=3)
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        name = mt.full_name
        if name == "google.protobuf.Struct":
            if garbage:
                one = json_objects.map(make_struct)
            elif fd.name == "config":
                one = plain_configs.map(make_struct)
            else:
                one = plain_inputs.map(make_struct)
        elif name == "google.protobuf.Value":
            one = (json_values if garbage else st.one_of(st.text(max_size=10), st.booleans(), plain_inputs)).map(_to_value)
        else:
            one = message_strategy(rpc, pools, message_factory.GetMessageClass(mt))
    elif fd.type == FieldDescriptor.TYPE_STRING:
        one = pools.garbage_string(rpc, fd.name) if garbage else pools.plain_string(rpc, fd.name)
    elif fd.type == FieldDescriptor.TYPE_ENUM:
        valid = [v.number for v in fd.enum_type.values if v.number or not fd.is_repeated]
        one = enums if garbage else st.sampled_from(valid)
    elif fd.type == FieldDescriptor.TYPE_BOOL:
        one = st.booleans()
    elif fd.type in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64):
        one = page_sizes if garbage else st.integers(0, 60)
    else:
        raise AssertionError(f"no strategy for {fd.full_name}")
    return st.lists(one, max_size=4 if garbage else 2) if fd.is_repeated else one


def _to_value(obj: Any) -> Value:
    msg = Value()
    fill_value(msg, obj)
    return msg


def _set(msg: Message, fd: FieldDescriptor, value: Any) -> None:
    mt = fd.message_type
    if mt is not None and mt.GetOptions().map_entry:
        for k, v in value.items():
            fill_value(getattr(msg, fd.name)[k], v)
    elif fd.is_repeated:
        getattr(msg, fd.name).extend(value)
    elif fd.type == FieldDescriptor.TYPE_MESSAGE:
        getattr(msg, fd.name).CopyFrom(value)
    else:
        setattr(msg, fd.name, value)
