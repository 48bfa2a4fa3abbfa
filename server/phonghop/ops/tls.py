"""HTTPS on an office LAN: a local certificate authority and the server's certificate.

Tablets reach phonghop at a LAN name or address (``https://phonghop.vp.lan``,
``https://10.0.0.5``); browsers allow service workers, and so offline pages, only in a
secure context. An office without its own PKI runs ``phonghop tls init``: it makes a CA
(kept in ``<data>/tls/ca.key``, which may be moved offline once tablets trust ``ca.crt``)
and a server certificate for the given names and addresses. ``phonghop serve`` renews the
server certificate when it is within :data:`RENEW_BEFORE` of expiry and the CA key is
there (else it says so). An office with its own PKI sets ``PHONGHOP_TLS_CERT`` and
``PHONGHOP_TLS_KEY`` instead.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
#: Browsers refuse server certificates valid for more than 398 days.
SERVER_DAYS = 397
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def key(self) -> Path:
        return self.directory / "server.key"

    def exists(self) -> bool:
        return self.cert.is_file() and self.key.is_file()


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _names(names: list[str], ips: list[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = [x509.DNSName(n.strip().lower()) for n in names if n.strip()]
    for ip in ips:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(ip.strip())))
        except ValueError:
            raise ValueError(f"not an IP address: {ip!r}") from None
    if not out:
        raise ValueError("give at least one --name or --ip")
    return out


def create_ca(files: TlsFiles, organisation: str, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} — phonghop CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(files.ca_key, _key_pem(key))
    files.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def issue_server_cert(files: TlsFiles, names: list[str], ips: list[str], now: datetime | None = None) -> None:
    """A server certificate for ``names`` and ``ips`` signed by the CA in ``files``."""
    now = now or datetime.now(UTC)
    if not files.ca_key.is_file():
        raise FileNotFoundError(f"the CA key is not in {files.ca_key}: put it back to issue a certificate")
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    alt = _names(names, ips)
    common = names[0] if names else ips[0]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(files.key, _key_pem(key))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + files.ca_cert.read_bytes())


def init(directory: Path, names: list[str], ips: list[str], organisation: str = "phonghop") -> TlsFiles:
    """``phonghop tls init``: the CA (kept if there is one) and a new server certificate."""
    files = TlsFiles(directory)
    _names(names, ips)  # refuse bad input before writing anything
    if not files.ca_cert.is_file():
        create_ca(files, organisation)
    issue_server_cert(files, names, ips)
    return files


def server_names(cert_path: Path) -> tuple[list[str], list[str]]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return alt.get_values_for_type(x509.DNSName), [str(a) for a in alt.get_values_for_type(x509.IPAddress)]


def expires_at(cert_path: Path) -> datetime:
    return x509.load_pem_x509_certificate(cert_path.read_bytes()).not_valid_after_utc


def renew_if_due(files: TlsFiles, now: datetime | None = None) -> str | None:
    """Renew the server certificate near its expiry; a message saying what happened, or None."""
    now = now or datetime.now(UTC)
    if not files.exists() or not files.ca_cert.is_file():
        return None
    if expires_at(files.cert) - now > RENEW_BEFORE:
        return None
    if not files.ca_key.is_file():
        expiry = f"{expires_at(files.cert):%Y-%m-%d}"
        return f"the server certificate expires {expiry}; put the CA key back in {files.ca_key} to renew it"
    names, ips = server_names(files.cert)
    issue_server_cert(files, names, ips, now)
    return f"renewed the server certificate until {expires_at(files.cert):%Y-%m-%d}"
