"""Bearer tokens: every RPC but health needs one; bad token files and open binds are
refused at start-up; the SDK and the CLI send the token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from callers import TOKENS, Caller
from cli_helpers import cli_env, run_cli
from google.protobuf import message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from server_process import ServerProcess
from wire import refusal

from lockstep_api.v1 import (
    graphs_service_pb2,
    runs_service_pb2,
    store_service_pb2,
    threads_service_pb2,
)
from lockstep_client import Client, UnauthenticatedError

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
GRPCURL = Path(sys.executable).parent / "grpcurl"
SERVICES = (
    graphs_service_pb2.DESCRIPTOR.services_by_name["Graphs"],
    threads_service_pb2.DESCRIPTOR.services_by_name["Threads"],
    runs_service_pb2.DESCRIPTOR.services_by_name["Runs"],
    store_service_pb2.DESCRIPTOR.services_by_name["Store"],
)
# (name, the authorization header sent or None) -> the ErrorInfo reason expected
BAD_CALLERS = {
    "no header": (None, "TOKEN_MISSING"),
    "unknown token": ("Bearer not-a-token", "TOKEN_INVALID"),
    "another's token with a typo": (f"Bearer {TOKENS['alice']}x", "TOKEN_INVALID"),
    "not a bearer": (f"Basic {TOKENS['alice']}", "TOKEN_MISSING"),
    "empty bearer": ("Bearer ", "TOKEN_MISSING"),
}


def every_method():
    """(service, method, stub attribute, an empty request) for each lockstep.v1 RPC."""
    for service in SERVICES:
        for method in service.methods:
            request = message_factory.GetMessageClass(method.input_type)()
            yield service.name, method.name, request


@pytest.mark.parametrize("who", list(BAD_CALLERS))
def test_every_rpc_without_a_valid_token_is_unauthenticated(auth_server, who):
    header, reason = BAD_CALLERS[who]
    caller = Caller(auth_server.channel, header)
    stubs = {
        "Graphs": caller.graphs,
        "Threads": caller.threads,
        "Runs": caller.runs,
        "Store": caller.store,
    }
    checked = 0
    for service, method, request in every_method():
        refused = refusal(getattr(stubs[service], method), request)
        assert refused.code == grpc.StatusCode.UNAUTHENTICATED, (service, method, refused)
        assert refused.reason == reason, (service, method, refused)
        assert "Bearer <token>" in refused.message or "not valid" in refused.message
        checked += 1
    assert checked == sum(len(service.methods) for service in SERVICES)
    # Reflection too: a stranger cannot even list the services.
    ask = reflection_pb2.ServerReflectionRequest(list_services="")
    refused = refusal(caller.reflection.ServerReflectionInfo, iter([ask]))
    assert refused.code == grpc.StatusCode.UNAUTHENTICATED


def test_the_refusal_says_what_to_send(auth_server):
    refused = refusal(Caller(auth_server.channel, None).graphs.ListGraphs, graphs_service_pb2.ListGraphsRequest())
    assert refused.message == (
        "this server requires authentication: send the metadata 'authorization: Bearer <token>'"
    )


def test_health_needs_no_token(auth_server):
    health = health_pb2_grpc.HealthStub(auth_server.channel)
    for service in ("", "lockstep.v1.Runs", "lockstep.v1.Threads", "lockstep.v1.Store"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_token_opens_every_service_and_reflection(auth_server, alice, bob):
    assert alice.list_services() == [
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "lockstep.v1.Graphs",
        "lockstep.v1.Runs",
        "lockstep.v1.Store",
        "lockstep.v1.Threads",
    ]
    for caller in (alice, bob):
        graphs = caller.graphs.ListGraphs(graphs_service_pb2.ListGraphsRequest(), timeout=10)
        assert "dynamic_breakpoints" in [g.graph_id for g in graphs.graphs]


def test_grpcurl_with_the_bearer_header(auth_server):
    header = ["-H", f"authorization: Bearer {TOKENS['alice']}"]
    base = [str(GRPCURL), "-plaintext"]

    def grpcurl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*base, *args], capture_output=True, text=True, timeout=60)

    listed = grpcurl(*header, auth_server.address, "list")
    assert listed.returncode == 0, listed.stderr
    assert "lockstep.v1.Threads" in listed.stdout.split()
    described = grpcurl(*header, auth_server.address, "describe", "lockstep.v1.Runs")
    assert described.returncode == 0 and "rpc StreamRun" in described.stdout
    called = grpcurl(*header, auth_server.address, "lockstep.v1.Graphs/ListGraphs")
    assert called.returncode == 0, called.stderr
    assert "dynamic_breakpoints" in [g["graph_id"] for g in json.loads(called.stdout)["graphs"]]
    refused = grpcurl(auth_server.address, "list")
    assert refused.returncode != 0 and "Unauthenticated" in refused.stderr


def test_the_start_up_line_says_how_callers_are_checked(auth_server):
    first = auth_server.log().splitlines()[0]
    assert first.endswith("bearer tokens for 2 tenants; plaintext"), first


# -- the SDK and the CLI send the token -------------------------------------------------


def test_the_sdk_sends_its_token(auth_server):
    with Client(auth_server.address, token=TOKENS["bob"], timeout=10) as client:
        assert "approval" in [g.graph_id for g in client.graphs.list()]
    with Client(auth_server.address, timeout=10) as client:
        with pytest.raises(UnauthenticatedError, match="Bearer <token>"):
            client.graphs.list()
    with Client(auth_server.address, token="wrong", timeout=10) as client:
        with pytest.raises(UnauthenticatedError, match="not valid"):
            client.threads.get("anything")


def test_the_cli_sends_its_token_from_a_flag_or_the_environment(auth_server):
    env = cli_env(auth_server.address)
    done = run_cli("graphs", "--token", TOKENS["alice"], env=env)
    assert done.code == 0 and "dynamic_breakpoints" in done.out, done.err
    done = run_cli("graphs", env={**env, "LOCKSTEP_TOKEN": TOKENS["bob"]})
    assert done.code == 0 and "dynamic_breakpoints" in done.out, done.err
    done = run_cli("graphs", env=env)
    assert done.code == grpc.StatusCode.UNAUTHENTICATED.value[0], done
    assert "UNAUTHENTICATED" in done.err and "Bearer <token>" in done.err


# -- start-up ---------------------------------------------------------------------------


def serve(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    """`lockstep serve ARGS` that must exit by itself (a start-up error)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    return subprocess.run(
        [sys.executable, "-m", "lockstep", "serve", "--store", "memory://", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
    )


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("good-token alice\nbad line with words\n", ":2: expected 'TOKEN TENANT', found 4 word(s)"),
        ("# only a comment\nlonely-token\n", ":2: expected 'TOKEN TENANT', found 1 word(s)"),
        ("t1 alice\n\nt1 bob\n", ":3: this token is already given on an earlier line"),
        ("# nothing but comments\n\n", "has no 'TOKEN TENANT' line"),
    ],
)
def test_a_bad_tokens_file_stops_the_server_naming_the_line(tmp_path, text, complaint):
    path = tmp_path / "tokens"
    path.write_text(text)
    done = serve("--auth-tokens", str(path))
    assert done.returncode == 2, done
    assert f"{path}{complaint}" in done.stderr or complaint in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_tokens_file_stops_the_server(tmp_path):
    done = serve("--auth-tokens", str(tmp_path / "nope"))
    assert done.returncode == 2 and "--auth-tokens: cannot read" in done.stderr, done


