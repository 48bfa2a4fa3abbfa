"""HTTPS for an office LAN: the local CA, the server certificate, serving and redirecting."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.ops import tls


def test_init_makes_a_ca_and_a_certificate_for_the_names(tmp_path: Path) -> None:
    files = tls.init(tmp_path / "tls", ["phonghop.vp.lan"], ["10.0.0.5"], "Văn phòng Tỉnh ủy")
    assert oct(files.ca_key.stat().st_mode & 0o777) == "0o600"
    assert oct(files.key.stat().st_mode & 0o777) == "0o600"
    assert tls.server_names(files.cert) == (["phonghop.vp.lan"], ["10.0.0.5"])
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(files.cert.read_bytes())
    public = ca.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    server.verify_directly_issued_by(ca)  # raises if the CA did not sign it
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = server.not_valid_after_utc - server.not_valid_before_utc
    assert lifetime <= timedelta(days=398)  # what browsers accept
    # A second init keeps the CA (tablets already trust it) and issues a new certificate.
    again = tls.init(tmp_path / "tls", ["phonghop.vp.lan", "phonghop"], [], "Văn phòng Tỉnh ủy")
    assert again.ca_cert.read_bytes() == files.ca_cert.read_bytes()
    assert tls.server_names(again.cert) == (["phonghop.vp.lan", "phonghop"], [])


def test_bad_names_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        tls.init(tmp_path / "tls", [], ["not-an-ip"])
    with pytest.raises(ValueError):
        tls.init(tmp_path / "tls", [], [])
    assert not (tmp_path / "tls").exists()


def test_renewal_near_expiry_and_without_the_ca_key(tmp_path: Path) -> None:
    files = tls.init(tmp_path / "tls", ["phonghop.vp.lan"], [])
    first = tls.expires_at(files.cert)
    assert tls.renew_if_due(files) is None  # far from expiry: nothing to do
    later = first - timedelta(days=10)
    message = tls.renew_if_due(files, now=later)
    assert message is not None and "renewed" in message
    assert tls.expires_at(files.cert) > first
    files.ca_key.rename(tmp_path / "offline-ca.key")  # the office keeps it offline
    message = tls.renew_if_due(files, now=tls.expires_at(files.cert) - timedelta(days=1))
    assert message is not None and "put the CA key back" in message


def test_security_headers_and_the_ca_download(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        r = client.get("/healthz")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        assert "strict-transport-security" not in r.headers  # plain HTTP: no HSTS
        assert client.get("/console/").headers["content-security-policy"]
        missing = client.get("/tls/ca.crt")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "tls_ca_not_found"
        assert client.get("/api/tls").json() == {"https": False, "ca_available": False}
        tls.init(settings.tls_dir, ["phonghop.vp.lan"], [])
        info = client.get("/api/tls").json()
        assert (
            info["ca_available"] and info["ca_url"].endswith("/tls/ca.crt") and len(info["ca_sha256"]) == 64
        )
        cert = client.get("/tls/ca.crt")
        assert cert.status_code == 200 and b"BEGIN CERTIFICATE" in cert.content
        assert client.get("/api/tls/ca-qr.svg").headers["content-type"] == "image/svg+xml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_over_https_and_redirect_plain_http(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PHONGHOP_DATA_DIR": str(tmp_path / "data"),
        "PHONGHOP_ARGON2_TIME_COST": "1",
        "PHONGHOP_ARGON2_MEMORY_KIB": "8192",
    }
    run = [sys.executable, "-m", "phonghop"]
    init = subprocess.run(
        [*run, "tls", "init", "--name", "localhost", "--ip", "127.0.0.1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    assert "ca.crt" in init.stdout
    assert subprocess.run([*run, "db", "upgrade"], env=env, capture_output=True).returncode == 0
    port, plain = _free_port(), _free_port()
    env["PHONGHOP_HTTP_PORT"] = str(plain)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [*run, "--port", str(port), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    trust = ssl.create_default_context(cafile=str(tmp_path / "data" / "tls" / "ca.crt"))
    try:
        deadline = time.monotonic() + 120  # start-up under a loaded machine can take tens of seconds
        while True:
            try:
                with urllib.request.urlopen(
                    f"https://127.0.0.1:{port}/healthz", context=trust, timeout=2
                ) as r:
                    assert json.load(r)["status"] == "ok"
                    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
                    break
            except (OSError, ssl.SSLError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        # an untrusting client is refused: the certificate really comes from our CA
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=5)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(f"http://127.0.0.1:{plain}/tablet/?x=1", timeout=5)
        assert moved.value.code == 308
        assert moved.value.headers["Location"] == f"https://127.0.0.1:{port}/tablet/?x=1"
        moved.value.close()
        show = subprocess.run([*run, "tls", "show"], env=env, capture_output=True, text=True)
        # the date the certificate itself carries: "a year from now" crosses a year end
        # every December, so the test reads the expiry instead of predicting it
        expiry = tls.expires_at(tmp_path / "data" / "tls" / "server.crt")
        assert "localhost" in show.stdout and f"valid until {expiry:%Y-%m-%d}" in show.stdout
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
