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
    # the demo prints each delegate's personal code: "    ABCD2345  Name"
    personal = (
        first.stdout.split("personal codes on the invitations")[1].split("&personal=CODE)")[1].split()[0]
    )
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
        deadline = time.monotonic() + 120  # start-up under a loaded machine can take tens of seconds
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
        # a delegate's tablet joins and finds one document per agenda item, pages ready
        join = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/join",
            data=json.dumps({"code": code, "personal_code": personal}).encode(),
            headers={"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"},
        )
        with urllib.request.urlopen(join, timeout=5) as r:
            cookie = r.headers["Set-Cookie"].split(";")[0]
        mid = info["meeting"]["id"]
        listing = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/meetings/{mid}/documents", headers={"Cookie": cookie}
        )
        with urllib.request.urlopen(listing, timeout=5) as r:
            docs = json.load(r)["documents"]
        assert len(docs) == 4 and all(d["agenda_item_id"] for d in docs)
        assert [d["classification"] for d in docs] == ["normal", "normal", "normal", "confidential"]
        version = docs[0]["version"]
        assert version["page_count"] >= 2
        image = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/versions/{version['id']}/pages/1?w=800", headers={"Cookie": cookie}
        )
        with urllib.request.urlopen(image, timeout=30) as r:
            assert r.headers["Content-Type"] == "image/webp" and len(r.read()) > 1000
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    # The server's log is JSON lines; request lines name the request and the meeting.
    lines = [
        json.loads(x) for x in (Path(env["PHONGHOP_DATA_DIR"]) / "serve.log").read_text().splitlines() if x
    ]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line.get("meeting_id") == mid and line.get("request_id") for line in lines)


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
    # the administrator's reset from the machine, and lifting the sign-in locks
    reset = run(["user", "passwd", "thuky", "--password-stdin"], env, input="mat-khau-moi-2027\n")
    assert reset.returncode == 0 and "0 session(s) ended" in reset.stdout, reset.stderr
    weak = run(["user", "passwd", "thuky", "--password-stdin"], env, input="123\n")
    assert weak.returncode == 2 and "password_too_short" in weak.stderr
    nobody = run(["user", "passwd", "khong-co", "--password-stdin"], env, input="mat-khau-moi-2027\n")
    assert nobody.returncode == 2 and "user_not_found: " in nobody.stderr  # the code and its message
    unlocked = run(["user", "unlock", "thuky"], env)
    assert unlocked.returncode == 0 and "sign-in lock(s) of thuky lifted" in unlocked.stdout
    assert run(["user", "unlock", "khong-co"], env).returncode == 2


def test_upgrade_takes_a_backup_and_refuses_a_newer_database(env: dict[str, str]) -> None:
    import sqlite3

    data = Path(env["PHONGHOP_DATA_DIR"])
    data.mkdir(parents=True)
    assert run(["db", "upgrade"], env).returncode == 0
    body = run(["body", "add", "--name", "Tỉnh ủy Gia Lai", "--symbol", "TU", "--format", "party"], env)
    assert body.returncode == 0, body.stderr
    # An older schema with data in it: upgrading first writes a backup.
    db = data / "phonghop.db"
    with sqlite3.connect(db) as conn:
        current = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    first = run(["db", "upgrade"], env)
    assert first.returncode == 0 and "backup before upgrading" not in first.stdout  # already at head
    assert run(["backup", "--keep", "1"], env).returncode == 0
    assert len(list((data / "backups").glob("phonghop-*.tar.gz"))) == 1
    # A database from a newer phonghop is left alone.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    refused = run(["db", "upgrade"], env)
    assert refused.returncode == 2 and "newer than this phonghop" in refused.stderr
    serve = run(["serve"], env)
    assert serve.returncode == 2 and "newer than this phonghop" in serve.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (current,))
    assert run(["db", "current"], env).stdout.strip() == current


def test_upgrade_from_the_first_schema_backs_up_and_keeps_the_data(env: dict[str, str]) -> None:
    import asyncio as aio

    from phonghop.storage import migrate

    data = Path(env["PHONGHOP_DATA_DIR"])
    data.mkdir(parents=True)
    url = f"sqlite+aiosqlite:///{data / 'phonghop.db'}"
    aio.run(migrate.upgrade(url, "0001"))
    body = run(["body", "add", "--name", "UBND tỉnh", "--symbol", "UBND", "--format", "state"], env)
    assert body.returncode == 0, body.stderr
    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "backup before upgrading" in upgraded.stdout
    archive = Path(upgraded.stdout.split("backup before upgrading: ")[1].split()[0])
    assert archive.is_file()
    assert run(["db", "current"], env).stdout.strip() == migrate.head_revision()
    users = run(["user", "add", "vanphong", "--full-name", "Văn phòng", "--password", "mat-khau-2026"], env)
    assert users.returncode == 0, users.stderr  # the body from the old schema is still there
    # The backup of the old schema restores onto a new installation, upgraded on the way.
    fresh = {**env, "PHONGHOP_DATA_DIR": str(data.parent / "fresh")}
    restored = run(["restore", str(archive)], fresh)
    assert restored.returncode == 0, restored.stderr
    assert run(["db", "current"], fresh).stdout.strip() == migrate.head_revision()
    again = run(["user", "add", "vanphong", "--full-name", "Văn phòng", "--password", "mat-khau-2026"], fresh)
    assert again.returncode == 0, again.stderr
    assert run(["restore", str(archive)], fresh).returncode == 2  # not onto data


@pytest.mark.slow
def test_db_new_epoch_makes_tablets_reload(env: dict[str, str]) -> None:
    """After a database copy is put back by hand, the logs get another epoch."""
    assert run(["db", "upgrade", "--no-backup"], env).returncode == 0
    first = run(["db", "new-epoch"], env)
    second = run(["db", "new-epoch"], env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    epochs = [r.stdout.split()[3].rstrip(":") for r in (first, second)]
    assert all(len(e) == 32 for e in epochs) and epochs[0] != epochs[1]
