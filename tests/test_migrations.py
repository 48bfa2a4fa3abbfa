"""The same migrations build the same schema on SQLite and PostgreSQL, and go down too."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from phonghop.storage import migrate
from phonghop.storage.db import create_engine
from phonghop.storage.models import Base


async def schema_diff(url: str) -> tuple[list[object], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def check(sync_conn):  # type: ignore[no-untyped-def]
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(ctx, Base.metadata), set(inspect(sync_conn).get_table_names())

            result: tuple[list[object], set[str]] = await conn.run_sync(check)
            return result
    finally:
        await engine.dispose()


def roundtrip(url: str) -> None:
    asyncio.run(migrate.upgrade(url))
    assert asyncio.run(migrate.current_revision(url)) == migrate.head_revision()
    diff, tables = asyncio.run(schema_diff(url))
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    asyncio.run(migrate.upgrade(url))  # running again is a no-op
    asyncio.run(migrate.downgrade(url, "base"))
    _, tables = asyncio.run(schema_diff(url))
    assert tables <= {"alembic_version"}
    asyncio.run(migrate.upgrade(url))
    assert asyncio.run(migrate.current_revision(url)) == migrate.head_revision()


def test_migrations_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    roundtrip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_migrations_on_postgres(postgres_url: str) -> None:
    roundtrip(postgres_url)
