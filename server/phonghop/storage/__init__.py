"""Persistence: engine and unit of work, ORM models, repositories, Alembic migrations."""
