"""Settings, read once from the environment (``PHONGHOP_*``).

Defaults give a working single-machine install: SQLite in the data directory, the
in-process event bus, a secret key generated on first start and kept in the data dir.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def env_field(name: str, default: Any, *, minimum: int | None = None) -> Any:
    """A setting read from the environment variable ``name``; ``default`` is its one
    default, used when the variable is unset or empty (README's table lists it, and
    tests/test_config.py checks the two agree)."""
    return field(default=default, metadata={"env": name, "minimum": minimum})


def _whole(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None


def _widths(name: str, raw: str) -> tuple[int, ...]:
    from phonghop.documents.files import PAGE_WIDTHS

    try:
        widths = tuple(int(w) for w in raw.split(",") if w.strip())
    except ValueError:
        raise SystemExit(f"{name} must list page widths (e.g. 1280,1600), got {raw!r}") from None
    if any(w not in PAGE_WIDTHS for w in widths):
        raise SystemExit(f"{name}: each width must be one of {PAGE_WIDTHS}, got {raw!r}")
    return widths


def _origins(name: str, raw: str) -> tuple[str, ...]:
    return tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


def _log_format(name: str, raw: str) -> str:
    # anything else: text on a terminal, JSON for services (cli.run_server decides)
    return {"text": "text", "json": "json"}.get(raw.strip().lower(), "auto")


#: How the text of an environment variable becomes a setting, by the field's declared type.
_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "str": lambda name, raw: raw,
    "str | None": lambda name, raw: raw,
    "int": _whole,
    "int | None": _whole,
    "float": _number,
    "bool": lambda name, raw: raw.strip().lower() in {"1", "true", "yes", "on"},
    "Path": lambda name, raw: Path(raw),
    "Path | None": lambda name, raw: Path(raw).resolve(),
    "tuple[int, ...]": _widths,
    "tuple[str, ...]": _origins,
}
#: Settings whose text needs more than their type says.
_SPECIAL: dict[str, Callable[[str, str], Any]] = {"log_format": _log_format}


@dataclass(frozen=True)
class Settings:
    #: Unset in the environment: ``./data``.
    data_dir: Path = field(metadata={"env": "PHONGHOP_DATA_DIR"})
    #: Unset in the environment: SQLite, ``phonghop.db`` in the data directory.
    database_url: str = field(metadata={"env": "PHONGHOP_DATABASE_URL"})
    redis_url: str | None = env_field("PHONGHOP_REDIS_URL", None)
    secret_key: str = env_field("PHONGHOP_SECRET_KEY", "")
    host: str = env_field("PHONGHOP_HOST", "127.0.0.1")
    port: int = env_field("PHONGHOP_PORT", 8000)
    public_url: str | None = env_field("PHONGHOP_PUBLIC_URL", None)
    #: Origins allowed to open websockets and send state-changing requests, besides the
    #: request's own host. Comma separated in PHONGHOP_ALLOWED_ORIGINS.
    allowed_origins: tuple[str, ...] = env_field("PHONGHOP_ALLOWED_ORIGINS", ())
    session_max_age: int = env_field("PHONGHOP_SESSION_MAX_AGE", 12 * 3600)
    cookie_secure: bool = env_field("PHONGHOP_COOKIE_SECURE", False)
    max_upload_mb: int = env_field("PHONGHOP_MAX_UPLOAD_MB", 200)
    #: Sandboxed pdfium processes rendering pages (each up to 1 GiB).
    render_workers: int = env_field("PHONGHOP_RENDER_WORKERS", 2)
    #: The offices' time zone: watermarks and notices show local time.
    timezone: str = env_field("PHONGHOP_TIMEZONE", "Asia/Ho_Chi_Minh")
    #: Argon2 cost; tests lower it, production keeps the library's defaults.
    argon2_time_cost: int = env_field("PHONGHOP_ARGON2_TIME_COST", 3)
    argon2_memory_kib: int = env_field("PHONGHOP_ARGON2_MEMORY_KIB", 65536)
    #: Secret ballots written together, at least (the box of docs/voting.md).
    secret_ballot_batch: int = env_field("PHONGHOP_SECRET_BALLOT_BATCH", 5, minimum=1)
    #: Events kept for replay on reconnect before a client gets a snapshot instead.
    replay_limit: int = 1000
    #: Per-connection outbound buffer (bytes) above which a tablet is told to resync.
    outbound_limit_bytes: int = 1 << 20
    heartbeat_seconds: float = 20.0
    max_message_bytes: int = 64 * 1024
    #: Commands per second one websocket connection may send, after a burst of
    #: ``command_burst``; beyond that each is refused with ``command_rate_limited``.
    command_rate: float = 10.0
    command_burst: int = 30
    #: HTTPS: the certificate (chain) and key; when unset, ``<data>/tls/server.crt`` and
    #: ``server.key`` from ``phonghop tls init`` are used if they exist.
    tls_cert: Path | None = env_field("PHONGHOP_TLS_CERT", None)
    tls_key: Path | None = env_field("PHONGHOP_TLS_KEY", None)
    #: With HTTPS on, a plain-HTTP port that redirects to it (0: none).
    http_redirect_port: int = env_field("PHONGHOP_HTTP_PORT", 0)
    #: Scheduled backups into <data>/backups every so many hours (0: off), keeping the newest N.
    backup_every_hours: float = env_field("PHONGHOP_BACKUP_EVERY_HOURS", 0.0)
    backup_keep: int = env_field("PHONGHOP_BACKUP_KEEP", 14)
    #: Server logs: "json" (one object per line, with request and meeting ids), "text", or
    #: "auto": text when the logs go to a terminal, JSON otherwise.
    log_format: str = env_field("PHONGHOP_LOG_FORMAT", "auto")
    #: /metrics answers the machine itself, or a request with "Authorization: Bearer <token>".
    metrics_token: str = env_field("PHONGHOP_METRICS_TOKEN", "")
    #: E-mail copies of notifications through the LAN's SMTP server (empty host: none).
    smtp_host: str = env_field("PHONGHOP_SMTP_HOST", "")
    smtp_port: int = env_field("PHONGHOP_SMTP_PORT", 25)
    smtp_from: str = env_field("PHONGHOP_SMTP_FROM", "phonghop@localhost")
    smtp_starttls: bool = env_field("PHONGHOP_SMTP_STARTTLS", False)
    smtp_username: str = env_field("PHONGHOP_SMTP_USERNAME", "")
    smtp_password: str = env_field("PHONGHOP_SMTP_PASSWORD", "")
    #: Seconds between two runs of the reminder and e-mail job (0: the job does not run).
    reminder_interval: float = env_field("PHONGHOP_REMINDER_INTERVAL", 60.0)
    #: Database connection pool: connections kept, extra ones allowed under load (None:
    #: the engine's default for the dialect, see ``storage.db.create_engine``), and how
    #: long a request waits for one before it is answered 503 with Retry-After.
    db_pool_size: int | None = env_field("PHONGHOP_DB_POOL_SIZE", None)
    db_max_overflow: int | None = env_field("PHONGHOP_DB_MAX_OVERFLOW", None)
    db_pool_timeout: float = env_field("PHONGHOP_DB_POOL_TIMEOUT", 5.0)
    #: Seconds a page-access decision is reused without asking the database again (the
    #: bound on its staleness when the event bus cannot tell this instance of a change).
    page_grant_seconds: float = env_field("PHONGHOP_PAGE_GRANT_SECONDS", 60.0)
    #: Widths at which classified pages are marked in advance for every entitled reader
    #: (those the meeting's tablets ask for; empty: no pre-marking).
    premark_widths: tuple[int, ...] = env_field("PHONGHOP_PREMARK_WIDTHS", (1280,))
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    def tls_pair(self) -> tuple[Path, Path] | None:
        """The certificate and key to serve HTTPS with, or None for plain HTTP."""
        if self.tls_cert is not None and self.tls_key is not None:
            return self.tls_cert, self.tls_key
        cert, key = self.tls_dir / "server.crt", self.tls_dir / "server.key"
        if cert.is_file() and key.is_file():
            return cert, key
        return None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """The settings from ``PHONGHOP_*`` variables; an unset or empty one keeps the
        field's default. A value that cannot be read stops the program with its name."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            raw = env.get(name, "") if name else ""
            if not name or not raw:
                continue
            parse = _SPECIAL.get(f.name) or _PARSERS[str(f.type)]
            value = parse(name, raw)
            if f.metadata.get("minimum") is not None:
                value = max(f.metadata["minimum"], value)
            values[f.name] = value
        data_dir = Path(values.get("data_dir", "./data")).resolve()
        database_url = values.get("database_url") or f"sqlite+aiosqlite:///{data_dir / 'phonghop.db'}"
        return cls(**{**values, "data_dir": data_dir, "database_url": normalize_database_url(database_url)})

    def with_secret(self) -> Settings:
        """The same settings with a secret key: the configured one, else one kept in the
        data directory (created on first start, readable by the owner only)."""
        if self.secret_key:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return replace(self, secret_key=key_file.read_text().strip())


def normalize_database_url(url: str) -> str:
    """Accept the plain URLs people write and pick the async drivers phonghop uses."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url
