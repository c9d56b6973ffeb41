"""Fuzzing every lockstep.v1 RPC over the wire, against a real server process.

Two kinds of garbage: raw bytes (random, and valid requests mutated) sent as the
request as they are; and valid messages full of garbage (hypothesis): deep, wide
and NaN-filled Structs, unknown and overlong ids, invalid UTF-8, absurd page
sizes, forged page tokens, unknown enum values. Every reply must follow
`fuzzing.check_outcome`; afterwards the server is SERVING and the threads made
before the fuzzing read byte for byte as they did.

`make test` runs a fixed set of cases; `make fuzz` many more, new each time.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from fuzzing import (
    BAD_UTF8_MARK,
    RPC_IDS,
    RPCS,
    Pools,
    Rpc,
    Witnesses,
    call_raw,
    check_outcome,
    deep,
    deep_struct_field,
    finish,
    fuzz_graph_specs,
    fuzz_settings,
    healthy,
    make_struct,
    make_witnesses,
    message_strategy,
)
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st
from server_process import ServerProcess
from wire import TIMEOUT, run_request

from lockstep_api import convert
from lockstep_api.v1 import (
    message_pb2,
    runs_service_pb2,
    threads_service_pb2,
)

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> ServerProcess:
    """A server of its own: the fuzz fills its store with garbage threads."""
    proc = ServerProcess(tmp_path_factory.mktemp("fuzz"), graphs=fuzz_graph_specs(), name="fuzz")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def witnesses(fuzz_server) -> Witnesses:
    found = make_witnesses(fuzz_server, uuid.uuid4().hex[:8])
    found.before = found.snapshot(fuzz_server)
    return found


@pytest.fixture
def pools(fuzz_server, witnesses) -> Pools:
    """Threads the fuzz may change (and delete: new ones each test), beside the
    witnesses it may only read."""
    own = [f"fuzz-own-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    runs = []
    for thread_id, graph, data in zip(
        own,
        ("dynamic_breakpoints", "approval", "counter"),
        ({"input": "hello world"}, {"request": "x"}, {"count": 3}),
        strict=True,
    ):
        events = list(fuzz_server.runs.StreamRun(run_request(thread_id, graph, data), timeout=TIMEOUT))
        runs.append(events[0].event.metadata.run_id)
    return Pools(own, witnesses.thread_ids, witnesses.checkpoint_ids, runs + witnesses.run_ids)


def after_fuzzing(server: ServerProcess, witnesses: Witnesses) -> None:
    healthy(server)
    log = server.log()
    assert "Traceback" not in log and "exception was never retrieved" not in log, log[-5000:]
    now = witnesses.snapshot(server)
    changed = [k for k in witnesses.before if now.get(k) != witnesses.before[k]]
    assert not changed, f"witness threads changed: {changed}"


# ---------------------------------------------------------------------------- raw bytes


def plausible(cls: type[Message], pools: Pools) -> Message:
    """A request with every field set to something sensible: a seed for mutations."""
    msg = cls()
    for fd in cls.DESCRIPTOR.fields:
        mt = fd.message_type
        if mt is not None and mt.GetOptions().map_entry:
            convert.fill_value(getattr(msg, fd.name)["some-interrupt"], "yes")
        elif fd.type == FieldDescriptor.TYPE_MESSAGE:
            if mt.full_name == "google.protobuf.Struct":
                getattr(msg, fd.name).CopyFrom(convert.to_struct({"input": "hello world", "n": [1, 2.5]}))
            elif mt.full_name == "google.protobuf.Value":
                convert.fill_value(getattr(msg, fd.name), {"answer": True})
            else:
                getattr(msg, fd.name).CopyFrom(plausible(message_factory.GetMessageClass(mt), pools))
        elif fd.type == FieldDescriptor.TYPE_STRING:
            text = {
                "thread_id": pools.threads[0],
                "graph_id": "dynamic_breakpoints",
                "checkpoint_id": pools.checkpoints[0],
                "before": pools.checkpoints[0],
                "run_id": pools.runs[0],
            }.get(fd.name, "step_2")
            if fd.is_repeated:
                getattr(msg, fd.name).append(text)
            else:
                setattr(msg, fd.name, text)
        elif fd.type == FieldDescriptor.TYPE_ENUM:
            if fd.is_repeated:
                getattr(msg, fd.name).append(1)
            else:
                setattr(msg, fd.name, 1)
        elif fd.type == FieldDescriptor.TYPE_BOOL:
            setattr(msg, fd.name, True)
        else:
            setattr(msg, fd.name, 10)
    return msg


def _mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, where, extra in ops:
        at = where % (len(buf) + 1)
        if op == "flip" and buf:
            buf[at % len(buf)] ^= 1 << (where % 8)
        elif op == "set" and buf and extra:
            buf[at % len(buf)] = extra[0]
        elif op == "insert":
            buf[at:at] = extra
        elif op == "delete":
            del buf[at : at + 1 + where % 8]
        elif op == "truncate":
            del buf[at:]
        elif op == "varint":  # a length or number of ten bytes: the largest a varint gets
            buf[at:at] = b"\xff" * 9 + b"\x01"
        elif op == "repeat":
            buf += buf[at:]
    return bytes(buf)


mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "set", "insert", "delete", "truncate", "varint", "repeat"]),
        st.integers(0, 2**16),
        st.binary(max_size=12),
    ),
    min_size=1,
    max_size=5,
)


@pytest.mark.parametrize("rpc", RPCS, ids=RPC_IDS)
def test_raw_bytes(rpc: Rpc, fuzz_server, witnesses, pools) -> None:
    """Random bytes, and a valid request's bytes mutated, sent as they are."""
    seeds = [b"", plausible(rpc.request, pools).SerializeToString()]
    raw = st.one_of(
        st.binary(max_size=300),
        st.tuples(st.sampled_from(seeds), mutations).map(lambda s: _mutate(*s)),
    )

    @fuzz_settings(150)
    @given(data=raw)
    def fuzz(data: bytes) -> None:
        check_outcome(rpc, call_raw(fuzz_server.channel, rpc, data), f"with bytes {data[:300]!r}")

    fuzz()
    after_fuzzing(fuzz_server, witnesses)


