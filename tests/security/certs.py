"""Throw-away certificates for the TLS tests: a CA, a server certificate for
localhost/127.0.0.1 and a client certificate it signed, and an unrelated CA."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Pair:
    cert: Path
    key: Path


@dataclass
class Certs:
    ca: Path  # the CA that signed server and client
    server: Pair
    client: Pair
    other_ca: Path  # signed nothing here
    other_client: Pair  # signed by other_ca


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject, key, issuer, issuer_key, *, ca: bool, usage=None, sans=()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, stem: str, cert: x509.Certificate, key=None) -> Pair:
    cert_path = folder / f"{stem}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = folder / f"{stem}.key"
    if key is not None:
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return Pair(cert_path, key_path)


def make_certs(folder: Path) -> Certs:
    """Write the certificates and keys into `folder` (PEM files)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, other_key = _key(), _key()
    ca = _cert("Lockstep test CA", ca_key, "Lockstep test CA", ca_key, ca=True)
    other = _cert("Some other CA", other_key, "Some other CA", other_key, ca=True)
    server_key, client_key, stranger_key = _key(), _key(), _key()
    server = _cert(
        "localhost", server_key, "Lockstep test CA", ca_key, ca=False,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        sans=(x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))),
    )  # fmt: skip
    client = _cert(
        "test client", client_key, "Lockstep test CA", ca_key, ca=False,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )  # fmt: skip
    stranger = _cert(
        "stranger", stranger_key, "Some other CA", other_key, ca=False,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )  # fmt: skip
    return Certs(
        ca=_write(folder, "ca", ca).cert,
        server=_write(folder, "server", server, server_key),
        client=_write(folder, "client", client, client_key),
        other_ca=_write(folder, "other-ca", other).cert,
        other_client=_write(folder, "other-client", stranger, stranger_key),
    )
