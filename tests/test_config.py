"""Settings: each default is written once (the dataclass field), the README's table lists
exactly the PHONGHOP_* variables the code reads with those defaults, and every kind of value
is read from the environment or refused with the variable's name."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from phonghop.config import Settings

ROOT = Path(__file__).resolve().parents[1]
ENV_NAME = re.compile(r"PHONGHOP_[A-Z0-9_]+")


def readme_table() -> dict[str, str]:
    """Variable name -> the default cell of its row in the README's settings table."""
    rows: dict[str, str] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`PHONGHOP_"):
            continue
        names = ENV_NAME.findall(cells[0])
        defaults = [d.strip() for d in cells[1].split(",")] if len(names) > 1 else [cells[1]]
        if len(defaults) != len(names):  # "a, b" for two names; one cell otherwise
            defaults = [cells[1]] * len(names)
        rows.update(zip(names, defaults, strict=True))
    return rows


def variables_in_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "server" / "phonghop").rglob("*.py"):
        found |= set(ENV_NAME.findall(path.read_text(encoding="utf-8")))
    return found


def env_fields() -> dict[str, object]:
    """Variable name -> the field's default (MISSING for the two required ones)."""
    return {f.metadata["env"]: f.default for f in fields(Settings) if f.metadata.get("env")}


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def test_the_readme_lists_exactly_the_variables_the_code_reads() -> None:
    table = readme_table()
    assert set(table) == variables_in_code()
    assert set(table) == set(env_fields())


def test_the_readme_gives_each_default_the_code_has() -> None:
    table = readme_table()
    for name, default in env_fields().items():
        if default is MISSING or default in (None, "", ()):
            continue  # described in words ("generated into the data dir", "none")
        assert f"`{shown(default)}`" in table[name], (name, default, table[name])


def test_an_empty_environment_gives_the_defaults() -> None:
    settings = Settings.from_env({})
    for f in fields(Settings):
        if f.metadata.get("env") and f.default is not MISSING:
            assert getattr(settings, f.name) == f.default, f.name
    assert settings.data_dir == Path("./data").resolve()
    assert settings.database_url == f"sqlite+aiosqlite:///{settings.data_dir / 'phonghop.db'}"
    # An empty variable is the same as an unset one.
    assert Settings.from_env({"PHONGHOP_PORT": "", "PHONGHOP_TIMEZONE": ""}) == settings


def test_every_kind_of_value_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "PHONGHOP_DATA_DIR": str(tmp_path),
            "PHONGHOP_DATABASE_URL": "postgres://u@db/phonghop",
            "PHONGHOP_REDIS_URL": "redis://r:6379/0",
            "PHONGHOP_PORT": "8443",
            "PHONGHOP_COOKIE_SECURE": "yes",
            "PHONGHOP_DB_POOL_SIZE": "7",
            "PHONGHOP_DB_POOL_TIMEOUT": "2.5",
            "PHONGHOP_ALLOWED_ORIGINS": " https://a.lan/ ,https://b.lan",
            "PHONGHOP_PREMARK_WIDTHS": "800,1600",
            "PHONGHOP_TLS_CERT": "cert.pem",
            "PHONGHOP_LOG_FORMAT": "TEXT",
            "PHONGHOP_SECRET_BALLOT_BATCH": "0",
        }
    )
    assert settings.data_dir == tmp_path
    assert settings.database_url == "postgresql+asyncpg://u@db/phonghop"
    assert settings.redis_url == "redis://r:6379/0"
    assert settings.port == 8443
    assert settings.cookie_secure is True
    assert settings.db_pool_size == 7
    assert settings.db_pool_timeout == 2.5
    assert settings.allowed_origins == ("https://a.lan", "https://b.lan")
    assert settings.premark_widths == (800, 1600)
    assert settings.tls_cert == Path("cert.pem").resolve()
    assert settings.log_format == "text"
    assert settings.secret_ballot_batch == 1  # at least one ballot per batch
    assert Settings.from_env({"PHONGHOP_LOG_FORMAT": "xml"}).log_format == "auto"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PHONGHOP_PORT", "eighty"),
        ("PHONGHOP_DB_POOL_TIMEOUT", "soon"),
        ("PHONGHOP_BACKUP_EVERY_HOURS", "1h"),
        ("PHONGHOP_PREMARK_WIDTHS", "1280,999"),
    ],
)
def test_a_value_that_cannot_be_read_stops_with_the_variable_name(name: str, raw: str) -> None:
    with pytest.raises(SystemExit, match=name):
        Settings.from_env({name: raw})