# ---------------------------------------------------------------------------- structured garbage


@pytest.mark.parametrize("rpc", RPCS, ids=RPC_IDS)
def test_structured_garbage(rpc: Rpc, fuzz_server, witnesses, pools) -> None:
    """Well-formed requests of the RPC's type, full of garbage and real ids."""

    starts_runs = rpc.name in ("StreamRun", "WaitRun", "CreateRun")

    @fuzz_settings(150)
    @given(request=message_strategy(rpc, pools))
    def fuzz(request: Message) -> None:
        new = starts_runs and _thread_is_new(fuzz_server, request.thread_id)
        outcome = call_raw(fuzz_server.channel, rpc, finish(request))
        check_outcome(rpc, outcome, f"with {str(request)[:1500]}")
        if new and outcome.code != grpc.StatusCode.OK:
            assert _thread_is_new(fuzz_server, request.thread_id), "a refused run made its thread"

    fuzz()
    after_fuzzing(fuzz_server, witnesses)


def _thread_is_new(server: ServerProcess, thread_id: str) -> bool:
    if not thread_id or BAD_UTF8_MARK in thread_id or len(thread_id) > 1024:
        return False
    try:
        server.threads.GetThread(T.GetThreadRequest(thread_id=thread_id), timeout=TIMEOUT)
    except grpc.RpcError as err:
        return err.code() == grpc.StatusCode.NOT_FOUND
    return False


# ---------------------------------------------------------------------------- writes that must be refused

R = runs_service_pb2
T = threads_service_pb2


