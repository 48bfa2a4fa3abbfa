"""The ``phonghop`` command as the README uses it, in real subprocesses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def run(args: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "phonghop", *args], env=env, capture_output=True, text=True, timeout=120, **kw
    )  # type: ignore[call-overload]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PHONGHOP_DATA_DIR": str(tmp_path / "data"),
        "PHONGHOP_ARGON2_TIME_COST": "1",
        "PHONGHOP_ARGON2_MEMORY_KIB": "8192",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_demo_then_serve_answers_healthz(env: dict[str, str]) -> None:
    first = run(["demo", "--no-serve"], env)
    assert first.returncode == 0, first.stderr
    assert "demo (created)" in first.stdout and "Mã tham dự / join code" in first.stdout
    again = run(["demo", "--no-serve"], env)
    assert again.returncode == 0 and "already there, reused" in again.stdout
    code = first.stdout.split("join code:")[1].split()[0]
    assert code in again.stdout  # the same meeting, not a second one

    port = free_port()
    log = open(Path(env["PHONGHOP_DATA_DIR"]) / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "phonghop", "--port", str(port), "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/join/{code}", timeout=5) as r:
            info = json.load(r)
        assert len(info["participants"]) == 14  # chair, secretary and 12 delegates
        assert info["meeting"]["title"].startswith("Hội nghị Ban Thường vụ")
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def test_serve_refuses_an_unmigrated_database(env: dict[str, str]) -> None:
    result = run(["serve"], env)
    assert result.returncode == 2
    assert "phonghop db upgrade" in result.stderr


def test_db_upgrade_and_user_add(env: dict[str, str]) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["db", "current"], env).stdout.strip() != "(empty)"
    none = run(["user", "add", "thuky", "--full-name", "Thư ký", "--password", "mat-khau-2026"], env)
    assert none.returncode != 0 and "issuing body" in none.stderr
    body = run(["body", "add", "--name", "Tỉnh ủy Gia Lai", "--symbol", "TU", "--format", "party"], env)
    assert body.returncode == 0, body.stderr
    ok = run(
        ["user", "add", "thuky", "--full-name", "Thư ký", "--role", "member", "--password-stdin"],
        env,
        input="mat-khau-2026\n",
    )
    assert ok.returncode == 0, ok.stderr
    weak = run(["user", "add", "thuky2", "--full-name", "Thư ký", "--password", "123"], env)
    assert weak.returncode == 2 and "password_too_short" in weak.stderr
    dup = run(["user", "add", "thuky", "--full-name", "Thư ký", "--password", "mat-khau-2026"], env)
    assert dup.returncode == 2 and "username_taken" in dup.stderr
