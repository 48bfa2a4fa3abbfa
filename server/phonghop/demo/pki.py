"""Throwaway certificates: a root CA and a signer it issued, for the demo's signed notice
and for the signing tests. Never for real documents: a real signer's certificate comes from
the government's CA (a PKCS#12 file or a USB token)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

#: The keys the certificates are made with: RSA (the tests) or P-256 (the demo).
K = TypeVar("K", rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)


def x509_name(common_name: str, organization: str | None = None) -> x509.Name:
    """A Vietnamese name (C=VN), with the organisation if given."""
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name([*parts, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates; a signer signs documents (with non-repudiation)."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def root_ca(
    name: x509.Name,
    *,
    start: datetime,
    end: datetime,
    new_key: Callable[[], K],
    path_length: int | None = None,
) -> tuple[K, x509.Certificate]:
    """A self-signed root valid from ``start`` to ``end``."""
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def signer_certificate(
    name: x509.Name,
    ca_key: K,
    ca_cert: x509.Certificate,
    *,
    start: datetime,
    end: datetime,
    new_key: Callable[[], K],
) -> tuple[K, x509.Certificate]:
    """A document signer's key and certificate, issued by the CA."""
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert
