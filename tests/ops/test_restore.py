"""A restore is all or nothing: a truncated, damaged, edited or unfitting archive is refused
with a clear error and leaves the installation exactly as it was, ready for a good one."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.ops.backup import BackupError, create_backup, restore_backup
from phonghop.storage import migrate
from phonghop.storage.db import Database
from phonghop.storage.installation import log_epoch
from phonghop.storage.models import Base
from tests.conftest import fresh_postgres_database, make_settings
from tests.documents.conftest import make_pdf
from tests.factories import blank_pdf, companion, login, prepared_meeting, seed_world, upload_document


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A backup of an installation with a meeting and two documents."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    asyncio.run(migrate.upgrade(url))
    settings = make_settings(tmp_path / "source", url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        office = companion(base)
        login(office, "office")
        meeting = prepared_meeting(office, world)
        upload_document(office, meeting["id"], make_pdf(), title="Tờ trình")
        upload_document(office, meeting["id"], blank_pdf(3), title="Phụ lục")
    return asyncio.run(create_backup(settings)).path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A new, empty installation (migrated, as `phonghop db upgrade` leaves it)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
        asyncio.run(migrate.upgrade(url))
        yield make_settings(tmp_path / "target", url)
    else:
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
        for url in fresh_postgres_database():
            asyncio.run(migrate.upgrade(url))
            yield make_settings(tmp_path / "target", url)


def installation_state(settings: Settings) -> dict[str, Any]:
    """Everything a restore could have touched: schema revision, epoch, rows, files."""

    async def read() -> dict[str, Any]:
        db = Database(settings.database_url)
        try:
            async with db.unit(write=False) as uow:
                rows = {
                    t.name: int(await uow.session.scalar(select(func.count()).select_from(t)) or 0)
                    for t in Base.metadata.sorted_tables
                }
                epoch = await log_epoch(uow.session)
        finally:
            await db.dispose()
        revision = await migrate.current_revision(settings.database_url)
        return {"revision": revision, "epoch": epoch, "rows": rows}

    state = asyncio.run(read())
    files = settings.data_dir.rglob("*") if settings.data_dir.exists() else iter(())
    state["files"] = sorted(str(p.relative_to(settings.data_dir)) for p in files if p.is_file())
    return state


def rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of ``archive`` with each member's bytes passed through ``change`` (None keeps them)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            changed = change(member.name, data)
            if changed is not None:
                data = changed
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return out


def damaged(archive: Path, tmp: Path) -> Path:
    first: list[str] = []

    def change(name: str, data: bytes) -> bytes | None:
        if name.startswith("blobs/") and not first:
            first.append(name)
            return data[:-10] + b"0123456789"
        return None

    return rewrite(archive, tmp / "damaged.tar.gz", change)


def edited(archive: Path, tmp: Path) -> Path:
    """A user's name changed inside the dump, the row count kept."""

    def change(name: str, data: bytes) -> bytes | None:
        if name == "database/users.jsonl":
            lines = data.decode().splitlines(keepends=True)
            row = json.loads(lines[1])
            row["full_name"] = "Người lạ"
            lines[1] = json.dumps(row, ensure_ascii=False) + "\n"
            return "".join(lines).encode()
        return None

    return rewrite(archive, tmp / "edited.tar.gz", change)


def unfitting(archive: Path, tmp: Path) -> Path:
    """Well formed, checksums and counts made to agree, but a user twice (a primary key
    the database refuses): it fails only once rows are being inserted."""
    dump: dict[str, bytes] = {}

    def change(name: str, data: bytes) -> bytes | None:
        if name == "database/users.jsonl":
            lines = data.splitlines(keepends=True)
            dump["users"] = data + lines[-1]
            return dump["users"]
        return None

    first = rewrite(archive, tmp / "unfitting-1.tar.gz", change)

    def fix_manifest(name: str, data: bytes) -> bytes | None:
        if name != "manifest.json":
            return None
        manifest = json.loads(data)
        manifest["tables"]["users"] += 1
        manifest["checksums"]["users"] = hashlib.sha256(dump["users"]).hexdigest()
        return json.dumps(manifest).encode()

    return rewrite(first, tmp / "unfitting.tar.gz", fix_manifest)


def truncated(archive: Path, tmp: Path) -> Path:
    out = tmp / "truncated.tar.gz"
    data = archive.read_bytes()
    out.write_bytes(data[: len(data) * 2 // 3])
    return out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (truncated, "truncated"),
        (damaged, "damaged: document"),
        (edited, "edited or damaged: users"),
        (unfitting, "do not fit this database"),
    ],
    ids=["truncated", "damaged", "edited", "unfitting"],
)
def test_a_bad_archive_changes_nothing_and_a_good_one_restores_after_it(
    archive: Path, target: Settings, tmp_path: Path, make: Callable[[Path, Path], Path], message: str
) -> None:
    before = installation_state(target)
    bad = make(archive, tmp_path)
    with pytest.raises(BackupError, match=message):
        asyncio.run(restore_backup(target, bad))
    assert installation_state(target) == before

    result = asyncio.run(restore_backup(target, archive))
    assert result["blobs"] == 2
    after = installation_state(target)
    assert after["rows"]["users"] == 8 and after["rows"]["documents"] == 2
    assert after["epoch"] != before["epoch"]
    assert sum(1 for f in after["files"] if f.endswith(".pdf")) == 2
