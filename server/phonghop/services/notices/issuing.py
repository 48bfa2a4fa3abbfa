"""Issuing a notice: number, date, lay out, sign, and freeze it.

:func:`issue` gives the next number of the notice's sequence (Party: per term of the
committee; State: per year, secret notices apart). The number comes from a counter row
per (body, sequence), created with ``INSERT ... ON CONFLICT DO NOTHING`` and locked with
``SELECT ... FOR UPDATE`` until commit, in the same transaction that stores the number,
the PDF and the DOCX: two app instances issuing at once queue on that row, and a failure
after the number was taken rolls the counter back with everything else, so no number is
given twice or skipped. The unique constraint on (body, sequence, number) is the last
line of defence. An issued notice never changes again.

A notice its signer signed in their own session (:mod:`.signer`) is not laid out again:
the number and date are written into the empty fields of the signed PDF as an
incremental update (the signer's certification signature permits form filling), and
the body's signature with the seal is added after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
from collections.abc import AsyncIterator
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from phonghop.domain import notice as nd
from phonghop.domain.notice_edits import AWAITING_SIGNATURE, ISSUED, SIGNER_SIGNED
from phonghop.domain.permissions import Actor
from phonghop.errors import Conflict, InvalidInput, NotFound, Unavailable
from phonghop.events import AUDIENCE_CONTROLLERS
from phonghop.notices import build_document, write_docx, write_pdf
from phonghop.notices._pyhanko import signers
from phonghop.notices.pdf import DATE_FIELD, NUMBER_FIELD, write_field_appearance, write_seal_appearance
from phonghop.notices.signing import (
    fill_text_fields,
    load_pkcs12_signer,
    open_token,
    seal_pdf_with,
    sign_pdf_with,
)
from phonghop.notices.stamp import SignatureStamp
from phonghop.services import followup
from phonghop.services.audit import record_audit
from phonghop.services.events import append_event
from phonghop.services.notices.editing import lock_notice
from phonghop.services.notices.images import stamp_for
from phonghop.services.notices.settings import BodyConfig, load_body_config, signing_key
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Notice, NoticeCounter, NoticeFile, utcnow

#: The reason written into the PAdES signature when the body sets none.
_DEFAULT_SIGNING_REASON = "Ban hành thông báo kết luận"
#: The kind of the stored PDF its signer signed, before the office numbers it.
SIGNED_FILE = "signed"

#: reportlab keeps per-document font state in module globals: one layout at a time per
#: process (notices and the printed invitations), off the event loop.
RENDER_LOCK = threading.Lock()


def _render(
    draft: nd.NoticeDraft, config: BodyConfig, kinds: tuple[str, ...], stamp: SignatureStamp | None
) -> dict[str, bytes]:
    with RENDER_LOCK:
        doc = build_document(draft, config.body, config.settings)
        writers = {"pdf": lambda: write_pdf(doc, stamp), "docx": lambda: write_docx(doc)}
        return {kind: writers[kind]() for kind in kinds}


async def render(
    draft: nd.NoticeDraft, config: BodyConfig, *kinds: str, stamp: SignatureStamp | None = None
) -> dict[str, bytes]:
    """The draft laid out as PDF and/or DOCX, in a worker thread; ``stamp``: the
    signature and seal images of a signed notice, drawn on the PDF."""
    return await asyncio.to_thread(_render, draft, config, kinds, stamp)


async def next_number(uow: UnitOfWork, body_id: int, sequence_key: str) -> int:
    """The next number of a sequence, counted in this transaction.

    The counter row is created if missing (``INSERT ... ON CONFLICT DO NOTHING``: a
    concurrent creator waits for the first and then does nothing), then locked with
    ``SELECT ... FOR UPDATE`` until commit (SQLite has a single writer).
    """
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    await uow.session.execute(
        insert(NoticeCounter)
        .values(body_id=body_id, sequence_key=sequence_key, last_number=0)
        .on_conflict_do_nothing(index_elements=["body_id", "sequence_key"])
    )
    counter = await uow.session.scalar(
        select(NoticeCounter)
        .where(NoticeCounter.body_id == body_id, NoticeCounter.sequence_key == sequence_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None  # inserted above or by a committed transaction
    counter.last_number += 1
    await uow.session.flush()
    return counter.last_number


def _file(notice_id: int, kind: str, content: bytes) -> NoticeFile:
    return NoticeFile(
        notice_id=notice_id,
        kind=kind,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
    )


@contextlib.asynccontextmanager
async def signer_of(
    config: BodyConfig, signer_name: str, pin: str | None
) -> AsyncIterator[signers.Signer | None]:
    """The key that signs for ``signer_name`` (see :func:`_signer`), their token opened
    with ``pin`` for the ``async with`` block only; every failure (a wrong PIN, a missing
    token) comes on entry, before anything is numbered or stored."""
    signer = _signer(config, signer_name, pin)
    token = config.signing.token_of(signer_name) if config.signing is not None else None
    session = None
    if token is not None and pin:
        session = await asyncio.to_thread(
            open_token, token.module_path, token.token_label, token.key_label, token.cert_label, pin
        )
        signer = session.signer
    try:
        yield signer
    finally:
        if session is not None:
            await asyncio.to_thread(session.close)


def _signer(config: BodyConfig, signer_name: str, pin: str | None) -> signers.Signer | None:
    """The signer of a notice whose signature block names ``signer_name``: their token
    when the settings give them one (``pin`` required: ``notice_token_pin_required``),
    else the body's PKCS#12 key; ``None`` for a body that does not sign. Loaded before
    the number is taken, so that a wrong PIN or a missing token uses up no number."""
    signing = config.signing
    if signing is None:
        return None
    token = signing.token_of(signer_name)
    if token is None:
        if not signing.pkcs12_path:
            raise Unavailable("notice_signing_unavailable", reason="no_token_for_signer")
        pkcs12, passphrase = signing_key(signing)
        return load_pkcs12_signer(pkcs12, passphrase)
    if not pin:
        raise InvalidInput("notice_token_pin_required", signer=token.signer_name)
    return None


async def issue(
    uow: UnitOfWork,
    actor: Actor,
    notice_id: int,
    *,
    today: date,
    now: datetime | None = None,
    pin: str | None = None,
) -> Notice:
    """Number, date, lay out, sign where configured, and freeze a draft.

    The date of issue is ``today``; the number is the next of the notice's sequence (see
    the module notes). The signing key is loaded before the number is taken; a body whose
    settings name a certificate that cannot be used gets an error, never an unsigned notice.
    A signer with a USB token (PKCS#11) signs with it: ``pin`` is their PIN, used for this
    signature only and never stored; a wrong PIN or a missing token is refused before the
    number is taken. A signed notice shows the signer's signature image and the body's
    seal where they were uploaded, with the signing time ``now`` (default: the clock) in
    Vietnam time.
    """
    notice = await lock_notice(uow, actor, notice_id)
    if notice.state == ISSUED:
        raise Conflict("notice_issued")
    if notice.state == AWAITING_SIGNATURE:
        raise Conflict("notice_awaiting_signature")
    _, config = await load_body_config(uow, notice.body_id)
    draft = nd.NoticeDraft.from_dict(notice.draft)
    if draft.format is not config.settings.format:
        raise Conflict("notice_format_changed", draft=draft.format.value, body=config.settings.format.value)
    key = nd.numbering_sequence(draft.format, config.body, today, secret=notice.secret)
    signer_name = draft.signature.signer_name
    signed_at = now or utcnow()
    if notice.state == SIGNER_SIGNED:
        number, issued, files = await _number_signed(uow, notice, config, draft, key, today, signed_at)
        signed = True
    else:
        async with signer_of(config, signer_name, pin) as signer:
            number = await next_number(uow, notice.body_id, key)
            issued = nd.issue_notice(draft, number, today)
            stamp = None
            if signer is not None:
                stamp = await stamp_for(uow, notice.body_id, config.body, signer_name, signed_at)
            files = await render(issued, config, "pdf", "docx", stamp=stamp)
            if signer is not None and config.signing is not None:
                reason = config.signing.reason or _DEFAULT_SIGNING_REASON
                files["pdf"] = await asyncio.to_thread(
                    sign_pdf_with, files["pdf"], signer, reason=reason, location=config.body.place
                )
        signed = signer is not None
    notice.state = ISSUED
    notice.draft = issued.to_dict()
    notice.summary = issued.summary
    notice.number = number
    notice.number_label = issued.number_line
    notice.sequence_key = key
    notice.issue_date = today
    notice.issued_at = utcnow()
    notice.issued_by = actor.user_id
    notice.signed = signed
    uow.session.add_all([_file(notice.id, kind, content) for kind, content in files.items()])
    try:
        await uow.session.flush()
    except IntegrityError:
        raise Conflict("notice_number_conflict") from None
    await followup.create_tasks(uow, notice)  # the conclusion points to follow up, same transaction
    record_audit(
        uow,
        actor,
        "notice.issued",
        target_type="notice",
        target_id=notice.id,
        number=number,
        sequence_key=key,
        signed=notice.signed,
        pdf_sha256=hashlib.sha256(files["pdf"]).hexdigest(),
    )
    await append_event(
        uow,
        notice.meeting_id,
        "notice.issued",
        {
            "notice_id": notice.id,
            "number": number,
            "number_label": notice.number_label,
            "summary": notice.summary,
            "issue_date": today.isoformat(),
        },
        actor=actor,
        audience=AUDIENCE_CONTROLLERS,
    )
    return notice


def _fill_number_and_date(signed_pdf: bytes, issued: nd.NoticeDraft, config: BodyConfig) -> bytes:
    settings = config.settings
    sizes = {NUMBER_FIELD: settings.size_number, DATE_FIELD: settings.size_date}

    def appearance(name: str, text: str, width: float, height: float) -> bytes:
        return write_field_appearance(text, width, height, sizes[name], italic=name == DATE_FIELD)

    with RENDER_LOCK:
        values = {NUMBER_FIELD: issued.number_line, DATE_FIELD: issued.date_line}
        return fill_text_fields(signed_pdf, values, appearance)


def _seal(pdf: bytes, signer: signers.Signer, config: BodyConfig, stamp: SignatureStamp | None) -> bytes:
    assert config.signing is not None
    appearance = None
    if stamp is not None and stamp.seal_png is not None:
        seal = stamp

        def appearance(width: float, height: float) -> bytes:
            with RENDER_LOCK:
                return write_seal_appearance(seal, width, height)

    reason = config.signing.reason or _DEFAULT_SIGNING_REASON
    return seal_pdf_with(pdf, signer, reason=reason, location=config.body.place, appearance=appearance)


async def _number_signed(
    uow: UnitOfWork,
    notice: Notice,
    config: BodyConfig,
    draft: nd.NoticeDraft,
    key: str,
    today: date,
    signed_at: datetime,
) -> tuple[int, nd.NoticeDraft, dict[str, bytes]]:
    """Number a notice its signer signed: the number and date written into the signed
    PDF's fields, then the body's signature (with the seal where one was uploaded) where
    the body has a certificate; the DOCX laid out as for any issued notice."""
    stored = await uow.session.get(NoticeFile, (notice.id, SIGNED_FILE))
    if stored is None:
        raise NotFound("notice_file_not_found")
    body_signer = None
    signing = config.signing
    if signing is not None and signing.pkcs12_path:  # loaded before the number is taken
        pkcs12, passphrase = signing_key(signing)
        body_signer = load_pkcs12_signer(pkcs12, passphrase)
    number = await next_number(uow, notice.body_id, key)
    issued = nd.issue_notice(draft, number, today)
    pdf = await asyncio.to_thread(_fill_number_and_date, stored.content, issued, config)
    if body_signer is not None:
        stamp = await stamp_for(uow, notice.body_id, config.body, draft.signature.signer_name, signed_at)
        pdf = await asyncio.to_thread(_seal, pdf, body_signer, config, stamp)
    files = await render(issued, config, "docx")
    return number, issued, {"pdf": pdf, **files}
