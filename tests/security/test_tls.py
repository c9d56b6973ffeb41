"""TLS and mutual TLS, with throw-away certificates: the SDK and the CLI connect,
plaintext and strangers do not, and bad TLS options stop the server at start-up."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import grpc
import pytest
from callers import TOKENS
from cli_helpers import cli_env, run_cli

from lockstep_client import AsyncClient, Client, LockstepError, UnavailableError

pytestmark = pytest.mark.timeout(120)

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]


def tls_server(spawn_server, certs, *, mutual: bool = False, extra: tuple[str, ...] = ()):
    args = ["--tls-cert", str(certs.server.cert), "--tls-key", str(certs.server.key)]
    if mutual:
        args += ["--tls-client-ca", str(certs.ca)]
    credentials = grpc.ssl_channel_credentials(
        root_certificates=certs.ca.read_bytes(),
        private_key=certs.client.key.read_bytes() if mutual else None,
        certificate_chain=certs.client.cert.read_bytes() if mutual else None,
    )
    return spawn_server(
        store="memory://", extra_args=(*args, *extra), credentials=credentials
    )


def graph_ids(client: Client) -> list[str]:
    return [g.graph_id for g in client.graphs.list()]


def test_tls_with_the_sdk(spawn_server, certs, tid):
    server = tls_server(spawn_server, certs)
    assert server.log().splitlines()[0].endswith("no authentication, so loopback only; TLS")
    with Client(server.address, ca_cert=str(certs.ca), timeout=10) as client:
        assert "dynamic_breakpoints" in graph_ids(client)
        run = client.runs.wait(tid("tls"), "dynamic_breakpoints", input={"input": "hi"})
        assert run.values == {"input": "hi"}
    with Client(server.address, ca_cert=certs.ca.read_bytes(), timeout=10) as client:
        assert graph_ids(client)

    async def with_async_client() -> list[str]:
        async with AsyncClient(server.address, ca_cert=certs.ca, timeout=10) as client:
            return [g.graph_id for g in await client.graphs.list()]

    assert "approval" in asyncio.run(with_async_client())


def test_tls_refuses_plaintext_and_untrusted_servers(spawn_server, certs):
    server = tls_server(spawn_server, certs)
    with Client(server.address, timeout=5) as client:
        with pytest.raises(UnavailableError):
            client.graphs.list()
    # A client that trusts another CA does not trust this server.
    with Client(server.address, ca_cert=certs.other_ca, timeout=5) as client:
        with pytest.raises(UnavailableError):
            client.graphs.list()


def test_tls_with_the_cli_from_flags_or_environment(spawn_server, certs):
    server = tls_server(spawn_server, certs)
    env = cli_env(server.address)
    done = run_cli("graphs", "--tls-ca", str(certs.ca), env=env)
    assert done.code == 0 and "dynamic_breakpoints" in done.out, done
    done = run_cli("graphs", env={**env, "LOCKSTEP_TLS_CA": str(certs.ca)})
    assert done.code == 0 and "dynamic_breakpoints" in done.out, done
    done = run_cli("graphs", "--timeout", "5", env=env)  # plaintext to a TLS server
    assert done.code == UNAVAILABLE, done
    done = run_cli("graphs", "--tls-ca", str(certs.ca / "missing"), env=env)
    assert done.code == 3 and "cannot read ca_cert" in done.err, done


def test_mutual_tls_needs_a_client_certificate_the_server_trusts(spawn_server, certs):
    server = tls_server(spawn_server, certs, mutual=True)
    assert server.log().splitlines()[0].endswith("client certificates; mutual TLS")
    ok = dict(ca_cert=certs.ca, client_cert=certs.client.cert, client_key=certs.client.key)
    with Client(server.address, timeout=10, **ok) as client:
        assert "dynamic_breakpoints" in graph_ids(client)
    with Client(server.address, ca_cert=certs.ca, timeout=5) as client:
        with pytest.raises(LockstepError):
            client.graphs.list()
    stranger = dict(
        ca_cert=certs.ca, client_cert=certs.other_client.cert, client_key=certs.other_client.key
    )
    with Client(server.address, timeout=5, **stranger) as client:
        with pytest.raises(LockstepError):
            client.graphs.list()


def test_mutual_tls_with_the_cli(spawn_server, certs):
    server = tls_server(spawn_server, certs, mutual=True)
    env = {
        **cli_env(server.address),
        "LOCKSTEP_TLS_CA": str(certs.ca),
        "LOCKSTEP_TLS_CERT": str(certs.client.cert),
        "LOCKSTEP_TLS_KEY": str(certs.client.key),
    }
    done = run_cli("graphs", env=env)
    assert done.code == 0 and "dynamic_breakpoints" in done.out, done
    flags = ("--tls-ca", str(certs.ca), "--tls-cert", str(certs.client.cert))
    done = run_cli("graphs", *flags, "--tls-key", str(certs.client.key), env=cli_env(server.address))
    assert done.code == 0, done
    done = run_cli("graphs", *flags, env=cli_env(server.address))  # no key
    assert done.code == 3 and "client_cert and client_key go together" in done.err, done
    done = run_cli("graphs", "--tls-ca", str(certs.ca), "--timeout", "5", env=cli_env(server.address))
    assert done.code != 0, done


def test_tls_and_tokens_together(spawn_server, certs, tokens_file):
    server = tls_server(spawn_server, certs, extra=("--auth-tokens", str(tokens_file)))
    assert server.log().splitlines()[0].endswith("bearer tokens for 2 tenants; TLS")
    with Client(server.address, token=TOKENS["alice"], ca_cert=certs.ca, timeout=10) as client:
        assert graph_ids(client)
    with Client(server.address, ca_cert=certs.ca, timeout=10) as client:
        with pytest.raises(LockstepError, match="Bearer <token>"):
            client.graphs.list()


def test_client_certificates_count_as_authentication_for_an_open_address(certs):
    """No --insecure needed: the server starts (its certificate names localhost, not
    0.0.0.0, so this test reads the start-up line rather than connecting)."""
    args = [
        sys.executable, "-m", "lockstep", "serve", "--store", "memory://",
        "--address", "0.0.0.0:0", "--tls-cert", str(certs.server.cert),
        "--tls-key", str(certs.server.key), "--tls-client-ca", str(certs.ca),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    assert " on 0.0.0.0:" in first and first.rstrip().endswith("client certificates; mutual TLS")


def serve(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    return subprocess.run(
        [sys.executable, "-m", "lockstep", "serve", "--store", "memory://", "--address", "127.0.0.1:0", *args],
        capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip


def test_bad_tls_options_stop_the_server(certs, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cases = {
        ("--tls-cert", str(certs.server.cert)): "--tls-cert and --tls-key go together",
        ("--tls-client-ca", str(certs.ca)): "--tls-client-ca (mutual TLS) needs --tls-cert",
        ("--tls-cert", str(tmp_path / "none.pem"), "--tls-key", str(certs.server.key)): (
            "--tls-cert: cannot read"
        ),
        ("--tls-cert", str(garbage), "--tls-key", str(certs.server.key)): (
            f"--tls-cert: {garbage} holds no PEM certificate"
        ),
        ("--tls-cert", str(certs.server.cert), "--tls-key", str(certs.server.cert)): (
            "holds no PEM private key"
        ),
        ("--tls-cert", str(certs.server.cert), "--tls-key", str(certs.client.key)): (
            "are not a valid certificate chain and its private key"
        ),
    }
    for args, complaint in cases.items():
        done = serve(*args)
        assert done.returncode == 2, (args, done)
        assert complaint in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


def test_sdk_tls_arguments_are_checked():
    with pytest.raises(ValueError, match="client_cert and client_key go together"):
        Client("127.0.0.1:1", client_cert=b"x")
    with pytest.raises(ValueError, match="either credentials or"):
        Client("127.0.0.1:1", tls=True, credentials=grpc.ssl_channel_credentials())
