"""A SoftHSM2 token (PKCS#11) holding a signing key and its certificate, standing in
for an official's USB token in the notice-signing tests. SoftHSM2 is the Debian package
``softhsm2``, which scripts/test installs."""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
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


_CONF: Path | None = None

_WRITE_CERTIFICATE = """
import sys
from pathlib import Path
import pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
module, label, pin, key, der, subject = sys.argv[1:]
with pkcs11.lib(module).get_token(token_label=label).open(rw=True, user_pin=pin) as session:
    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.LABEL: key,
        Attribute.ID: b"\\x01",
        Attribute.SUBJECT: bytes.fromhex(subject),
        Attribute.VALUE: Path(der).read_bytes(),
    })
"""


def _process_conf() -> Path:
    """One SoftHSM2 configuration and token directory for the whole test process.

    The PKCS#11 library is loaded once per process (python-pkcs11 keeps it), and SoftHSM2
    reads ``SOFTHSM2_CONF`` only when it is first initialised: a directory per test would
    leave every test after the first looking at the first one's tokens. So the variable is
    set once, before any token is made, and stays set (servers started by the tests
    inherit it); each token gets a label of its own instead."""
    global _CONF
    if _CONF is None:
        home = Path(tempfile.mkdtemp(prefix="phonghop-softhsm-"))
        atexit.register(shutil.rmtree, home, True)
        (home / "tokens").mkdir()
        conf = home / "softhsm2.conf"
        conf.write_text(
            f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
        )
        os.environ["SOFTHSM2_CONF"] = str(conf)
        _CONF = conf
    return _CONF


@contextlib.contextmanager
def softhsm_token(home: Path, pkcs12_bytes: bytes, passphrase: str) -> Iterator[str]:
    """A new token (label :data:`TOKEN` and a random suffix, user PIN :data:`PIN`) holding
    the key and certificate of ``pkcs12_bytes`` under :data:`KEY`; yields its label.
    ``home`` holds the key while it is imported."""
    if not Path(MODULE).exists():
        if SERVICES_REQUIRED:
            pytest.fail("SoftHSM2 is missing: scripts/test installs the softhsm2 package")
        pytest.skip("SoftHSM2 is not installed (apt install softhsm2)")
    _process_conf()
    label = f"{TOKEN}-{secrets.token_hex(3)}"
    key, cert, _ = pkcs12.load_key_and_certificates(pkcs12_bytes, passphrase.encode())
    assert key is not None and cert is not None
    key_pem = home / "key.pem"
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    for args in (
        ["--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "13579246"],
        ["--import", str(key_pem), "--token", label, "--label", KEY, "--id", "01", "--pin", PIN],
    ):
        subprocess.run(["softhsm2-util", *args], check=True, capture_output=True, env=os.environ)
    key_pem.unlink()
    # The certificate object is written by a child process: this process must not load
    # the PKCS#11 library before the tokens its in-process servers need exist (SoftHSM2
    # lists its tokens once, when the library is first initialised in a process).
    cert_der = home / "cert.der"
    cert_der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    subprocess.run(
        [
            sys.executable,
            "-c",
            _WRITE_CERTIFICATE,
            MODULE,
            label,
            PIN,
            KEY,
            str(cert_der),
            cert.subject.public_bytes().hex(),
        ],
        check=True,
        capture_output=True,
        env=os.environ,
    )
    yield label


def token_settings(signer_name: str, token_label: str = TOKEN) -> dict[str, object]:
    """The ``signing`` notice setting that gives ``signer_name`` the token."""
    return {
        "tokens": [
            {"signer_name": signer_name, "module_path": MODULE, "token_label": token_label, "key_label": KEY}
        ]
    }
