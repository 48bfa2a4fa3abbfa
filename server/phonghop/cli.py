"""The ``phonghop`` command: serve, db upgrade, user add, body add, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from phonghop.config import Settings
from phonghop.domain.permissions import UserRole
from phonghop.errors import PhonghopError
from phonghop.storage import migrate
from phonghop.storage.db import Database
from phonghop.storage.models import IssuingBody
from phonghop.translations import error_message


def _fail(message: str) -> int:
    print(f"phonghop: {message}", file=sys.stderr)
    return 2


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
    return f"the database is at revision {current}, the code expects {head}: run 'phonghop db upgrade'"


def run_server(settings: Settings) -> None:
    import uvicorn

    from phonghop.app import create_app

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
    )
    uvicorn.Server(config).run()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    problem = asyncio.run(_check_schema(settings))
    if problem:
        return _fail(problem)
    run_server(settings)
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(migrate.upgrade(settings.database_url))
    print(f"database at revision {migrate.head_revision()}")
    return 0


def cmd_db_current(settings: Settings, args: argparse.Namespace) -> int:
    print(asyncio.run(migrate.current_revision(settings.database_url)) or "(empty)")
    return 0


async def _body_id(db: Database, wanted: int | None) -> int:
    async with db.unit(write=False) as uow:
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

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            body_id = await _body_id(db, args.body_id)
            async with db.unit() as uow:
                user = await create_user(
                    uow,
                    Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
                    body_id=body_id,
                    username=args.username,
                    full_name=args.full_name,
                    title=args.title,
                    role=UserRole(args.role),
                    password=password,
                )
                print(f"user {user.username} created (id {user.id}, role {user.role})")
        finally:
            await db.dispose()
        return 0

    return asyncio.run(run())


def cmd_body_add(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.services.bodies import create_body

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                body = await create_body(
                    uow,
                    name=args.name,
                    symbol=args.symbol,
                    notice_format=args.format,
                    short_name=args.short_name,
                    place=args.place,
                    parent_id=args.parent_id,
                )
                print(f"issuing body {body.name} created (id {body.id})")
        finally:
            await db.dispose()
        return 0

    return asyncio.run(run())


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from phonghop.demo import print_demo, seed_demo

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(migrate.upgrade(settings.database_url))
    demo = asyncio.run(seed_demo(settings))
    print_demo(settings, demo)
    if args.no_serve:
        return 0
    run_server(settings)
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
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
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

    body = sub.add_parser("body", help="issuing bodies").add_subparsers(dest="body_command", required=True)
    badd = body.add_parser("add", help="create an issuing body")
    badd.add_argument("--name", required=True, help='e.g. "TỈNH ỦY GIA LAI"')
    badd.add_argument("--symbol", required=True, help='e.g. "TU", "UBND"')
    badd.add_argument("--format", choices=["party", "state"], required=True)
    badd.add_argument("--short-name", default="", help='as named in sentences: "Ban Thường vụ Tỉnh ủy"')
    badd.add_argument("--place", default="", help='for the date line: "Gia Lai"')
    badd.add_argument("--parent-id", type=int)
    badd.set_defaults(func=cmd_body_add)

    demo = sub.add_parser("demo", help="create the demo meeting and serve it")
    demo.add_argument("--no-serve", action="store_true", help="create the demo data and exit")
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