def _poisoned_writes(witness: str, checkpoint: str, has_graph: bool) -> list[tuple[str, bytes]]:
    """Requests that name a witness thread and carry one thing that must get them refused."""
    nan = make_struct({"input": float("nan")})
    out: list[tuple[str, Message | bytes]] = []
    for name, cls in (("StreamRun", R.StreamRunRequest), ("WaitRun", R.WaitRunRequest), ("CreateRun", R.CreateRunRequest)):  # fmt: skip
        base = {"thread_id": witness, "graph_id": ""}
        out += [
            (name, cls(**base, input=nan)),
            (name, finish(cls(**base)) + deep_struct_field(3, 60)),  # input
            (name, cls(**base, input=make_struct(deep(33)))),
            (name, cls(**base, input=convert.to_struct({"input": "x"}), stream_modes=[99])),
            (name, cls(**base, input=convert.to_struct({"input": "x"}), multitask_strategy=77)),
            (name, cls(**base, input=convert.to_struct({"input": "x"}), on_disconnect=-3)),
            (name, cls(**base, input=convert.to_struct({"input": "x"}), interrupt_before=["nope"])),
            (name, cls(**base, input=convert.to_struct({"input": "x"}), checkpoint_id="nope")),
            (name, cls(**base, input=convert.to_struct({}), command=message_pb2.Command(goto=["x"]))),
            (name, cls(thread_id=witness, graph_id=BAD_UTF8_MARK, input=convert.to_struct({}))),
            (name, cls(**base, config=make_struct({"recursion_limit": float("inf")}))),
            (name, cls(**base, input=convert.to_struct({}), config=convert.to_struct({"recursion_limit": "25"}))),
            (name, cls(**base, input=convert.to_struct({}), config=convert.to_struct({"recursion_limit": 0}))),
            (name, cls(**base, input=convert.to_struct({}), config=convert.to_struct({"recursion_limit": 2.5}))),
            (name, cls(**base, metadata=make_struct({"x": float("-inf")}))),
        ]
        if has_graph:  # another graph than the thread's
            out.append((name, cls(thread_id=witness, graph_id="map_reduce", input=convert.to_struct({"input": "x"}))))
    out += [
        ("UpdateState", T.UpdateStateRequest(thread_id=witness, values=nan)),
        ("UpdateState", T.UpdateStateRequest(thread_id=witness, values=convert.to_struct({"a": 1}), as_node="nope")),
        ("UpdateState", T.UpdateStateRequest(thread_id=witness, values=convert.to_struct({"a": 1}), checkpoint_id="nope")),
        ("UpdateState", finish(T.UpdateStateRequest(thread_id=witness)) + deep_struct_field(2, 50)),
        ("UpdateState", T.UpdateStateRequest(thread_id=witness, values=make_struct(deep(33)))),
        ("UpdateState", T.UpdateStateRequest(thread_id=witness, checkpoint_id=checkpoint + "0")),
        ("CreateThread", T.CreateThreadRequest(thread_id=witness)),
        ("CreateThread", T.CreateThreadRequest(thread_id=witness, if_exists=55)),
        ("CreateThread", T.CreateThreadRequest(thread_id=witness, if_exists=2, graph_id="nope")),
        ("DeleteThread", T.DeleteThreadRequest(thread_id=witness + BAD_UTF8_MARK)),
    ]  # fmt: skip
    if has_graph:
        out.append(("UpdateState", T.UpdateStateRequest(thread_id=witness, values=convert.to_struct({"a": 1}), graph_id="map_reduce")))
    return [(name, r if isinstance(r, bytes) else finish(r)) for name, r in out]


def test_refused_writes_leave_witnesses_alone(fuzz_server, witnesses) -> None:
    by_name = {r.name: r for r in RPCS}
    for witness in witnesses.thread_ids:
        has_graph = witness != witnesses.thread_ids[3]  # made by CreateThread alone
        for name, request in _poisoned_writes(witness, witnesses.checkpoint_ids[0], has_graph):
            rpc = by_name[name]
            outcome = call_raw(fuzz_server.channel, rpc, request)
            check_outcome(rpc, outcome, f"{request[:500]!r}")
            if name == "CreateThread" and rpc.request.FromString(request).if_exists == 2:
                continue  # IF_EXISTS_DO_NOTHING: returns the thread as it is
            assert outcome.code != grpc.StatusCode.OK, f"{name} accepted {request[:500]!r}"
    after_fuzzing(fuzz_server, witnesses)


