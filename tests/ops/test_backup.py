"""Backup and restore round trips, on SQLite and on PostgreSQL, with a meeting's whole record."""

from __future__ import annotations

import asyncio
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.ops.backup import LOCAL_TABLES, BackupError, create_backup, read_manifest, restore_backup
from phonghop.storage import migrate
from phonghop.storage.db import Database
from phonghop.storage.models import Base
from tests.annotations.test_annotations import INK, save
from tests.conftest import fresh_postgres_database, make_settings
from tests.documents.conftest import make_pdf
from tests.factories import World, companion, login, seed_world, upload_document
from tests.notices_service.conftest import PARTY_SETTINGS, hold_meeting, tablet, vote
from tests.realtime.helpers import Peer


@pytest.fixture
def another_postgres_url() -> Iterator[str]:
    yield from fresh_postgres_database()


async def counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.unit(write=False) as uow:
            return {
                t.name: int(await uow.session.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables
                if t.name not in LOCAL_TABLES
            }
    finally:
        await db.dispose()


def record_a_meeting(settings: Settings) -> dict[str, Any]:
    """A held meeting with a document, a roll call, conclusions, a vote and an issued notice."""
    world: World = seed_world(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as base:
        admin, office = companion(base), companion(base)
        login(admin, "admin")
        login(office, "office")
        assert admin.put("/api/notice-settings", json=PARTY_SETTINGS).status_code == 200
        document: dict[str, Any] = {}

        def during(held: Any) -> None:
            document.update(upload_document(office, held.id, make_pdf(), title="Tờ trình"))
            delegate = Peer(tablet(base, held, 2), held.id)
            try:
                delegate.hello()
                note = save(delegate, "ghi-chu-1", document["version"]["id"], 1, kind="ink", data=INK)
                assert note["ok"], note
            finally:
                delegate.close()
            vote(
                base,
                world,
                held,
                "Thông qua Tờ trình",
                {"chair": "approve", "member1": "approve", "member2": "reject"},
            )

        held = hold_meeting(base, world, office, during=during)
        draft = office.post(f"/api/meetings/{held.id}/notices", json={})
        assert draft.status_code == 201, draft.text
        issued = office.post(f"/api/notices/{draft.json()['id']}/issue")
        assert issued.status_code == 200, issued.text
        return {"meeting": held.id, "document": document, "notice": issued.json(), "world": world}


def check_restored(settings: Settings, before: dict[str, Any]) -> None:
    with TestClient(create_app(settings), base_url="http://testserver") as base:
        office = companion(base)
        login(office, "office")  # the password hashes came back
        meeting = office.get(f"/api/meetings/{before['meeting']}").json()
        assert meeting["state"] == "closed"
        notice = office.get(f"/api/notices/{before['notice']['id']}").json()
        assert notice["number"] == before["notice"]["number"] == 1
        version = before["document"]["version"]["id"]
        assert office.get(f"/api/versions/{version}/pages/1", params={"w": "320"}).status_code == 200
        # the next notice takes the next number of the same sequence
        draft = office.post(f"/api/meetings/{before['meeting']}/notices", json={})
        assert draft.status_code == 201, draft.text
        again = office.post(f"/api/notices/{draft.json()['id']}/issue")
        assert again.status_code == 200, again.text
        assert again.json()["number"] == 2
        # and new rows get new ids (PostgreSQL's sequences were moved past the restored rows)
        r = office.post(
            "/api/meetings", json={"title": "Họp sau khôi phục", "starts_at": "2026-12-10T08:00:00+07:00"}
        )
        assert r.status_code == 201, r.text


def roundtrip(tmp_path: Path, source_url: str, target_url: str) -> None:
    source = make_settings(tmp_path / "a", source_url)
    before = record_a_meeting(source)
    expected = asyncio.run(counts(source_url))
    for table in (
        "meetings",
        "documents",
        "notices",
        "notice_counters",
        "polls",
        "poll_ballots",
        "annotations",
        "audit_log",
        "meeting_events",
    ):
        assert expected[table] > 0, table  # the backup really carries a meeting's record
    info = asyncio.run(create_backup(source, with_secrets=True))
    manifest = read_manifest(info.path)
    assert manifest["revision"] == migrate.head_revision() and manifest["tables"] == expected
    with tarfile.open(info.path) as tar:
        names = tar.getnames()
    assert any(n.startswith("blobs/") for n in names) and "secrets/secret_key" in names
    assert not any(n.startswith("cache/") for n in names)  # rendered pages are rebuilt

    target = make_settings(tmp_path / "b", target_url)
    result = asyncio.run(restore_backup(target, info.path))
    assert result["tables"] == expected and result["blobs"] == 1
    assert asyncio.run(counts(target_url)) == expected
    check_restored(target, before)

    with pytest.raises(BackupError, match="not empty"):
        asyncio.run(restore_backup(target, info.path))


def test_backup_roundtrip_on_sqlite(tmp_path: Path) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    asyncio.run(migrate.upgrade(source))
    roundtrip(tmp_path, source, f"sqlite+aiosqlite:///{tmp_path / 'target.db'}")


@pytest.mark.postgres
def test_backup_roundtrip_on_postgres(
    tmp_path: Path, migrated_postgres_url: str, another_postgres_url: str
) -> None:
    roundtrip(tmp_path, migrated_postgres_url, another_postgres_url)


def test_a_damaged_or_foreign_archive_is_refused(tmp_path: Path, settings: Settings) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match="not a phonghop backup"):
        asyncio.run(restore_backup(settings, junk))
    with pytest.raises(BackupError, match="empty"):
        empty = make_settings(tmp_path / "c", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        asyncio.run(create_backup(empty))


def test_scheduled_backups_run_and_old_ones_are_pruned(settings: Settings) -> None:
    import time

    seed_world(settings)
    scheduled = Settings(**{**settings.__dict__, "backup_every_hours": 0.5 / 3600, "backup_keep": 2})
    backups = settings.data_dir / "backups"
    with TestClient(create_app(scheduled)) as client:
        # Conditions, not durations: wait (up to generous deadlines) for two archives, then
        # for the oldest of them to be pruned once a third is written.
        deadline = time.monotonic() + 60
        while len(list(backups.glob("*.tar.gz"))) < 2:
            assert time.monotonic() < deadline, "no two scheduled backups within 60 s"
            client.get("/healthz")
            time.sleep(0.1)
        oldest = sorted(backups.glob("*.tar.gz"))[0]
        while oldest.exists():
            assert time.monotonic() < deadline, "the oldest backup was never pruned"
            client.get("/healthz")
            time.sleep(0.1)
    archives = sorted((settings.data_dir / "backups").glob("*.tar.gz"))
    assert len(archives) == 2
    assert read_manifest(archives[-1])["tables"]["users"] == 8


def test_signing_material_is_kept_when_asked(tmp_path: Path, settings: Settings) -> None:
    """--with-secrets carries the PKCS#12 and passphrase files the notice settings name, and a
    restore puts them back where the settings look for them (never over an existing file)."""
    from sqlalchemy import update

    from phonghop.storage.models import IssuingBody

    world = seed_world(settings)
    p12, phrase = tmp_path / "keys" / "ky-so.p12", tmp_path / "keys" / "passphrase"
    p12.parent.mkdir()
    p12.write_bytes(b"PKCS12 bytes of the office")
    phrase.write_text("mat-khau")

    async def configure() -> None:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                signing = {"pkcs12_path": str(p12), "passphrase_file": str(phrase)}
                await uow.session.execute(
                    update(IssuingBody)
                    .where(IssuingBody.id == world.body_id)
                    .values(settings={"notices": {"signing": signing}})
                )
        finally:
            await db.dispose()

    asyncio.run(configure())
    plain = asyncio.run(create_backup(settings))
    with tarfile.open(plain.path) as tar:
        assert not any(n.startswith(("signing/", "secrets/")) for n in tar.getnames())
    full = asyncio.run(create_backup(settings, with_secrets=True))
    p12.unlink()
    target = make_settings(tmp_path / "restored", f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
    result = asyncio.run(restore_backup(target, full.path))
    assert result["signing"] == [str(p12)]  # the passphrase file was still there: left alone
    assert p12.read_bytes() == b"PKCS12 bytes of the office"
    assert oct(p12.stat().st_mode & 0o777) == "0o600"
