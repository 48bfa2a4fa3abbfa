"""E-mail copies of notifications, through the SMTP server of the office's LAN.

:func:`deliver_pending` runs on every instance when ``PHONGHOP_SMTP_HOST`` is set. It
claims each pending notification with one conditional UPDATE (``pending`` → ``sending``),
so two instances never send the same one, then sends it with :mod:`smtplib` in a thread.
A server that cannot be reached puts the claimed rows back to ``pending`` (they go out on
the next round); a recipient the server refuses marks the row ``failed``. A process that
dies between the claim and the send leaves the row ``sending``: that mail is not sent
twice, and the notification is still in the app.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select, update

from phonghop.config import Settings
from phonghop.services.notifications import notification_text
from phonghop.storage.db import Database
from phonghop.storage.models import Notification, User, utcnow
from phonghop.translations import translate

log = logging.getLogger("phonghop.mail")

#: Notifications claimed per round.
BATCH = 50

#: Kinds whose e-mail subject is another kind's sentence: a personal code stays in the
#: message's body, out of the subject lines that mail clients show in every list.
SUBJECT_OF = {"invitation_with_code": "invitation"}


@dataclass(frozen=True)
class Outgoing:
    notification_id: int
    to: str
    name: str
    subject: str
    text: str


class MailUnavailable(Exception):
    """The SMTP server could not be reached or refused us: try again later."""


def _message(settings: Settings, mail: Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = formataddr((mail.name, mail.to))
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "phonghop")
    msg.set_content(mail.text)
    return msg


def _send(settings: Settings, mails: list[Outgoing]) -> tuple[list[int], list[int]]:
    """Send over one SMTP connection: (sent ids, refused ids). Raises MailUnavailable."""
    sent: list[int] = []
    refused: list[int] = []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            for mail in mails:
                try:
                    smtp.send_message(_message(settings, mail))
                    sent.append(mail.notification_id)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
                    refused.append(mail.notification_id)
    except (OSError, smtplib.SMTPException) as exc:
        if not sent and not refused:
            raise MailUnavailable(str(exc)) from exc
        log.warning("SMTP connection lost after %d messages: %s", len(sent) + len(refused), exc)
    return sent, refused


async def deliver_pending(db: Database, settings: Settings) -> int:
    """Send the pending notifications' e-mails; how many were sent."""
    async with db.unit() as uow:
        rows = (
            await uow.session.execute(
                select(Notification, User)
                .join(User, User.id == Notification.user_id)
                .where(Notification.mail_state == "pending")
                .order_by(Notification.id)
                .limit(BATCH)
            )
        ).all()
        outgoing: list[Outgoing] = []
        for note, user in rows:
            address = user.email.strip()
            target = "sending" if address and user.active else "none"
            claimed = await uow.session.execute(
                update(Notification)
                .where(Notification.id == note.id, Notification.mail_state == "pending")
                .values(mail_state=target)
            )
            if claimed.rowcount != 1 or target == "none":  # type: ignore[attr-defined]
                continue
            lang = user.language if user.language in ("vi", "en") else "vi"
            text = notification_text(note, lang)
            subject = (
                translate(f"notification.{SUBJECT_OF[note.kind]}", lang, **note.params)
                if (note.kind in SUBJECT_OF)
                else text
            )
            link = (settings.public_url or "").rstrip("/") + note.link if note.link else ""
            body = text + ("\n\n" + link if link else "") + "\n\n" + translate("mail.footer", lang)
            outgoing.append(Outgoing(note.id, address, user.full_name, subject, body))
    if not outgoing:
        return 0
    try:
        sent, refused = await asyncio.to_thread(_send, settings, outgoing)
    except MailUnavailable as exc:
        log.warning("SMTP server unavailable, %d e-mails wait: %s", len(outgoing), exc)
        sent, refused = [], []
    done = set(sent) | set(refused)
    async with db.unit() as uow:
        now = utcnow()
        if sent:
            await uow.session.execute(
                update(Notification).where(Notification.id.in_(sent)).values(mail_state="sent", mailed_at=now)
            )
        if refused:
            await uow.session.execute(
                update(Notification).where(Notification.id.in_(refused)).values(mail_state="failed")
            )
        back = [m.notification_id for m in outgoing if m.notification_id not in done]
        if back:
            await uow.session.execute(
                update(Notification).where(Notification.id.in_(back)).values(mail_state="pending")
            )
    return len(sent)
