"""The ``phonghop`` command: serve, db upgrade, backup, restore, user add, body add, tls init, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from phonghop import metrics
from phonghop.config import Settings
from phonghop.domain.permissions import UserRole
from phonghop.errors import PhonghopError
from phonghop.storage import migrate
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import IssuingBody
from phonghop.translations import error_message


def _fail(message: str) -> int:
    print(f"phonghop: {message}", file=sys.stderr)
    return 2


def _in_unit(settings: Settings, work: Callable[[UnitOfWork], Awaitable[str]]) -> int:
    """Run ``work`` in one unit of work on the configured database and print the line it
    returns once committed. A refusal (a PhonghopError) leaves nothing written and reaches
    :func:`main`, which prints its code and message and exits with 2."""

    async def run() -> str:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                return await work(uow)
        finally:
            await db.dispose()

    print(asyncio.run(run()))
    return 0


async def _check_schema(settings: Settings) -> str | None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        current = await migrate.current_revision(settings.database_url)
    except (OSError, SQLAlchemyError) as exc:
        return f"cannot reach the database ({type(exc).__name__}): check PHONGHOP_DATABASE_URL"
    head = migrate.head_revision()
    if current == head:
        return None
    if current is None:
        return "the database is empty: run 'phonghop db upgrade' first"
    if current not in migrate.known_revisions():
        return f"the database is at revision {current}, newer than this phonghop ({head}): upgrade phonghop"
    return f"the database is at revision {current}, the code expects {head}: run 'phonghop db upgrade'"


def _log_format(configured: str) -> str:
    """``PHONGHOP_LOG_FORMAT`` as set; unset, readable text when the logs go to a terminal
    (someone running the demo) and JSON lines otherwise (a service, a container)."""
    if configured != "auto":
        return configured
    return "text" if sys.stderr.isatty() else "json"


def run_server(settings: Settings) -> None:
    import uvicorn

    from phonghop.app import create_app
    from phonghop.web.security import redirect_app

    pair = settings.tls_pair()
    if pair is not None and settings.tls_cert is None:
        from phonghop.ops import tls

        message = tls.renew_if_due(tls.TlsFiles(settings.tls_dir))
        if message:
            print(f"phonghop: {message}", file=sys.stderr)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=1 << 20,
        ws_ping_interval=settings.heartbeat_seconds,
        ws_ping_timeout=settings.heartbeat_seconds,
        proxy_headers=True,
        lifespan="on",
        log_level="info",
        log_config=metrics.log_config(_log_format(settings.log_format)),
        ssl_certfile=str(pair[0]) if pair else None,
        ssl_keyfile=str(pair[1]) if pair else None,
    )
    server = uvicorn.Server(config)
    if pair is None or not settings.http_redirect_port:
        server.run()
        return
    redirect = uvicorn.Server(
        uvicorn.Config(
            redirect_app(settings.port),
            host=settings.host,
            port=settings.http_redirect_port,
            lifespan="off",
            log_level="warning",
        )
    )

    async def redirect_serve() -> None:
        # uvicorn ends a server that cannot bind with sys.exit(): raised in this task, it
        # left the event loop at once, cancelling the main server in the middle of its
        # lifespan (connections, workers and pool not closed: the exit could hang). The
        # main server is asked to stop in order instead, and the failure is kept.
        try:
            await redirect.serve()
        except SystemExit as exc:
            failed.append(exc)
            server.should_exit = True

    async def both() -> None:
        task = asyncio.create_task(redirect_serve())
        try:
            await server.serve()
        finally:
            redirect.should_exit = True
            await task

    failed: list[SystemExit] = []
    asyncio.run(both())
    if failed:
        raise failed[0]


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    problem = asyncio.run(_check_schema(settings))
    if problem:
        return _fail(problem)
    run_server(settings)
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.ops.backup import BackupError, create_backup

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    current = asyncio.run(migrate.current_revision(settings.database_url))
    head = migrate.head_revision()
    if current is not None and current not in migrate.known_revisions():
        return _fail(
            f"the database is at revision {current}, newer than this phonghop ({head}): refusing to touch it"
        )
    if current is not None and current != head and not args.no_backup:
        try:
            info = asyncio.run(create_backup(settings))
        except BackupError as exc:
            return _fail(f"could not take a backup before upgrading: {exc} (--no-backup to go on without)")
        print(f"backup before upgrading: {info.path}")
    asyncio.run(migrate.upgrade(settings.database_url))
    print(f"database at revision {head}")
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.ops.backup import BackupError, create_backup, prune

    try:
        info = asyncio.run(
            create_backup(
                settings, Path(args.output) if args.output else None, with_secrets=args.with_secrets
            )
        )
    except BackupError as exc:
        return _fail(str(exc))
    rows = sum(info.tables.values())
    print(f"backup written: {info.path} (schema {info.revision}, {rows} rows, {info.blobs} documents)")
    if args.keep:
        for old in prune(info.path.parent, args.keep):
            print(f"removed old backup {old.name}")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.ops.backup import BackupError, restore_backup

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = asyncio.run(restore_backup(settings, Path(args.archive)))
    except BackupError as exc:
        return _fail(str(exc))
    rows = sum(result["tables"].values())
    schema = f"schema {result['revision']}, now {migrate.head_revision()}"
    print(f"restored {rows} rows and {result['blobs']} documents ({schema})")
    return 0


def cmd_db_new_epoch(settings: Settings, args: argparse.Namespace) -> int:
    """After the database was put back by other means than ``phonghop restore``."""
    from phonghop.storage.installation import renew_log_epoch

    async def renew(uow: UnitOfWork) -> str:
        epoch = await renew_log_epoch(uow.session)
        return f"new log epoch {epoch}: tablets will reload the meetings' state"

    return _in_unit(settings, renew)


def cmd_db_current(settings: Settings, args: argparse.Namespace) -> int:
    print(asyncio.run(migrate.current_revision(settings.database_url)) or "(empty)")
    return 0


async def _body_id(uow: UnitOfWork, wanted: int | None) -> int:
    ids = list(await uow.session.scalars(select(IssuingBody.id).order_by(IssuingBody.id)))
    if wanted is not None:
        if wanted not in ids:
            raise SystemExit(f"phonghop: no issuing body with id {wanted}")
        return wanted
    if len(ids) != 1:
        raise SystemExit(f"phonghop: say which issuing body with --body-id (there are {len(ids)})")
    return ids[0]


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.services.accounts import Passwords, create_user

    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif password is None and args.role != UserRole.MEMBER.value:
        password = getpass.getpass("Mật khẩu / password: ")

    async def add(uow: UnitOfWork) -> str:
        user = await create_user(
            uow,
            Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
            body_id=await _body_id(uow, args.body_id),
            username=args.username,
            full_name=args.full_name,
            title=args.title,
            role=UserRole(args.role),
            password=password,
        )
        return f"user {user.username} created (id {user.id}, role {user.role})"

    return _in_unit(settings, add)


def cmd_user_passwd(settings: Settings, args: argparse.Namespace) -> int:
    """Reset a password as the machine's owner: every session of the account ends."""
    from phonghop.services.accounts import Passwords, reset_password, user_by_name

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mật khẩu mới / new password: ")

    async def reset(uow: UnitOfWork) -> str:
        user = await user_by_name(uow, args.username)
        passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
        ended = await reset_password(uow, passwords, None, user.id, password)
        return f"password of {user.username} changed; {ended} session(s) ended"

    return _in_unit(settings, reset)