# ---------------------------------------------------------------------------- the big ones

TEN_MB = "x" * (10 * 1024 * 1024)


@pytest.mark.parametrize("rpc", RPCS, ids=RPC_IDS)
def test_ten_megabyte_strings(rpc: Rpc, fuzz_server, witnesses) -> None:
    """A 10 MB string in each string field of the request: refused, and short about it."""
    fields = [fd for fd in rpc.request.DESCRIPTOR.fields if fd.type == FieldDescriptor.TYPE_STRING]
    for fd in fields:
        request = rpc.request()
        if fd.is_repeated:
            getattr(request, fd.name).append(TEN_MB)
        else:
            setattr(request, fd.name, TEN_MB)
        outcome = call_raw(fuzz_server.channel, rpc, request.SerializeToString())
        check_outcome(rpc, outcome, f"with a 10 MB {fd.name}")
        assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT, (fd.name, outcome)
        assert len(outcome.details) < 3000, f"{fd.name}: a {len(outcome.details)}-character message"
    healthy(fuzz_server)


def test_ten_megabyte_values_and_empty_strings(fuzz_server, witnesses) -> None:
    """10 MB inside the state is over the default state limit; empty ids ask for a new thread."""
    by_name = {r.name: r for r in RPCS}
    big = convert.to_struct({"input": TEN_MB})
    cases = [
        ("StreamRun", R.StreamRunRequest(graph_id="dynamic_breakpoints", input=big)),
        ("WaitRun", R.WaitRunRequest(graph_id="approval", input=convert.to_struct({"request": "y" * 5_000_000}))),
        ("StreamRun", R.StreamRunRequest(graph_id="counter", input=convert.to_struct({f"k{i}": i for i in range(500_000)}))),
        ("CreateThread", T.CreateThreadRequest(metadata=big)),
        ("ListThreads", T.ListThreadsRequest(metadata=big)),
        ("GetStateHistory", T.GetStateHistoryRequest(thread_id=witnesses.thread_ids[0], filter=big)),
        ("StreamRun", R.StreamRunRequest(thread_id="", graph_id="", input=convert.to_struct({}))),
        ("GetThread", T.GetThreadRequest(thread_id="")),
        ("UpdateState", T.UpdateStateRequest(thread_id="")),
        ("JoinRun", R.JoinRunRequest(run_id="")),
        ("CancelRun", R.CancelRunRequest(run_id="")),
        ("GetGraph", by_name["GetGraph"].request(graph_id="")),
    ]  # fmt: skip
    for name, request in cases:
        outcome = call_raw(fuzz_server.channel, by_name[name], request.SerializeToString())
        check_outcome(by_name[name], outcome, str(request)[:200])
        if name in ("StreamRun", "WaitRun") and request.graph_id:
            assert outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED, outcome
            assert "max-state-bytes" in outcome.details, outcome.details
    after_fuzzing(fuzz_server, witnesses)


# ---------------------------------------------------------------------------- nothing is a path


def test_ids_are_never_paths(fuzz_server, tmp_path) -> None:
    """Ids are keys in the store, never file names: ids shaped like paths make no files,
    in the server's directory or where they point."""
    target = tmp_path / "planted"
    names = [str(target), f"../../../../../../..{target}", "../escape", "./x/../../y", "C:\\x", "\\\\host\\share"]
    workdir = fuzz_server.workdir
    before = sorted(p.name for p in workdir.iterdir())
    for name in names:
        fuzz_server.runs.WaitRun(
            R.WaitRunRequest(thread_id=name, graph_id="counter", input=convert.to_struct({"count": 1})),
            timeout=TIMEOUT,
        )
        fuzz_server.threads.CreateThread(T.CreateThreadRequest(thread_id=name + "/t"), timeout=TIMEOUT)
        fuzz_server.threads.GetState(T.GetStateRequest(thread_id=name), timeout=TIMEOUT)
    assert sorted(p.name for p in workdir.iterdir()) == before
    assert not target.exists() and not (workdir.parent / "escape").exists()


