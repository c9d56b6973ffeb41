"""The channel options Client and AsyncClient share: TLS from a flag or PEM files.

A PEM source is the PEM bytes themselves, or the path of a file holding them
(str or os.PathLike), so a caller passes whichever it has.
"""

from __future__ import annotations

import os
from typing import Union

import grpc

PemSource = Union[bytes, str, "os.PathLike[str]"]


def _pem(source: PemSource | None, what: str) -> bytes | None:
    if source is None or isinstance(source, bytes):
        return source
    try:
        with open(source, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ValueError(f"cannot read {what} {os.fspath(source)!r}: {exc.strerror or exc}") from None


def tls_credentials(
    tls: bool,
    ca_cert: PemSource | None,
    client_cert: PemSource | None,
    client_key: PemSource | None,
) -> grpc.ChannelCredentials | None:
    """TLS credentials when `tls` or any certificate is given, else None (plaintext).

    `ca_cert`: the CAs to trust for the server's certificate (default: the system's);
    `client_cert`/`client_key`: this client's certificate, for mutual TLS.
    """
    if (client_cert is None) != (client_key is None):
        raise ValueError("client_cert and client_key go together: give both or neither")
    if not (tls or ca_cert is not None or client_cert is not None):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=_pem(ca_cert, "ca_cert"),
        private_key=_pem(client_key, "client_key"),
        certificate_chain=_pem(client_cert, "client_cert"),
    )


def channel_credentials(
    credentials: grpc.ChannelCredentials | None,
    tls: bool,
    ca_cert: PemSource | None,
    client_cert: PemSource | None,
    client_key: PemSource | None,
) -> grpc.ChannelCredentials | None:
    """Explicit `credentials` win; giving them together with TLS options is a mistake."""
    made = tls_credentials(tls, ca_cert, client_cert, client_key)
    if credentials is not None and made is not None:
        raise ValueError("give either credentials or tls/ca_cert/client_cert, not both")
    return credentials if credentials is not None else made
