"""Issuing a notice: number, date, lay out, sign, and freeze it.

:func:`issue` gives the next number of the notice's sequence (Party: per term of the
committee; State: per year, secret notices apart). The number comes from a counter row
per (body, sequence), created with ``INSERT ... ON CONFLICT DO NOTHING`` and locked with
``SELECT ... FOR UPDATE`` until commit, in the same transaction that stores the number,
the PDF and the DOCX: two app instances issuing at once queue on that row, and a failure
after the number was taken rolls the counter back with everything else, so no number is
given twice or skipped. The unique constraint on (body, sequence, number) is the last
line of defence. An issued notice never changes again.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from phonghop.domain import notice as nd
from phonghop.domain.notice_edits import ISSUED
from phonghop.domain.permissions import Actor
from phonghop.errors import Conflict
from phonghop.notices import build_document, sign_pdf, write_docx, write_pdf
from phonghop.notices.stamp import SignatureStamp
from phonghop.realtime.protocol import AUDIENCE_CONTROLLERS
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


async def issue(
    uow: UnitOfWork, actor: Actor, notice_id: int, *, today: date, now: datetime | None = None
) -> Notice:
    """Number, date, lay out, sign where configured, and freeze a draft.

    The date of issue is ``today``; the number is the next of the notice's sequence (see
    the module notes). The signing key is loaded before the number is taken; a body whose
    settings name a certificate that cannot be used gets an error, never an unsigned notice.
    A signed notice shows the signer's signature image and the body's seal where they were
    uploaded, with the signing time ``now`` (default: the clock) in Vietnam time.
    """
    notice = await lock_notice(uow, actor, notice_id)
    if notice.state == ISSUED:
        raise Conflict("notice_issued")
    _, config = await load_body_config(uow, notice.body_id)
    draft = nd.NoticeDraft.from_dict(notice.draft)
    if draft.format is not config.settings.format:
        raise Conflict("notice_format_changed", draft=draft.format.value, body=config.settings.format.value)
    key = nd.numbering_sequence(draft.format, config.body, today, secret=notice.secret)
    key_pair = signing_key(config.signing) if config.signing is not None else None
    number = await next_number(uow, notice.body_id, key)
    issued = nd.issue_notice(draft, number, today)
    stamp = None
    if key_pair is not None:
        signed_at = now or utcnow()
        signer = issued.signature.signer_name
        stamp = await stamp_for(uow, notice.body_id, config.body, signer, signed_at)
    files = await render(issued, config, "pdf", "docx", stamp=stamp)
    if key_pair is not None and config.signing is not None:
        reason = config.signing.reason or _DEFAULT_SIGNING_REASON
        files["pdf"] = await asyncio.to_thread(
            sign_pdf, files["pdf"], key_pair[0], key_pair[1], reason=reason, location=config.body.place
        )
    notice.state = ISSUED
    notice.draft = issued.to_dict()
    notice.summary = issued.summary
    notice.number = number
    notice.number_label = issued.number_line
    notice.sequence_key = key
    notice.issue_date = today
    notice.issued_at = utcnow()
    notice.issued_by = actor.user_id
    notice.signed = key_pair is not None
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