class _Planted:
    """Unpickling this creates the file `path` (what a forged pickled token would do)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_page_tokens_are_never_unpickled(fuzz_server, witnesses, tmp_path) -> None:
    """A page token is base64 text the server parses; a pickle in one is just a bad token."""
    import base64
    import pickle

    target = tmp_path / "unpickled"
    forged = base64.urlsafe_b64encode(pickle.dumps(_Planted(str(target)))).decode()
    for token in (forged, base64.urlsafe_b64encode(b"o:" + pickle.dumps(1)).decode()):
        for call, req in (
            (fuzz_server.threads.ListThreads, T.ListThreadsRequest(page_token=token)),
            (fuzz_server.runs.ListRuns, R.ListRunsRequest(page_token=token)),
            (fuzz_server.threads.GetStateHistory, T.GetStateHistoryRequest(thread_id=witnesses.thread_ids[0], page_token=token)),
        ):  # fmt: skip
            with pytest.raises(grpc.RpcError) as err:
                call(req, timeout=TIMEOUT)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
            assert "page_token" in err.value.details()
    assert not target.exists()


# ---------------------------------------------------------------------------- all at once


def test_concurrent_garbage(fuzz_server, witnesses, pools) -> None:
    """Batches of garbage for any RPC, sent eight at a time: runs, edits, cancels and
    deletes of the same threads race each other, and every reply still follows the rules."""
    from concurrent.futures import ThreadPoolExecutor

    any_request = st.sampled_from(RPCS).flatmap(
        lambda rpc: message_strategy(rpc, pools).map(lambda msg: (rpc, msg))
    )

    def send(item: tuple[Rpc, Message]) -> None:
        rpc, msg = item
        check_outcome(rpc, call_raw(fuzz_server.channel, rpc, finish(msg)), str(msg)[:1500])

    with ThreadPoolExecutor(8) as pool:

        @fuzz_settings(25)
        @given(batch=st.lists(any_request, min_size=20, max_size=40))
        def fuzz(batch: list[tuple[Rpc, Message]]) -> None:
            for future in [pool.submit(send, item) for item in batch]:
                future.result()

        fuzz()
    after_fuzzing(fuzz_server, witnesses)


def test_deletes_racing_runs_of_other_graphs(fuzz_server, witnesses) -> None:
    """Found by the concurrent fuzz: a run that started while DeleteThread was deleting
    checkpoints kept writing into the id, whose record then went; a run of another graph
    on that id met the first graph's checkpoints (KeyError, INTERNAL). Now a delete holds
    the thread as an edit does."""
    import random
    import threading
    import time

    by_name = {r.name: r for r in RPCS}
    ids = [f"race-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    stop = time.monotonic() + 3
    failures: list[str] = []

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        while time.monotonic() < stop and not failures:
            thread_id = rnd.choice(ids)
            choice = rnd.randrange(3)
            if choice == 0:
                rpc, req = by_name["DeleteThread"], T.DeleteThreadRequest(thread_id=thread_id)
            else:
                graph, data = (("dynamic_breakpoints", {"input": "hello world"}), ("flaky", {"input": "x"}))[choice - 1]
                rpc, req = by_name["StreamRun"], run_request(thread_id, graph, data)
            try:
                check_outcome(rpc, call_raw(fuzz_server.channel, rpc, req.SerializeToString()), str(req))
            except AssertionError as err:
                failures.append(str(err))

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not failures, failures[0]
    after_fuzzing(fuzz_server, witnesses)
