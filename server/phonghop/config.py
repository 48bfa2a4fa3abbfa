"""Settings, read once from the environment (``PHONGHOP_*``).

Defaults give a working single-machine install: SQLite in the data directory, the
in-process event bus, a secret key generated on first start and kept in the data dir.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _env_optional_int(env: dict[str, str], name: str) -> int | None:
    return _env_int(env, name, 0) if env.get(name) else None


def _env_widths(env: dict[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    from phonghop.documents.files import PAGE_WIDTHS

    try:
        widths = tuple(int(w) for w in raw.split(",") if w.strip())
    except ValueError:
        raise SystemExit(f"{name} must list page widths (e.g. 1280,1600), got {raw!r}") from None
    if any(w not in PAGE_WIDTHS for w in widths):
        raise SystemExit(f"{name}: each width must be one of {PAGE_WIDTHS}, got {raw!r}")
    return widths


def _env_bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None = None
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    #: Origins allowed to open websockets and send state-changing requests, besides the
    #: request's own host. Comma separated in PHONGHOP_ALLOWED_ORIGINS.
    allowed_origins: tuple[str, ...] = ()
    session_max_age: int = 12 * 3600
    cookie_secure: bool = False
    max_upload_mb: int = 200
    #: Sandboxed pdfium processes rendering pages (each up to 1 GiB).
    render_workers: int = 2
    #: The offices' time zone: watermarks and notices show local time.
    timezone: str = "Asia/Ho_Chi_Minh"
    #: Argon2 cost; tests lower it, production keeps the library's defaults.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    #: Secret ballots written together, at least (the box of docs/voting.md).
    secret_ballot_batch: int = 5
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
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: With HTTPS on, a plain-HTTP port that redirects to it (0: none).
    http_redirect_port: int = 0
    #: Scheduled backups into <data>/backups every so many hours (0: off), keeping the newest N.
    backup_every_hours: float = 0.0
    backup_keep: int = 14
    #: Server logs: "json" (one object per line, with request and meeting ids) or "text".
    log_format: str = "json"
    #: /metrics answers the machine itself, or a request with "Authorization: Bearer <token>".
    metrics_token: str = ""
    #: E-mail copies of notifications through the LAN's SMTP server (empty host: none).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "phonghop@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    #: Seconds between two runs of the reminder and e-mail job (0: the job does not run).
    reminder_interval: float = 60.0
    #: Database connection pool: connections kept, extra ones allowed under load (None:
    #: the engine's default for the dialect, see ``storage.db.create_engine``), and how
    #: long a request waits for one before it is answered 503 with Retry-After.
    db_pool_size: int | None = None
    db_max_overflow: int | None = None
    db_pool_timeout: float = 5.0
    #: Seconds a page-access decision is reused without asking the database again (the
    #: bound on its staleness when the event bus cannot tell this instance of a change).
    page_grant_seconds: float = 60.0
    #: Widths at which classified pages are marked in advance for every entitled reader
    #: (those the meeting's tablets ask for; empty: no pre-marking).
    premark_widths: tuple[int, ...] = (1280,)
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
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("PHONGHOP_DATA_DIR") or "./data").resolve()
        database_url = env.get("PHONGHOP_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'phonghop.db'}"
        origins = tuple(
            o.strip().rstrip("/") for o in env.get("PHONGHOP_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            data_dir=data_dir,
            database_url=normalize_database_url(database_url),
            redis_url=env.get("PHONGHOP_REDIS_URL") or None,
            secret_key=env.get("PHONGHOP_SECRET_KEY", ""),
            host=env.get("PHONGHOP_HOST", "127.0.0.1"),
            port=_env_int(env, "PHONGHOP_PORT", 8000),
            public_url=env.get("PHONGHOP_PUBLIC_URL") or None,
            allowed_origins=origins,
            session_max_age=_env_int(env, "PHONGHOP_SESSION_MAX_AGE", 12 * 3600),
            cookie_secure=_env_bool(env, "PHONGHOP_COOKIE_SECURE", False),
            max_upload_mb=_env_int(env, "PHONGHOP_MAX_UPLOAD_MB", 200),
            render_workers=_env_int(env, "PHONGHOP_RENDER_WORKERS", 2),
            timezone=env.get("PHONGHOP_TIMEZONE") or "Asia/Ho_Chi_Minh",
            tls_cert=Path(env["PHONGHOP_TLS_CERT"]).resolve() if env.get("PHONGHOP_TLS_CERT") else None,
            tls_key=Path(env["PHONGHOP_TLS_KEY"]).resolve() if env.get("PHONGHOP_TLS_KEY") else None,
            http_redirect_port=_env_int(env, "PHONGHOP_HTTP_PORT", 0),
            backup_every_hours=float(env.get("PHONGHOP_BACKUP_EVERY_HOURS") or 0),
            backup_keep=_env_int(env, "PHONGHOP_BACKUP_KEEP", 14),
            # unset: text on a terminal, JSON for services (cli.run_server decides)
            log_format={"text": "text", "json": "json"}.get(
                env.get("PHONGHOP_LOG_FORMAT", "").lower(), "auto"
            ),
            metrics_token=env.get("PHONGHOP_METRICS_TOKEN", ""),
            smtp_host=env.get("PHONGHOP_SMTP_HOST", ""),
            smtp_port=_env_int(env, "PHONGHOP_SMTP_PORT", 25),
            smtp_from=env.get("PHONGHOP_SMTP_FROM") or "phonghop@localhost",
            smtp_starttls=_env_bool(env, "PHONGHOP_SMTP_STARTTLS", False),
            smtp_username=env.get("PHONGHOP_SMTP_USERNAME", ""),
            smtp_password=env.get("PHONGHOP_SMTP_PASSWORD", ""),
            reminder_interval=float(env.get("PHONGHOP_REMINDER_INTERVAL") or 60),
            db_pool_size=_env_optional_int(env, "PHONGHOP_DB_POOL_SIZE"),
            db_max_overflow=_env_optional_int(env, "PHONGHOP_DB_MAX_OVERFLOW"),
            db_pool_timeout=float(env.get("PHONGHOP_DB_POOL_TIMEOUT") or 5),
            page_grant_seconds=float(env.get("PHONGHOP_PAGE_GRANT_SECONDS") or 60),
            premark_widths=_env_widths(env, "PHONGHOP_PREMARK_WIDTHS", (1280,)),
            argon2_time_cost=_env_int(env, "PHONGHOP_ARGON2_TIME_COST", 3),
            argon2_memory_kib=_env_int(env, "PHONGHOP_ARGON2_MEMORY_KIB", 65536),
            secret_ballot_batch=max(1, _env_int(env, "PHONGHOP_SECRET_BALLOT_BATCH", 5)),
        )

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