def cmd_user_unlock(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.services.accounts import unlock_user, user_by_name

    async def unlock(uow: UnitOfWork) -> str:
        user = await user_by_name(uow, args.username)
        count = await unlock_user(uow, None, user.id)
        return f"{count} sign-in lock(s) of {user.username} lifted"

    return _in_unit(settings, unlock)


def cmd_body_add(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.services.bodies import create_body

    async def add(uow: UnitOfWork) -> str:
        body = await create_body(
            uow,
            name=args.name,
            symbol=args.symbol,
            notice_format=args.format,
            short_name=args.short_name,
            place=args.place,
            parent_id=args.parent_id,
        )
        return f"issuing body {body.name} created (id {body.id})"

    return _in_unit(settings, add)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.demo import print_demo, seed_demo

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(migrate.upgrade(settings.database_url))
    demo = asyncio.run(seed_demo(settings, reset=args.reset))
    print_demo(settings, demo)
    if args.no_serve:
        return 0
    run_server(settings)
    return 0


def cmd_tls_init(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.ops import tls

    try:
        files = tls.init(settings.tls_dir, args.name or [], args.ip or [], args.organisation)
    except (ValueError, FileNotFoundError) as exc:
        return _fail(str(exc))
    names, ips = tls.server_names(files.cert)
    print(
        f"""server certificate for {", ".join(names + ips)} until {tls.expires_at(files.cert):%Y-%m-%d}
  certificate authority (install on every tablet):  {files.ca_cert}
  CA private key (keep it safe; may be moved offline): {files.ca_key}
  server certificate and key:                        {files.cert}, {files.key}
'phonghop serve' now serves HTTPS with them; tablets download the CA certificate
from the console (Quản trị -> Chứng chỉ) or at /tls/ca.crt."""
    )
    return 0


def cmd_tls_show(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.ops import tls

    pair = settings.tls_pair()
    if pair is None:
        print(
            "HTTPS is off: run 'phonghop tls init --name <host> --ip <address>' or set PHONGHOP_TLS_CERT/KEY"
        )
        return 1
    names, ips = tls.server_names(pair[0])
    print(
        f"HTTPS with {pair[0]} for {', '.join(names + ips)}, valid until {tls.expires_at(pair[0]):%Y-%m-%d}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="phonghop", description="Phòng họp không giấy — paperless meeting room"
    )
    parser.add_argument("--host", help="bind address (PHONGHOP_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (PHONGHOP_PORT, default 8000)")
    parser.add_argument("--data-dir", help="data directory (PHONGHOP_DATA_DIR, default ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("serve", help="run the server").set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply migrations (after taking a backup)")
    up.add_argument("--no-backup", action="store_true", help="do not take a backup first")
    up.set_defaults(func=cmd_db_upgrade)
    db.add_parser(
        "new-epoch", help="after putting back an older copy of the database by other means than restore"
    ).set_defaults(func=cmd_db_new_epoch)

    backup = sub.add_parser("backup", help="write a backup archive (the server may keep running)")
    backup.add_argument("--output", help="archive path (default <data>/backups/phonghop-<time>.tar.gz)")
    backup.add_argument("--with-secrets", action="store_true", help="include the secret key and TLS files")
    backup.add_argument("--keep", type=int, default=0, help="then keep only this many archives in its folder")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup onto an empty installation")
    restore.add_argument("archive")
    restore.set_defaults(func=cmd_restore)
    db.add_parser("current", help="show the schema revision").set_defaults(func=cmd_db_current)

    user = sub.add_parser("user", help="accounts").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--full-name", required=True)
    add.add_argument("--title", default="")
    add.add_argument("--role", choices=[r.value for r in UserRole], default=UserRole.OFFICE.value)
    add.add_argument("--password", help="the password (prompted when omitted)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--body-id", type=int)
    add.set_defaults(func=cmd_user_add)
    passwd = user.add_parser("passwd", help="set a new password (ends every session of the account)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(func=cmd_user_passwd)
    unlock = user.add_parser("unlock", help="lift the sign-in locks of an account")
    unlock.add_argument("username")
    unlock.set_defaults(func=cmd_user_unlock)

    body = sub.add_parser("body", help="issuing bodies").add_subparsers(dest="body_command", required=True)
    badd = body.add_parser("add", help="create an issuing body")
    badd.add_argument("--name", required=True, help='e.g. "TỈNH ỦY GIA LAI"')
    badd.add_argument("--symbol", required=True, help='e.g. "TU", "UBND"')
    badd.add_argument("--format", choices=["party", "state"], required=True)
    badd.add_argument("--short-name", default="", help='as named in sentences: "Ban Thường vụ Tỉnh ủy"')
    badd.add_argument("--place", default="", help='for the date line: "Gia Lai"')
    badd.add_argument("--parent-id", type=int)
    badd.set_defaults(func=cmd_body_add)

    tls_cmd = sub.add_parser("tls", help="HTTPS certificates").add_subparsers(
        dest="tls_command", required=True
    )
    tinit = tls_cmd.add_parser("init", help="create a local CA and a server certificate")
    tinit.add_argument("--name", action="append", help="a host name tablets use (repeatable)")
    tinit.add_argument("--ip", action="append", help="an IP address tablets use (repeatable)")
    tinit.add_argument("--organisation", default="phonghop", help='e.g. "Văn phòng Tỉnh ủy Gia Lai"')
    tinit.set_defaults(func=cmd_tls_init)
    tls_cmd.add_parser("show", help="show the HTTPS certificate in use").set_defaults(func=cmd_tls_show)

    demo = sub.add_parser("demo", help="create the demo meeting and serve it")
    demo.add_argument("--no-serve", action="store_true", help="create the demo data and exit")
    demo.add_argument(
        "--reset", action="store_true", help="start over: a new demo meeting, today, starting soon"
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = dict(__import__("os").environ)
    if args.host:
        env["PHONGHOP_HOST"] = args.host
    if args.port:
        env["PHONGHOP_PORT"] = str(args.port)
    if args.data_dir:
        env["PHONGHOP_DATA_DIR"] = args.data_dir
    settings = Settings.from_env(env)
    try:
        result: int = args.func(settings, args)
        return result
    except PhonghopError as exc:
        return _fail(f"{exc.code}: {error_message(exc.code, 'en', **exc.params)}")


if __name__ == "__main__":
    raise SystemExit(main())
