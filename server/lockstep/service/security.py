"""How the server is reached: authentication, TLS, and the rule that an open server
stays on loopback.

A server without bearer tokens (or client certificates) lets anyone who can
connect read and drive every thread, so it only listens on loopback unless the
operator says `--insecure`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import grpc

from lockstep.service.auth import AuthInterceptor, Tokens


@dataclass(frozen=True)
class Security:
    """The `serve` options about who may connect and how."""

    tokens: Tokens | None = None
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    insecure: bool = False

    def __post_init__(self) -> None:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("--tls-cert and --tls-key go together: give both or neither")
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")

    @property
    def authenticated(self) -> bool:
        """Every caller proves who it is: a bearer token, or a client certificate."""
        return self.tokens is not None or bool(self.tls_client_ca)

    def check_bind(self, address: str) -> None:
        """Refuse a non-loopback address for a server anyone could use."""
        if self.authenticated or self.insecure or is_loopback(address):
            return
        raise ValueError(
            f"refusing to listen on {address} without authentication: anyone who can reach it "
            "could read and change every thread. Give --auth-tokens FILE (or set "
            "LOCKSTEP_AUTH_TOKEN), or --tls-client-ca for client certificates; or, if the "
            "network is trusted, --insecure"
        )

    def interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        return [AuthInterceptor(self.tokens)] if self.tokens is not None else []

    def add_port(self, server: grpc.aio.Server, address: str) -> int:
        """Listen on `address` (TLS if configured); the port, 0 if it could not bind."""
        if not self.tls_cert:
            return server.add_insecure_port(address)
        key = _read(self.tls_key, "--tls-key", "PRIVATE KEY")
        cert = _read(self.tls_cert, "--tls-cert", "CERTIFICATE")
        client_ca = (
            _read(self.tls_client_ca, "--tls-client-ca", "CERTIFICATE") if self.tls_client_ca else None
        )
        credentials = grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=client_ca, require_client_auth=bool(client_ca)
        )
        try:
            return server.add_secure_port(address, credentials)
        except RuntimeError:  # grpc only says it could not bind; the usual cause is this
            raise ValueError(
                f"cannot serve TLS on {address}: --tls-cert and --tls-key are not a valid "
                "certificate chain and its private key (or the address is taken)"
            ) from None

    def describe(self) -> str:
        """For the start-up line: who may connect, and whether the wire is encrypted."""
        if self.tokens is not None:
            n = len(self.tokens.tenants)
            who = f"bearer tokens for {n} tenant{'s' if n != 1 else ''}"
        elif self.tls_client_ca:
            who = "client certificates"
        elif self.insecure:
            who = "NO authentication, open to the network (--insecure)"
        else:
            who = "no authentication, so loopback only"
        wire = "mutual TLS" if self.tls_client_ca else "TLS" if self.tls_cert else "plaintext"
        return f"{who}; {wire}"


def is_loopback(address: str) -> bool:
    """Whether `host:port` (or a unix: socket) is reachable from this machine only."""
    if address.startswith(("unix:", "unix-abstract:")):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost, or empty (every interface)


def _read(path: str, flag: str, kind: str) -> bytes:
    """A PEM file's bytes; a clear error if it cannot be read or holds no PEM `kind`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ValueError(f"{flag}: cannot read {path}: {exc.strerror or exc}") from None
    if b"-----BEGIN " not in data or kind.encode() not in data:
        raise ValueError(f"{flag}: {path} holds no PEM {kind.lower()}")
    return data
