"""Invitations by e-mail through a real SMTP server (aiosmtpd on a local port): the server
down at first loses nothing, the message arrives with its Vietnamese subject and the link,
and a second round sends nothing more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from starlette.testclient import TestClient

from phonghop.config import Settings
from phonghop.services.mail import deliver_pending
from phonghop.storage.db import Database
from phonghop.storage.models import Notification, User
from tests.conftest import make_settings
from tests.factories import World, personal_code
from tests.notices_service.conftest import run_in_app
from tests.notifications.test_mail import Inbox, free_port

PORT = free_port()


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(
        tmp_path / "data",
        sqlite_url,
        smtp_host="127.0.0.1",
        smtp_port=PORT,
        smtp_from="phonghop@tinhuy.example",
        public_url="https://phonghop.tinhuy.lan",
    )


def test_invitations_are_mailed_once_even_if_the_server_was_down(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any], settings: Settings
) -> None:
    mid = meeting["id"]
    addresses = {"member1": "member1@tinhuy.example", "chair": "bithu@tinhuy.example"}

    async def give_addresses(db: Database) -> None:
        async with db.unit() as uow:
            for name, address in addresses.items():
                await uow.session.execute(
                    update(User).where(User.id == world.users[name]).values(email=address, language="vi")
                )

    async def pending(db: Database) -> int:
        async with db.unit(write=False) as uow:
            rows = await uow.session.scalars(
                select(Notification.id).where(
                    Notification.kind.in_(["invitation", "invitation_with_code"]),
                    Notification.mail_state == "pending",
                )
            )
            return len(rows.all())

    def deliver() -> int:
        return run_in_app(base, lambda db: deliver_pending(db, settings))

    run_in_app(base, give_addresses)
    assert office.post(f"/api/meetings/{mid}/invitations/send").json()["sent"] == 5

    assert deliver() == 0  # nobody listens yet
    assert run_in_app(base, pending) == 2

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=PORT)
    controller.start()
    try:
        assert deliver() == 2
        assert sorted(inbox.recipients) == sorted(addresses.values())
        [message] = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "member1@tinhuy.example"]
        subject = str(message["Subject"])
        assert subject.startswith("Giấy mời dự cuộc họp «Hội nghị Ban Thường vụ Tỉnh ủy tháng 11»")
        assert "08:00 29/11/2027" in subject and "Phòng họp số 1, Tỉnh ủy" in subject
        assert f"https://phonghop.tinhuy.lan/console/#/invitation/{mid}" in message.get_content()
        # the delegate's personal code is in the message, never in its subject line
        code = personal_code(office, mid, meeting["participants"][2]["id"])
        assert code in message.get_content() and code not in subject
        assert deliver() == 0
        assert len(inbox.messages) == 2
        assert run_in_app(base, pending) == 0
    finally:
        controller.stop()