def test_a_token_from_the_environment_is_the_default_tenants(spawn_server, tid):
    server = spawn_server(env={"LOCKSTEP_AUTH_TOKEN": "env-secret"}, store="memory://")
    assert server.log().splitlines()[0].endswith("bearer tokens for 1 tenant; plaintext")
    with Client(server.address, token="env-secret", timeout=10) as client:
        client.threads.create(tid("mine"))
        assert [t.thread_id for t in client.threads.list()] == [tid("mine")]
    with Client(server.address, token="other", timeout=10) as client:
        with pytest.raises(UnauthenticatedError):
            client.threads.list()


def test_without_auth_the_server_says_it_is_loopback_only(spawn_server):
    server = spawn_server(store="memory://")
    assert server.log().splitlines()[0].endswith("no authentication, so loopback only; plaintext")


@pytest.mark.parametrize("address", ["0.0.0.0:0", "[::]:0", ":0", "example.invalid:0"])
def test_an_open_server_refuses_a_non_loopback_address(address):
    done = serve("--address", address)
    assert done.returncode == 2, done
    assert f"refusing to listen on {address} without authentication" in done.stderr
    assert "--insecure" in done.stderr and "Traceback" not in done.stderr


def test_insecure_allows_an_open_server_on_every_interface(spawn_server):
    server = spawn_server(store="memory://", extra_args=("--address", "0.0.0.0:0", "--insecure"))
    first = server.log().splitlines()[0]
    assert " on 0.0.0.0:" in first and "open to the network (--insecure)" in first
    with Client(server.address, timeout=10) as client:
        assert client.graphs.list()


def test_a_server_with_tokens_may_listen_on_every_interface(spawn_server, tokens_file):
    server = spawn_server(
        store="memory://",
        extra_args=("--address", "0.0.0.0:0", "--auth-tokens", str(tokens_file)),
    )
    with Client(server.address, token=TOKENS["alice"], timeout=10) as client:
        assert client.graphs.list()


def test_sighup_reads_the_tokens_file_again(tmp_path):
    """A token added to the file works after SIGHUP and a removed one stops working;
    a broken file is refused and the tokens before it stay."""
    path = tmp_path / "tokens"
    path.write_text("first-token alice\n")
    server = ServerProcess(tmp_path, extra_args=("--auth-tokens", str(path)), name="hup").start()

    def answer(token: str) -> grpc.StatusCode:
        try:
            Caller(server.channel, f"Bearer {token}").graphs.ListGraphs(
                graphs_service_pb2.ListGraphsRequest(), timeout=10
            )
        except grpc.RpcError as err:
            return err.code()
        return grpc.StatusCode.OK

    def hup(expect: str) -> str:
        mark = server.log_mark()
        os.kill(server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while expect not in server.log_since(mark):
            assert time.monotonic() < deadline, server.log_since(mark)
            time.sleep(0.02)
        return server.log_since(mark)

    try:
        assert answer("first-token") == grpc.StatusCode.OK
        path.write_text("second-token alice\nthird-token bob\n")
        assert "2 tokens for 2 tenants" in hup("auth tokens read again")
        assert answer("second-token") == answer("third-token") == grpc.StatusCode.OK
        assert answer("first-token") == grpc.StatusCode.UNAUTHENTICATED

        path.write_text("only-one-word\n")
        said = hup("not read again")
        assert f"{path}:1" in said and "the old ones stay" in said, said
        assert answer("second-token") == grpc.StatusCode.OK
        assert answer("only-one-word") == grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop()
