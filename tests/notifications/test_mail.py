"""E-mail copies of notifications through a real SMTP server (aiosmtpd on a local port):
Vietnamese subjects arrive intact, nothing is sent twice, a server that is down loses
nothing, a refused recipient is marked failed, a user without an address is skipped."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import select, update

from phonghop.config import Settings
from phonghop.services.mail import deliver_pending
from phonghop.services.notifications import notify
from phonghop.storage.db import Database
from phonghop.storage.models import Notification, User
from tests.conftest import make_settings
from tests.factories import World, seed_world


class Inbox:
    """An SMTP handler keeping what it receives; refuses recipients at refused.example."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        self.recipients += envelope.rcpt_tos
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _setup(settings: Settings, world: World, addresses: dict[str, str]) -> None:
    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                for name, address in addresses.items():
                    await uow.session.execute(
                        update(User).where(User.id == world.users[name]).values(email=address, language="vi")
                    )
                notify(
                    uow,
                    body_id=world.body_id,
                    user_ids=[world.users[n] for n in addresses],
                    kind="task_due",
                    params={"text": "Hoàn thiện dự thảo Đề án chuyển đổi số", "deadline": "30/11/2026"},
                    link="/console/#/tasks/7",
                )
        finally:
            await db.dispose()

    asyncio.run(run())


def _deliver(settings: Settings) -> int:
    async def run() -> int:
        db = Database(settings.database_url)
        try:
            return await deliver_pending(db, settings)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _states(settings: Settings) -> dict[int, str]:
    async def run() -> dict[int, str]:
        db = Database(settings.database_url)
        try:
            async with db.unit(write=False) as uow:
                rows = await uow.session.execute(select(Notification.user_id, Notification.mail_state))
                return {r[0]: r[1] for r in rows}
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_mail_goes_out_once_with_the_vietnamese_text(
    tmp_path: Path, sqlite_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = make_settings(
        tmp_path / "data",
        sqlite_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="phonghop@tinhuy.example",
        public_url="https://phonghop.tinhuy.lan",
    )
    world = seed_world(settings)
    _setup(
        settings, world, {"member1": "member1@tinhuy.example", "member2": "", "chair": "x@refused.example"}
    )

    assert _deliver(settings) == 1
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"].addresses[0].addr_spec == "member1@tinhuy.example"
    assert message["Subject"] == "Nhiệm vụ đã đến hạn (30/11/2026): Hoàn thiện dự thảo Đề án chuyển đổi số"
    body = message.get_content()
    assert "https://phonghop.tinhuy.lan/console/#/tasks/7" in body
    assert "Vui lòng không trả lời" in body

    states = _states(settings)
    assert states[world.users["member1"]] == "sent"
    assert states[world.users["member2"]] == "none"  # no address: the app only
    assert states[world.users["chair"]] == "failed"  # refused by the server

    assert _deliver(settings) == 0
    assert len(inbox.messages) == 1


def test_a_server_that_is_down_loses_nothing(
    tmp_path: Path, sqlite_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = make_settings(tmp_path / "data", sqlite_url, smtp_host="127.0.0.1", smtp_port=free_port())
    world = seed_world(settings)
    _setup(settings, world, {"member1": "member1@tinhuy.example", "secretary": "thuky@tinhuy.example"})

    assert _deliver(settings) == 0  # nobody listens on that port
    assert set(_states(settings).values()) == {"pending"}

    up = replace(settings, smtp_port=port)
    assert _deliver(up) == 2
    assert sorted(inbox.recipients) == ["member1@tinhuy.example", "thuky@tinhuy.example"]
    assert set(_states(up).values()) == {"sent"}


@pytest.mark.postgres
def test_two_instances_never_mail_the_same_notification(
    tmp_path: Path, migrated_postgres_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = make_settings(tmp_path / "data", migrated_postgres_url, smtp_host="127.0.0.1", smtp_port=port)
    world = seed_world(settings)
    names = ["member1", "member2", "member3", "chair", "secretary"]
    _setup(settings, world, {n: f"{n}@tinhuy.example" for n in names})

    async def run() -> list[int]:
        dbs = [Database(settings.database_url), Database(settings.database_url)]
        try:
            return list(await asyncio.gather(*(deliver_pending(db, settings) for db in dbs)))
        finally:
            for db in dbs:
                await db.dispose()

    assert sum(asyncio.run(run())) == 5
    assert sorted(inbox.recipients) == sorted(f"{n}@tinhuy.example" for n in names)
