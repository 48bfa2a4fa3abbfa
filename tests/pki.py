"""Throwaway certificates for the signing tests: a root CA and a signer it issued, as the
PKCS#12 file an office would configure (built as the demo's are, phonghop.demo.pki)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from phonghop.demo import pki


@dataclass(frozen=True)
class Signer:
    #: The signer's key and certificate with the root, encrypted with the passphrase.
    pkcs12: bytes
    #: The root certificate (PEM) that verifies the signer.
    root_pem: bytes


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _window() -> tuple[dt.datetime, dt.datetime]:
    """From yesterday for 30 days."""
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=1), now + dt.timedelta(days=30)


def root_ca(common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed root valid from yesterday for 30 days."""
    start, end = _window()
    return pki.root_ca(pki.x509_name(common_name), start=start, end=end, new_key=_rsa)


def signer(
    passphrase: str, *, root_name: str = "CA thử nghiệm", signer_name: str = "Văn phòng Tỉnh ủy Gia Lai"
) -> Signer:
    """A root CA and a signing certificate issued by it, as PKCS#12 under ``passphrase``."""
    ca_key, ca_cert = root_ca(root_name)
    start, end = _window()
    key, cert = pki.signer_certificate(
        pki.x509_name(signer_name), ca_key, ca_cert, start=start, end=end, new_key=_rsa
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca_cert], serialization.BestAvailableEncryption(passphrase.encode())
    )
    return Signer(p12, ca_cert.public_bytes(serialization.Encoding.PEM))
