"""A SoftHSM2 token (PKCS#11) holding a signing key and its certificate, standing in
for an official's USB token in the notice-signing tests. SoftHSM2 is the Debian package
``softhsm2``, which scripts/test installs."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.conftest import SERVICES_REQUIRED

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "phonghop-thu-nghiem"
KEY = "ky-so-van-phong"
PIN = "246810"


@contextlib.contextmanager
def softhsm_token(home: Path, pkcs12_bytes: bytes, passphrase: str) -> Iterator[str]:
    """A token labelled :data:`TOKEN` (user PIN :data:`PIN`) in a token directory under
    ``home``, holding the key and certificate of ``pkcs12_bytes`` under :data:`KEY`.
    ``SOFTHSM2_CONF`` points at it while the context lasts (set before any process or
    library reads it: servers started inside the context see the token too)."""
    if not Path(MODULE).exists():
        if SERVICES_REQUIRED:
            pytest.fail("SoftHSM2 is missing: scripts/test installs the softhsm2 package")
        pytest.skip("SoftHSM2 is not installed (apt install softhsm2)")
    tokens = home / "tokens"
    tokens.mkdir(parents=True)
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    patch = pytest.MonkeyPatch()
    patch.setenv("SOFTHSM2_CONF", str(conf))
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(pkcs12_bytes, passphrase.encode())
        assert key is not None and cert is not None
        key_pem = home / "key.pem"
        key_pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        for args in (
            ["--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "13579246"],
            ["--import", str(key_pem), "--token", TOKEN, "--label", KEY, "--id", "01", "--pin", PIN],
        ):
            subprocess.run(["softhsm2-util", *args], check=True, capture_output=True, env=os.environ)
        key_pem.unlink()
        import pkcs11
        from pkcs11 import Attribute, CertificateType, ObjectClass

        with pkcs11.lib(MODULE).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: KEY,
                    Attribute.ID: b"\x01",
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
        yield TOKEN
    finally:
        patch.undo()


def token_settings(signer_name: str, token_label: str = TOKEN) -> dict[str, object]:
    """The ``signing`` notice setting that gives ``signer_name`` the token."""
    return {
        "tokens": [
            {"signer_name": signer_name, "module_path": MODULE, "token_label": token_label, "key_label": KEY}
        ]
    }
